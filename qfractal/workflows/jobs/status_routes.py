"""Routes of the run history under /api/v2/project/{project_id} (fractal-server 2.17).

What they read is written by the runner: one HistoryRun per workflow task a job ran,
its HistoryUnits (task calls), and each image's latest unit per workflow task.
"""

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Response

from qfractal.db.session import SessionDep
from qfractal.ids import DatasetId, HistoryRunId, ProjectId, id_query
from qfractal.workflows.dependencies import WorkflowsUser
from qfractal.workflows.images.schemas import ImagePage, ImageQuery
from qfractal.workflows.jobs import logs, status, status_images
from qfractal.workflows.jobs.schemas import (
    HistoryRunRead,
    HistoryRunReadAggregated,
    HistoryStatus,
    HistoryUnitPage,
    HistoryUnitRead,
    ImageLogsRequest,
    LegacyStatusRead,
    WorkflowTaskStatus,
)
from qfractal.workflows.jobs.scope import HistoryScope, history_scope
from qfractal.workflows.pagination import PageDep, PageInfo

router = APIRouter(prefix="/api/v2/project/{project_id}", tags=["V2 History"])

_404 = {404: {"description": "No such project, dataset, workflow (task), run or unit."}}

DatasetIdQuery = Annotated[int, id_query("ID of a dataset of the project")]
WorkflowIdQuery = Annotated[int, id_query("ID of a workflow of the project")]
WorkflowTaskIdQuery = Annotated[int, id_query("ID of a workflow task of the project")]
RunIdQuery = Annotated[int, id_query("ID of a history run")]
UnitIdQuery = Annotated[int, id_query("ID of a history unit of that run")]


async def user_history_scope(
    project_id: ProjectId,
    dataset_id: DatasetIdQuery,
    workflowtask_id: WorkflowTaskIdQuery,
    user: WorkflowsUser,
    session: SessionDep,
) -> HistoryScope:
    """The dataset and workflow task of `?dataset_id=&workflowtask_id=`, both in one of
    the user's projects (404 otherwise)."""
    return await history_scope(
        session,
        user,
        project_id=project_id,
        dataset_id=dataset_id,
        workflowtask_id=workflowtask_id,
    )


UserHistoryScope = Annotated[HistoryScope, Depends(user_history_scope)]


@router.get("/status/", response_model=dict[str, WorkflowTaskStatus | None], responses=_404)
async def get_workflow_tasks_statuses(
    project_id: ProjectId,
    dataset_id: DatasetIdQuery,
    workflow_id: WorkflowIdQuery,
    user: WorkflowsUser,
    session: SessionDep,
) -> dict[str, WorkflowTaskStatus | None]:
    """For each workflow task (by id): its latest run's status and how many images are
    submitted, done and failed; null if it never ran on the dataset. Tasks in the range of
    a running job are `submitted`."""
    return await status.workflow_status(
        session, user, project_id=project_id, dataset_id=dataset_id, workflow_id=workflow_id
    )


@router.get("/status/run/", response_model=list[HistoryRunReadAggregated], responses=_404)
async def get_history_run_list(
    scope: UserHistoryScope, session: SessionDep
) -> list[HistoryRunReadAggregated]:
    """The runs of a workflow task on the dataset, oldest first, with unit counts."""
    return await status.list_runs(session, scope)


@router.get("/status/run/{history_run_id}/units/", response_model=HistoryUnitPage, responses=_404)
async def get_history_run_units(
    history_run_id: HistoryRunId,
    scope: UserHistoryScope,
    session: SessionDep,
    page: PageDep,
    unit_status: HistoryStatus | None = None,
) -> HistoryUnitPage:
    """A page of the run's units (task calls) by id, optionally of one status."""
    run = await status.find_run(session, scope, history_run_id)
    total, units = await status.list_units(session, run, status=unit_status, page=page)
    return HistoryUnitPage(
        **PageInfo.of(page, total).model_dump(), items=[HistoryUnitRead.of(u) for u in units]
    )


@router.post("/status/images/", response_model=ImagePage, responses=_404)
async def get_history_images(
    scope: UserHistoryScope,
    session: SessionDep,
    page: PageDep,
    query: Annotated[ImageQuery | None, Body()] = None,
) -> Response:
    """A page of the images the workflow task selects (by the types set before it and its
    own type filters), sorted by zarr_url, each with attribute
    `__wftask_dataset_image_status__`: done, submitted, failed or unset. Filter on that
    attribute like on any other; a page past the end answers the last page."""
    listing = await status_images.image_page(session, scope, query=query or ImageQuery(), page=page)
    return Response(listing.render(), media_type="application/json")


@router.post("/status/image-log/", response_model=str, responses=_404)
async def get_image_log(
    project_id: ProjectId, request: ImageLogsRequest, user: WorkflowsUser, session: SessionDep
) -> str:
    """The log of the latest task call of the workflow task on this image (a placeholder
    text if the log file is gone)."""
    return await logs.image_log(session, user, project_id=project_id, request=request)


@router.get("/status/unit-log/", response_model=str, responses=_404)
async def get_history_unit_log(
    history_run_id: RunIdQuery,
    history_unit_id: UnitIdQuery,
    scope: UserHistoryScope,
    session: SessionDep,
) -> str:
    """The log of one task call (a placeholder text if the log file is gone)."""
    return await logs.unit_log(session, scope, run_id=history_run_id, unit_id=history_unit_id)


@router.get("/dataset/{dataset_id}/history/", response_model=list[HistoryRunRead], responses=_404)
async def get_dataset_history(
    project_id: ProjectId, dataset_id: DatasetId, user: WorkflowsUser, session: SessionDep
) -> list[HistoryRunRead]:
    """Every run of any workflow task on the dataset, oldest first."""
    runs = await status.dataset_history(session, user, project_id=project_id, dataset_id=dataset_id)
    return [HistoryRunRead.of(run) for run in runs]


@router.get(
    "/status-legacy/", response_model=LegacyStatusRead, tags=["V2 Status Legacy"], responses=_404
)
async def get_workflowtask_status(
    project_id: ProjectId,
    dataset_id: DatasetIdQuery,
    workflow_id: WorkflowIdQuery,
    user: WorkflowsUser,
    session: SessionDep,
) -> LegacyStatusRead:
    """Legacy: `{"status": {wftask_id: status}}` for the workflow tasks that ran on the
    dataset or are running, from the same history as `/status/`."""
    statuses = await status.legacy_status(
        session, user, project_id=project_id, dataset_id=dataset_id, workflow_id=workflow_id
    )
    return LegacyStatusRead(status=statuses)
