"""An image's status for a workflow task, in SQL: the status of the latest history unit
that touched it (`historyimagecache` → `historyunit`), or `unset`.

Used to page a dataset's images with their status (`/status/images/`), and to select
images by status before a submission (`/images/non-processed/`, `verify-unique-types/`).
"""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, and_, func, literal, select
from sqlalchemy.sql.expression import FromClause

from qfractal.workflows.jobs.schemas import UNSET, HistoryStatus
from qfractal.workflows.models import HistoryImageCache, HistoryUnit, Image

STATUS_KEY = "__wftask_dataset_image_status__"
"""The pseudo-attribute holding an image's status in status pages and job filters."""

IMAGE_STATUSES = sorted([*(status.value for status in HistoryStatus), UNSET])


def _cache_of_image(workflowtask_id: int) -> ColumnElement[bool]:
    return and_(
        HistoryImageCache.zarr_url == Image.zarr_url,
        HistoryImageCache.dataset_id == Image.dataset_id,
        HistoryImageCache.workflowtask_id == workflowtask_id,
    )


def images_with_status(workflowtask_id: int) -> tuple[FromClause, ColumnElement[str]]:
    """`image` outer-joined to its latest unit for the workflow task, and the status column
    (`unset` where there is no unit)."""
    joined = Image.__table__.outerjoin(
        HistoryImageCache.__table__, _cache_of_image(workflowtask_id)
    ).outerjoin(HistoryUnit.__table__, HistoryUnit.id == HistoryImageCache.latest_history_unit_id)
    status = func.coalesce(HistoryUnit.status, literal(UNSET)).label("status")
    return joined, status


def status_in(workflowtask_id: int, statuses: Sequence[Any]) -> ColumnElement[bool]:
    """A condition on `image` rows: the image's status for the workflow task is one of
    `statuses` (values that are not status names match nothing)."""
    latest = (
        select(HistoryUnit.status)
        .join(HistoryImageCache, HistoryUnit.id == HistoryImageCache.latest_history_unit_id)
        .where(_cache_of_image(workflowtask_id))
        .scalar_subquery()
    )
    return func.coalesce(latest, literal(UNSET)).in_(
        [status for status in statuses if isinstance(status, str)]
    )
