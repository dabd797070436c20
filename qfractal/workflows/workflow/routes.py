"""Routes /api/v2/project/{project_id}/workflow/ (fractal-server 2.17 wire format)."""

from typing import Annotated

from fastapi import APIRouter, Response, status

from qfractal.auth.dependencies import SettingsDep
from qfractal.db.session import SessionDep
from qfractal.ids import ProjectId, WorkflowId, WorkflowTaskId, id_query
from qfractal.workflows.dependencies import WorkflowsUser
from qfractal.workflows.workflow import service, transfer, versions, wftasks
from qfractal.workflows.workflow.schemas import (
    TaskVersionRead,
    WorkflowCreate,
    WorkflowExport,
    WorkflowImport,
    WorkflowRead,
    WorkflowReadWithWarnings,
    WorkflowTaskCreate,
    WorkflowTaskRead,
    WorkflowTaskReplace,
    WorkflowTaskTypeFiltersInfo,
    WorkflowTaskUpdate,
    WorkflowUpdate,
)

router = APIRouter(prefix="/api/v2/project/{project_id}/workflow", tags=["V2 Workflow"])

_404 = {404: {"description": "No such project, workflow or workflow task for this user."}}
_422 = {422: {"description": "Invalid body, or a rule of the workflow is broken (detail)."}}

TaskIdQuery = Annotated[int, id_query("ID of the task")]
WorkflowTaskIdQuery = Annotated[int, id_query("ID of the workflow task")]


@router.get("/", response_model=list[WorkflowRead], responses=_404)
async def list_workflows(
    project_id: ProjectId, user: WorkflowsUser, session: SessionDep
) -> list[WorkflowRead]:
    """The workflows of a project, each with its tasks in order."""
    loaded = await service.list_workflows(session, user, project_id=project_id)
    return [WorkflowRead.of(workflow) for workflow in loaded]


@router.post("/", status_code=201, response_model=WorkflowRead, responses={**_404, **_422})
async def create_workflow(
    project_id: ProjectId, data: WorkflowCreate, user: WorkflowsUser, session: SessionDep
) -> WorkflowRead:
    """Create an empty workflow; names are unique within a project."""
    loaded = await service.create_workflow(session, user, project_id=project_id, data=data)
    return WorkflowRead.of(loaded)


@router.post(
    "/import/", status_code=201, response_model=WorkflowReadWithWarnings, responses={**_404, **_422}
)
async def import_workflow(
    project_id: ProjectId,
    data: WorkflowImport,
    user: WorkflowsUser,
    session: SessionDep,
    settings: SettingsDep,
) -> WorkflowReadWithWarnings:
    """Create a workflow from an exported one.

    Each task is matched among the task groups the user can read on their resource, by
    `pkg_name`, `version` and `name` (a null version means the newest PEP 440 version), or
    by `source` in old exports. Legacy `input_filters.types` become `type_filters`. If a
    task cannot be found, nothing is created (422 naming the task).
    """
    loaded = await transfer.import_workflow(
        session,
        user,
        project_id=project_id,
        data=data,
        default_group_name=settings.default_group_name,
    )
    return WorkflowReadWithWarnings.of(loaded)


@router.get("/{workflow_id}/", response_model=WorkflowReadWithWarnings, responses=_404)
async def read_workflow(
    project_id: ProjectId, workflow_id: WorkflowId, user: WorkflowsUser, session: SessionDep
) -> WorkflowReadWithWarnings:
    """A workflow; each task carries a `warning` when the user cannot run it now (task
    inactive, or no longer readable by the user)."""
    loaded = await service.read_workflow(
        session, user, project_id=project_id, workflow_id=workflow_id
    )
    return WorkflowReadWithWarnings.of(loaded)


@router.patch(
    "/{workflow_id}/", response_model=WorkflowReadWithWarnings, responses={**_404, **_422}
)
async def update_workflow(
    project_id: ProjectId,
    workflow_id: WorkflowId,
    data: WorkflowUpdate,
    user: WorkflowsUser,
    session: SessionDep,
) -> WorkflowReadWithWarnings:
    """Rename a workflow, or reorder its tasks (`reordered_workflowtask_ids` must be a
    permutation of the current workflow-task IDs)."""
    loaded = await service.update_workflow(
        session, user, project_id=project_id, workflow_id=workflow_id, data=data
    )
    return WorkflowReadWithWarnings.of(loaded)


@router.delete("/{workflow_id}/", status_code=204, responses=_404)
async def delete_workflow(
    project_id: ProjectId, workflow_id: WorkflowId, user: WorkflowsUser, session: SessionDep
) -> Response:
    """Delete a workflow with its workflow tasks."""
    await service.delete_workflow(session, user, project_id=project_id, workflow_id=workflow_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/{workflow_id}/export/", response_model=WorkflowExport, responses=_404)
async def export_workflow(
    project_id: ProjectId, workflow_id: WorkflowId, user: WorkflowsUser, session: SessionDep
) -> WorkflowExport:
    """A workflow without IDs: tasks are named by package name, version and task name."""
    loaded = await transfer.export_workflow(
        session, user, project_id=project_id, workflow_id=workflow_id
    )
    return WorkflowExport.of(loaded)


@router.get(
    "/{workflow_id}/type-filters-flow/",
    response_model=list[WorkflowTaskTypeFiltersInfo],
    responses={**_404, **_422},
)
async def get_type_filters_flow(
    project_id: ProjectId, workflow_id: WorkflowId, user: WorkflowsUser, session: SessionDep
) -> list[WorkflowTaskTypeFiltersInfo]:
    """For each workflow task: the image types known before it runs (`current`), the types
    it selects its input images by (`input`) and the types it sets (`output`)."""
    flow = await service.workflow_type_filters_flow(
        session, user, project_id=project_id, workflow_id=workflow_id
    )
    return [WorkflowTaskTypeFiltersInfo.model_validate(item) for item in flow]


@router.get(
    "/{workflow_id}/version-update-candidates/",
    response_model=list[list[TaskVersionRead]],
    responses=_404,
)
async def get_version_update_candidates(
    project_id: ProjectId,
    workflow_id: WorkflowId,
    user: WorkflowsUser,
    session: SessionDep,
    settings: SettingsDep,
) -> list[list[TaskVersionRead]]:
    """For each workflow task, the newer versions of its task the user may switch to: same
    package and task name, active, compatible type, with an args schema; oldest first."""
    candidates = await versions.update_candidates(
        session,
        user,
        project_id=project_id,
        workflow_id=workflow_id,
        default_group_name=settings.default_group_name,
    )
    return [[TaskVersionRead(**vars(item)) for item in step] for step in candidates]


@router.post(
    "/{workflow_id}/wftask/replace-task/",
    status_code=201,
    response_model=WorkflowTaskRead,
    responses={**_404, **_422},
)
async def replace_workflow_task(
    project_id: ProjectId,
    workflow_id: WorkflowId,
    workflow_task_id: WorkflowTaskIdQuery,
    task_id: TaskIdQuery,
    data: WorkflowTaskReplace,
    user: WorkflowsUser,
    session: SessionDep,
) -> WorkflowTaskRead:
    """Make a workflow task run another task (typically a newer version), in place.

    Allowed type changes: none, `non_parallel` → `converter_non_parallel`, `compound` →
    `converter_compound`. Given args replace the current ones; meta becomes the new task's
    meta plus the user's own changes to the old one.
    """
    step = await versions.replace_task(
        session,
        user,
        project_id=project_id,
        workflow_id=workflow_id,
        workflow_task_id=workflow_task_id,
        task_id=task_id,
        data=data,
    )
    return WorkflowTaskRead.of(step)


@router.post(
    "/{workflow_id}/wftask/",
    status_code=201,
    response_model=WorkflowTaskRead,
    responses={**_404, **_422},
)
async def create_workflow_task(
    project_id: ProjectId,
    workflow_id: WorkflowId,
    task_id: TaskIdQuery,
    data: WorkflowTaskCreate,
    user: WorkflowsUser,
    session: SessionDep,
) -> WorkflowTaskRead:
    """Append a task to a workflow.

    The task must be readable by the user and active. Args and meta are accepted only for
    the sides the task has (`non_parallel`, `parallel` or both, by its type); args must not
    set `zarr_dir`, `zarr_url`, `zarr_urls` or `init_args` and must fit the task's args
    schema (missing required arguments are allowed until a job is submitted). Meta is the
    task's meta overridden by the given one.
    """
    step = await wftasks.create_wftask(
        session,
        user,
        project_id=project_id,
        workflow_id=workflow_id,
        task_id=task_id,
        data=data,
    )
    return WorkflowTaskRead.of(step)


@router.get(
    "/{workflow_id}/wftask/{workflow_task_id}/", response_model=WorkflowTaskRead, responses=_404
)
async def read_workflow_task(
    project_id: ProjectId,
    workflow_id: WorkflowId,
    workflow_task_id: WorkflowTaskId,
    user: WorkflowsUser,
    session: SessionDep,
) -> WorkflowTaskRead:
    """One workflow task with its task."""
    step = await wftasks.get_wftask(
        session,
        user,
        project_id=project_id,
        workflow_id=workflow_id,
        workflow_task_id=workflow_task_id,
    )
    return WorkflowTaskRead.of(step)


@router.patch(
    "/{workflow_id}/wftask/{workflow_task_id}/",
    response_model=WorkflowTaskRead,
    responses={**_404, **_422},
)
async def update_workflow_task(
    project_id: ProjectId,
    workflow_id: WorkflowId,
    workflow_task_id: WorkflowTaskId,
    data: WorkflowTaskUpdate,
    user: WorkflowsUser,
    session: SessionDep,
) -> WorkflowTaskRead:
    """Change a workflow task's args, meta or type filters; each given field replaces the
    stored one, under the same rules as when adding the task."""
    step = await wftasks.update_wftask(
        session,
        user,
        project_id=project_id,
        workflow_id=workflow_id,
        workflow_task_id=workflow_task_id,
        data=data,
    )
    return WorkflowTaskRead.of(step)


@router.delete("/{workflow_id}/wftask/{workflow_task_id}/", status_code=204, responses=_404)
async def delete_workflow_task(
    project_id: ProjectId,
    workflow_id: WorkflowId,
    workflow_task_id: WorkflowTaskId,
    user: WorkflowsUser,
    session: SessionDep,
) -> Response:
    """Remove a task from a workflow; the following tasks move up one place."""
    await wftasks.delete_wftask(
        session,
        user,
        project_id=project_id,
        workflow_id=workflow_id,
        workflow_task_id=workflow_task_id,
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)
