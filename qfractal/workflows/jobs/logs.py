"""The log of one task call: found through its history unit, read from the job's folder
or from the folder's zip archive, or a placeholder text when neither has it."""

import asyncio

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from qfractal.auth.models import User
from qfractal.errors import NotFound
from qfractal.workflows.jobs import files
from qfractal.workflows.jobs.schemas import ImageLogsRequest
from qfractal.workflows.jobs.scope import HistoryScope, history_scope
from qfractal.workflows.jobs.status import find_run
from qfractal.workflows.models import HistoryImageCache, HistoryRun, HistoryUnit, Job


def placeholder(scope: HistoryScope) -> str:
    return f"Logs for task '{scope.task.name}' in dataset {scope.dataset.id} are not available."


async def _read_unit_log(
    session: AsyncSession, scope: HistoryScope, run: HistoryRun, unit: HistoryUnit
) -> str:
    job = await session.get(Job, run.job_id)
    text = None
    if job is not None and unit.logfile:
        text = await asyncio.to_thread(
            files.read_job_file,
            unit.logfile,
            working_dir=job.working_dir,
            working_dir_user=job.working_dir_user,
        )
    return text if text is not None else placeholder(scope)


async def image_log(
    session: AsyncSession, user: User, *, project_id: int, request: ImageLogsRequest
) -> str:
    """The log of the latest task call of the workflow task on the image."""
    scope = await history_scope(
        session,
        user,
        project_id=project_id,
        dataset_id=request.dataset_id,
        workflowtask_id=request.workflowtask_id,
    )
    row = (
        await session.execute(
            select(HistoryUnit, HistoryRun)
            .join(HistoryImageCache, HistoryImageCache.latest_history_unit_id == HistoryUnit.id)
            .join(HistoryRun, HistoryRun.id == HistoryUnit.history_run_id)
            .where(
                HistoryImageCache.zarr_url == request.zarr_url,
                HistoryImageCache.dataset_id == scope.dataset.id,
                HistoryImageCache.workflowtask_id == scope.wftask.id,
            )
        )
    ).first()
    if row is None:
        raise NotFound(
            f"Workflow task {scope.wftask.id} has no history for image {request.zarr_url} "
            f"in dataset {scope.dataset.id}."
        )
    unit, run = row
    return await _read_unit_log(session, scope, run, unit)


async def unit_log(session: AsyncSession, scope: HistoryScope, *, run_id: int, unit_id: int) -> str:
    """The log of one unit of a run of the workflow task on the dataset."""
    run = await find_run(session, scope, run_id)
    unit = await session.scalar(
        select(HistoryUnit).where(HistoryUnit.id == unit_id, HistoryUnit.history_run_id == run.id)
    )
    if unit is None:
        raise NotFound(f"History unit {unit_id} not found in history run {run_id}.")
    return await _read_unit_log(session, scope, run, unit)
