"""The project and dataset named in a path, looked up among the current user's projects.

Route signatures that take `UserProject` or `UserDataset` are authorized by their types:
the user must be linked to the project, and the dataset must belong to that project
(anything else is 404, as if it did not exist).
"""

from typing import Annotated

from fastapi import Depends

from qfractal.db.session import SessionDep
from qfractal.ids import DatasetId, ProjectId
from qfractal.workflows.datasets import service
from qfractal.workflows.dependencies import WorkflowsUser
from qfractal.workflows.models import Dataset, Project
from qfractal.workflows.projects import service as projects


async def user_project(project_id: ProjectId, user: WorkflowsUser, session: SessionDep) -> Project:
    return await projects.get_project(session, user, project_id)


UserProject = Annotated[Project, Depends(user_project)]


async def user_dataset(dataset_id: DatasetId, project: UserProject, session: SessionDep) -> Dataset:
    return await service.get_dataset(session, project, dataset_id)


UserDataset = Annotated[Dataset, Depends(user_dataset)]
