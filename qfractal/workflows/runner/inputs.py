"""The images a workflow task runs on, chosen by the database (type filters, then job
attribute filters, then at a re-run's first task the image statuses), and the image rows a
task's output needs."""

from collections.abc import Collection, Iterator, Mapping, Sequence
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from qfractal.workflows.images import queries
from qfractal.workflows.images.queries import ImageSelection
from qfractal.workflows.jobs.schemas import UNSET
from qfractal.workflows.models import HistoryImageCache, HistoryUnit, Image
from qfractal.workflows.runner.selection import Selection

T = TypeVar("T")

CHUNK_SIZE = 2_000
"""Rows per statement when many images are read or written at once."""


def chunks(items: Sequence[T], size: int = CHUNK_SIZE) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def status_in(workflowtask_id: int, wanted: Collection[str]) -> ColumnElement[bool]:
    """A condition on `image` rows: the image's status for the workflow task (that of
    its latest history unit, else `unset`) is one of `wanted`."""
    latest = (
        select(HistoryUnit.status)
        .join(HistoryImageCache, HistoryImageCache.latest_history_unit_id == HistoryUnit.id)
        .where(
            HistoryImageCache.zarr_url == Image.zarr_url,
            HistoryImageCache.dataset_id == Image.dataset_id,
            HistoryImageCache.workflowtask_id == workflowtask_id,
        )
        .scalar_subquery()
    )
    return func.coalesce(latest, literal(UNSET)).in_(sorted(wanted))


async def select_inputs(
    session: AsyncSession,
    *,
    dataset_id: int,
    type_filters: Mapping[str, bool],
    attribute_filters: Mapping[str, Sequence[Any]],
    status_of: tuple[int, Collection[str]] | None = None,
) -> Selection:
    """The input images of a non-converter task, in insertion order.

    `status_of` is `(workflowtask_id, wanted statuses)` for the first task of a re-run.
    """
    available = await queries.count(
        session, ImageSelection(dataset_id=dataset_id, type_filters=type_filters)
    )
    extra = [] if status_of is None else [status_in(*status_of)]
    zarr_urls = await queries.zarr_urls(
        session,
        ImageSelection(
            dataset_id=dataset_id, type_filters=type_filters, attribute_filters=attribute_filters
        ),
        *extra,
    )
    return Selection(zarr_urls=zarr_urls, num_available_images=available)


async def load_images(
    session: AsyncSession, dataset_id: int, zarr_urls: Collection[str]
) -> dict[str, Image]:
    """zarr_url → row, for those of `zarr_urls` the dataset has."""
    found: dict[str, Image] = {}
    for chunk in chunks(sorted(zarr_urls)):
        rows = await session.scalars(
            select(Image).where(Image.dataset_id == dataset_id, Image.zarr_url.in_(chunk))
        )
        found.update((row.zarr_url, row) for row in rows)
    return found
