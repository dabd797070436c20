"""What a job run writes: history runs and units, the image-status cache, the dataset's
changed images and accounting records. Callers own the transactions.
"""

from collections import defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from qfractal.db.dialect import upsert
from qfractal.workflows.images import queries
from qfractal.workflows.jobs.schemas import HistoryStatus
from qfractal.workflows.models import (
    AccountingRecord,
    HistoryImageCache,
    HistoryRun,
    HistoryUnit,
    Image,
)
from qfractal.workflows.runner.history import PlannedUnit, UnitStatus
from qfractal.workflows.runner.image_updates import ImageChanges
from qfractal.workflows.runner.inputs import chunks
from qfractal.workflows.runner.job_setup import TaskSpec

SUBMITTED = HistoryStatus.SUBMITTED.value
FAILED = HistoryStatus.FAILED.value


async def insert_run(
    session: AsyncSession,
    *,
    job_id: int,
    dataset_id: int,
    task: TaskSpec,
    num_available_images: int,
) -> int:
    run = HistoryRun(
        dataset_id=dataset_id,
        workflowtask_id=task.wftask_id,
        job_id=job_id,
        task_id=task.task_id,
        workflowtask_dump=task.workflowtask_dump,
        task_group_dump=task.task_group_dump,
        status=SUBMITTED,
        num_available_images=num_available_images,
    )
    session.add(run)
    await session.flush()
    return run.id


async def _upsert_cache(session: AsyncSession, rows: Sequence[dict[str, str | int]]) -> None:
    """Point each (zarr_url, dataset, workflow task) at its latest unit."""
    for chunk in chunks(rows):
        statement = upsert(session, HistoryImageCache).values(list(chunk))
        await session.execute(
            statement.on_conflict_do_update(
                index_elements=["zarr_url", "dataset_id", "workflowtask_id"],
                set_={"latest_history_unit_id": statement.excluded.latest_history_unit_id},
            )
        )


async def insert_units(
    session: AsyncSession,
    *,
    run_id: int,
    dataset_id: int,
    workflowtask_id: int,
    units: Sequence[PlannedUnit],
    working_dir: Path,
) -> list[int]:
    """Insert the units as `submitted` and point the image cache at those that say so;
    return their ids, in order."""
    ids: list[int] = []
    statement = insert(HistoryUnit).returning(HistoryUnit.id, sort_by_parameter_order=True)
    for chunk in chunks(units):
        rows = [
            {
                "history_run_id": run_id,
                "logfile": str(working_dir / unit.files.log_file),
                "status": SUBMITTED,
                "zarr_urls": unit.zarr_urls,
            }
            for unit in chunk
        ]
        ids += (await session.scalars(statement, rows)).all()
    cache_rows = [
        {
            "zarr_url": zarr_url,
            "dataset_id": dataset_id,
            "workflowtask_id": workflowtask_id,
            "latest_history_unit_id": unit_id,
        }
        for unit, unit_id in zip(units, ids, strict=True)
        if unit.in_image_cache
        for zarr_url in unit.zarr_urls
    ]
    assert session.bind is not None
    await _upsert_cache(session, cache_rows)
    return ids


async def job_runs(session: AsyncSession, job_id: int) -> dict[int, tuple[int, str]]:
    """{workflow task id: (run id, status)} of the job's runs so far (a resumed job's)."""
    rows = await session.execute(
        select(HistoryRun.workflowtask_id, HistoryRun.id, HistoryRun.status)
        .where(HistoryRun.job_id == job_id)
        .order_by(HistoryRun.id)
    )
    return {wftask_id: (run_id, status) for wftask_id, run_id, status in rows if wftask_id}


async def take_units(session: AsyncSession, run_id: int) -> list[HistoryUnit]:
    """Delete the run's units (their image cache rows go with them); return them, in order."""
    units = list(
        await session.scalars(
            select(HistoryUnit).where(HistoryUnit.history_run_id == run_id).order_by(HistoryUnit.id)
        )
    )
    if units:
        await session.execute(delete(HistoryUnit).where(HistoryUnit.history_run_id == run_id))
    return units


async def set_unit_statuses(session: AsyncSession, statuses: Mapping[int, UnitStatus]) -> None:
    by_status: dict[str, list[int]] = defaultdict(list)
    for unit_id, status in statuses.items():
        by_status[status].append(unit_id)
    for status, unit_ids in by_status.items():
        for chunk in chunks(unit_ids):
            await session.execute(
                update(HistoryUnit).where(HistoryUnit.id.in_(chunk)).values(status=status)
            )


async def set_run_status(session: AsyncSession, run_id: int, status: str) -> None:
    await session.execute(update(HistoryRun).where(HistoryRun.id == run_id).values(status=status))


async def fail_run(session: AsyncSession, run_id: int) -> None:
    """The run and all its units failed (a job error after its calls ended)."""
    await set_run_status(session, run_id, FAILED)
    await session.execute(
        update(HistoryUnit).where(HistoryUnit.history_run_id == run_id).values(status=FAILED)
    )


async def save_images(
    session: AsyncSession, *, dataset_id: int, changes: ImageChanges, ids: Mapping[str, int]
) -> None:
    """Write the changed images only: update, insert, delete (with the removed images'
    statuses). `ids` maps the zarr_url of each updated image to its row id."""
    if changes.updated:
        await session.execute(
            update(Image),
            [
                {"id": ids[image.zarr_url], **image.model_dump(exclude={"zarr_url"})}
                for image in changes.updated
            ],
        )
    await queries.insert_many(session, dataset_id, [image.model_dump() for image in changes.added])
    for chunk in chunks(changes.removed):
        await session.execute(
            delete(Image).where(Image.dataset_id == dataset_id, Image.zarr_url.in_(chunk))
        )
        await session.execute(
            delete(HistoryImageCache).where(
                HistoryImageCache.dataset_id == dataset_id, HistoryImageCache.zarr_url.in_(chunk)
            )
        )


def add_accounting(
    session: AsyncSession, *, user_id: int, num_tasks: int, num_new_images: int
) -> None:
    session.add(
        AccountingRecord(user_id=user_id, num_tasks=num_tasks, num_new_images=num_new_images)
    )


async def fail_open_history(session: AsyncSession, job_id: int) -> None:
    """Fail the job's runs that are still `submitted`, and their submitted units (the job
    ended without finishing them)."""
    open_runs = (
        update(HistoryRun)
        .where(HistoryRun.job_id == job_id, HistoryRun.status == SUBMITTED)
        .values(status=FAILED)
        .returning(HistoryRun.id)
    )
    run_ids = list((await session.scalars(open_runs)).all())
    for chunk in chunks(run_ids):
        await session.execute(
            update(HistoryUnit)
            .where(HistoryUnit.history_run_id.in_(chunk), HistoryUnit.status == SUBMITTED)
            .values(status=FAILED)
        )
