"""Where workflow tasks stand on a dataset, from the history the runner writes.

A HistoryRun is one workflow task executed by one job; its HistoryUnits are the task
calls; HistoryImageCache points each (image, dataset, workflow task) at the latest unit
that touched the image, whose status is the image's status. Every count here is computed
by the database.
"""

from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from qfractal.auth.models import User
from qfractal.errors import NotFound
from qfractal.workflows.datasets.service import get_dataset
from qfractal.workflows.jobs.schemas import (
    HistoryRunReadAggregated,
    HistoryStatus,
    JobStatus,
    WorkflowTaskStatus,
)
from qfractal.workflows.jobs.scope import HistoryScope, user_dataset
from qfractal.workflows.models import (
    HistoryImageCache,
    HistoryRun,
    HistoryUnit,
    Job,
    Task,
)
from qfractal.workflows.pagination import PageRequest
from qfractal.workflows.workflow.service import get_workflow

StatusCounts = dict[str, int]


async def _running(
    session: AsyncSession, *, dataset_id: int, workflow_id: int, wftask_ids: list[int]
) -> set[int]:
    """The workflow tasks in the range of a submitted job of this workflow on the dataset."""
    job = await session.scalar(
        select(Job)
        .where(
            Job.dataset_id == dataset_id,
            Job.workflow_id == workflow_id,
            Job.status == JobStatus.SUBMITTED,
        )
        .order_by(Job.start_timestamp.desc(), Job.id.desc())
        .limit(1)
    )
    if job is None:
        return set()
    return set(wftask_ids[job.first_task_index : job.last_task_index + 1])


async def _latest_runs(
    session: AsyncSession, *, dataset_id: int, wftask_ids: list[int]
) -> dict[int, HistoryRun]:
    ranked = (
        select(
            HistoryRun.id,
            func.row_number()
            .over(
                partition_by=HistoryRun.workflowtask_id,
                order_by=(HistoryRun.timestamp_started.desc(), HistoryRun.id.desc()),
            )
            .label("rank"),
        )
        .where(HistoryRun.dataset_id == dataset_id, HistoryRun.workflowtask_id.in_(wftask_ids))
        .subquery()
    )
    runs = await session.scalars(
        select(HistoryRun).join(ranked, ranked.c.id == HistoryRun.id).where(ranked.c.rank == 1)
    )
    return {run.workflowtask_id: run for run in runs if run.workflowtask_id is not None}


async def _image_counts(
    session: AsyncSession, *, dataset_id: int, wftask_ids: list[int]
) -> dict[int, StatusCounts]:
    """`{wftask_id: {status: number of images}}` from each image's latest unit."""
    rows = await session.execute(
        select(HistoryImageCache.workflowtask_id, HistoryUnit.status, func.count())
        .join(HistoryUnit, HistoryUnit.id == HistoryImageCache.latest_history_unit_id)
        .where(
            HistoryImageCache.dataset_id == dataset_id,
            HistoryImageCache.workflowtask_id.in_(wftask_ids),
        )
        .group_by(HistoryImageCache.workflowtask_id, HistoryUnit.status)
    )
    counts: dict[int, StatusCounts] = defaultdict(dict)
    for wftask_id, status, n in rows:
        counts[wftask_id][status] = n
    return counts


def _task_status(
    run: HistoryRun | None, counts: StatusCounts, *, running: bool
) -> WorkflowTaskStatus | None:
    if run is None and not running:
        return None
    submitted, done, failed = (
        counts.get(status, 0)
        for status in (HistoryStatus.SUBMITTED, HistoryStatus.DONE, HistoryStatus.FAILED)
    )
    available = run.num_available_images if run is not None else None
    if available is not None and done + submitted + failed > available:
        available = None
    return WorkflowTaskStatus(
        status=HistoryStatus.SUBMITTED if running or run is None else HistoryStatus(run.status),
        num_available_images=available,
        num_submitted_images=submitted,
        num_done_images=done,
        num_failed_images=failed,
    )


async def workflow_status(
    session: AsyncSession, user: User, *, project_id: int, dataset_id: int, workflow_id: int
) -> dict[str, WorkflowTaskStatus | None]:
    """`{wftask_id: status}` for every workflow task, in order: null for a task that never
    ran on the dataset; `submitted` for tasks in the range of a running job."""
    loaded = await get_workflow(session, user, project_id=project_id, workflow_id=workflow_id)
    dataset = await get_dataset(session, loaded.project, dataset_id)
    ids = [step.wftask.id for step in loaded.steps]
    running = await _running(
        session, dataset_id=dataset.id, workflow_id=workflow_id, wftask_ids=ids
    )
    latest = await _latest_runs(session, dataset_id=dataset.id, wftask_ids=ids)
    counts = await _image_counts(session, dataset_id=dataset.id, wftask_ids=ids)
    return {
        str(wftask_id): _task_status(
            latest.get(wftask_id), counts.get(wftask_id, {}), running=wftask_id in running
        )
        for wftask_id in ids
    }


async def legacy_status(
    session: AsyncSession, user: User, *, project_id: int, dataset_id: int, workflow_id: int
) -> dict[str, HistoryStatus]:
    """`{wftask_id: status}` of the tasks that ran or are running (fractal's status-legacy,
    computed from the history instead of the dataset's old `history` column)."""
    statuses = await workflow_status(
        session, user, project_id=project_id, dataset_id=dataset_id, workflow_id=workflow_id
    )
    return {key: value.status for key, value in statuses.items() if value is not None}


async def _unit_counts(session: AsyncSession, run_ids: Sequence[int]) -> dict[int, StatusCounts]:
    rows = await session.execute(
        select(HistoryUnit.history_run_id, HistoryUnit.status, func.count())
        .where(HistoryUnit.history_run_id.in_(run_ids))
        .group_by(HistoryUnit.history_run_id, HistoryUnit.status)
    )
    counts: dict[int, StatusCounts] = defaultdict(dict)
    for run_id, status, n in rows:
        counts[run_id][status] = n
    return counts


async def list_runs(session: AsyncSession, scope: HistoryScope) -> list[HistoryRunReadAggregated]:
    """The runs of a workflow task on a dataset, oldest first, with unit counts and the
    args schemas and version of the task they ran."""
    rows = (
        await session.execute(
            select(
                HistoryRun, Task.args_schema_parallel, Task.args_schema_non_parallel, Task.version
            )
            .outerjoin(Task, Task.id == HistoryRun.task_id)
            .where(
                HistoryRun.dataset_id == scope.dataset.id,
                HistoryRun.workflowtask_id == scope.wftask.id,
            )
            .order_by(HistoryRun.timestamp_started, HistoryRun.id)
        )
    ).all()
    counts = await _unit_counts(session, [run.id for run, *_ in rows])
    return [
        HistoryRunReadAggregated(
            id=run.id,
            timestamp_started=run.timestamp_started,
            workflowtask_dump=run.workflowtask_dump,
            num_submitted_units=counts[run.id].get(HistoryStatus.SUBMITTED, 0),
            num_done_units=counts[run.id].get(HistoryStatus.DONE, 0),
            num_failed_units=counts[run.id].get(HistoryStatus.FAILED, 0),
            args_schema_parallel=schema_parallel,
            args_schema_non_parallel=schema_non_parallel,
            version=version,
        )
        for run, schema_parallel, schema_non_parallel, version in rows
    ]


async def find_run(session: AsyncSession, scope: HistoryScope, run_id: int) -> HistoryRun:
    """A run of the scope's workflow task on its dataset (404 otherwise)."""
    run = await session.scalar(
        select(HistoryRun).where(
            HistoryRun.id == run_id,
            HistoryRun.dataset_id == scope.dataset.id,
            HistoryRun.workflowtask_id == scope.wftask.id,
        )
    )
    if run is None:
        raise NotFound(
            f"History run {run_id} not found for workflow task {scope.wftask.id} "
            f"on dataset {scope.dataset.id}."
        )
    return run


async def list_units(
    session: AsyncSession, run: HistoryRun, *, status: HistoryStatus | None, page: PageRequest
) -> tuple[int, Sequence[HistoryUnit]]:
    """A page of the run's units (by id), and how many there are in all."""
    query = select(HistoryUnit).where(HistoryUnit.history_run_id == run.id)
    if status is not None:
        query = query.where(HistoryUnit.status == status.value)
    total = int(await session.scalar(select(func.count()).select_from(query.subquery())) or 0)
    units = await session.scalars(
        query.order_by(HistoryUnit.id).offset(page.offset).limit(page.size)
    )
    return total, units.all()


async def dataset_history(
    session: AsyncSession, user: User, *, project_id: int, dataset_id: int
) -> Sequence[HistoryRun]:
    """Every run on the dataset, oldest first."""
    dataset = await user_dataset(session, user, project_id=project_id, dataset_id=dataset_id)
    runs = await session.scalars(
        select(HistoryRun)
        .where(HistoryRun.dataset_id == dataset.id)
        .order_by(HistoryRun.timestamp_started, HistoryRun.id)
    )
    return runs.all()
