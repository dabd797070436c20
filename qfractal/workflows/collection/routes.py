"""Routes of task collection and task-group lifecycle (fractal-server 2.17 wire format).

Work that takes time (pip, venvs, folders) runs after the request's commit: the route
hands it to BackgroundTasks, which only starts it on the app's ActivityRunner.
"""

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Depends, File, Form, UploadFile

from qfractal.db.session import SessionDep
from qfractal.workflows.collection import custom, pip, pixi
from qfractal.workflows.collection.background import RunnerDep, Work
from qfractal.workflows.collection.forms import pip_collect_form
from qfractal.workflows.collection.lifecycle_routes import add_lifecycle_routes
from qfractal.workflows.collection.schemas import PipCollect, TaskCollectCustom
from qfractal.workflows.dependencies import WorkflowsUser, workflows_user
from qfractal.workflows.tasks.access import get_owned_task_group
from qfractal.workflows.tasks.params import FORBIDDEN, INVALID, NOT_FOUND, SharingDep
from qfractal.workflows.tasks.schemas import ActivityRead, TaskRead

router = APIRouter(prefix="/api/v2", tags=["V2 Task Lifecycle"])


def _after_commit(background: BackgroundTasks, runner: RunnerDep, work: Work | None) -> None:
    if work is not None:
        background.add_task(runner.spawn, work)


@router.post("/task/collect/pip/", status_code=202, response_model=ActivityRead, responses=INVALID)
async def collect_tasks_pip(
    user: WorkflowsUser,
    data: Annotated[PipCollect, Depends(pip_collect_form)],
    session: SessionDep,
    sharing: SharingDep,
    runner: RunnerDep,
    background: BackgroundTasks,
) -> ActivityRead:
    """Install a task package into a new venv and register its tasks (multipart form).

    Give `package` (a name; without `package_version` pip picks the version, through any
    mirror or proxy it is configured for) or `file` (a wheel). The answer is the pending
    activity: poll GET /api/v2/task-group/activity/{id}/ for its status and growing log.
    """
    activity, work = await pip.request_collection(
        session, user, data=data, sharing=sharing, sessionmaker=runner.sessionmaker
    )
    _after_commit(background, runner, work)
    return ActivityRead.model_validate(activity)


@router.post(
    "/task/collect/custom/", status_code=201, response_model=list[TaskRead], responses=INVALID
)
async def collect_task_custom(
    data: TaskCollectCustom, user: WorkflowsUser, session: SessionDep, sharing: SharingDep
) -> list[TaskRead]:
    """Register the tasks of a package already installed for `python_interpreter`.

    Give `package_root` (the package folder) or `package_name` (found by running the
    interpreter). Nothing is installed; the task group has origin `other`.
    """
    tasks = await custom.collect_custom(session, user, data=data, sharing=sharing)
    return [TaskRead.model_validate(task) for task in tasks]


@router.post("/task/collect/pixi/", status_code=202, response_model=ActivityRead, responses=INVALID)
async def collect_task_pixi(
    user: WorkflowsUser,
    file: Annotated[UploadFile, File(description="`{package}-{version}.tar.gz`")],
    session: SessionDep,
    sharing: SharingDep,
    pixi_version: Annotated[str | None, Form(min_length=1)] = None,
) -> ActivityRead:
    """Collect a pixi package: refused with 422 (no pixi on the resource, or none here)."""
    await pixi.request_collection(
        session, user, filename=file.filename or "", pixi_version=pixi_version
    )


add_lifecycle_routes(
    router,
    caller=workflows_user,
    load_group=get_owned_task_group,
    name_prefix="",
    responses={**FORBIDDEN, **NOT_FOUND, **INVALID},
)
