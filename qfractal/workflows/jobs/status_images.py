"""The images a workflow task sees on a dataset, each with its status for that task.

The images are those passing the type filters the task would select by (the output types
of the tasks before it, then its input types and its own filters), then the request's
filters; the status is a pseudo-attribute, `__wftask_dataset_image_status__`, that the
request may filter on too. Sorted by zarr_url and paged, all in SQL.
"""

from typing import Any

from sqlalchemy import ColumnElement, Text, cast, func, literal, select, type_coerce
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession

from qfractal.db.dialect import is_postgresql
from qfractal.errors import InvalidInput
from qfractal.workflows.images import queries
from qfractal.workflows.images.queries import ImageSelection
from qfractal.workflows.images.schemas import ImagePageJSON, ImageQuery, json_text
from qfractal.workflows.jobs.image_status import (
    IMAGE_STATUSES,
    STATUS_KEY,
    images_with_status,
)
from qfractal.workflows.jobs.scope import HistoryScope
from qfractal.workflows.models import Image, Task, WorkflowTask
from qfractal.workflows.pagination import PageInfo, PageRequest
from qfractal.workflows.workflow.type_filters import TypeFilterConflict, merge_type_filters


async def task_type_filters(session: AsyncSession, scope: HistoryScope) -> dict[str, bool]:
    """The types the workflow task selects images by, on a dataset no job has filtered:
    output types of the tasks before it, updated with its own input types and filters."""
    earlier = await session.scalars(
        select(Task.output_types)
        .join(WorkflowTask, WorkflowTask.task_id == Task.id)
        .where(
            WorkflowTask.workflow_id == scope.wftask.workflow_id,
            WorkflowTask.order < scope.wftask.order,
        )
        .order_by(WorkflowTask.order, WorkflowTask.id)
    )
    type_filters: dict[str, bool] = {}
    for output_types in earlier:
        type_filters.update(output_types)
    try:
        own = merge_type_filters(
            task_input_types=scope.task.input_types,
            wftask_type_filters=scope.wftask.type_filters,
        )
    except TypeFilterConflict as exc:
        raise InvalidInput(str(exc)) from exc
    return {**type_filters, **own}


def _attributes_with_status(session: AsyncSession, status: ColumnElement[str]) -> Any:
    """The image's attributes, with the status added, as JSON text."""
    if is_postgresql(session):
        merged = type_coerce(Image.attributes, JSONB).op("||", return_type=JSONB)(
            func.jsonb_build_object(cast(literal(STATUS_KEY), Text), status)
        )
        return cast(merged, Text)
    return func.json_set(Image.attributes, literal(f'$."{STATUS_KEY}"'), status)


def _by_zarr_url(session: AsyncSession) -> Any:
    """zarr_url in code-point order on both databases (PostgreSQL's default collation
    would sort by the locale's rules)."""
    return Image.zarr_url.collate("C") if is_postgresql(session) else Image.zarr_url


async def image_page(
    session: AsyncSession, scope: HistoryScope, *, query: ImageQuery, page: PageRequest
) -> ImagePageJSON:
    """A page of the images the task sees, sorted by zarr_url, with their status; the
    `attributes` and `types` summaries cover every image the task sees."""
    seen_types = await task_type_filters(session, scope)
    attribute_filters = dict(query.attribute_filters)
    wanted_statuses = attribute_filters.pop(STATUS_KEY, None)
    joined, status = images_with_status(scope.wftask.id)
    where = [
        *queries.conditions(
            session, ImageSelection(dataset_id=scope.dataset.id, type_filters=seen_types)
        ),
        *queries.conditions(
            session,
            ImageSelection(
                dataset_id=scope.dataset.id,
                type_filters=query.type_filters,
                attribute_filters=attribute_filters,
            ),
        ),
    ]
    if wanted_statuses is not None:
        where.append(status.in_([value for value in wanted_statuses if isinstance(value, str)]))

    total = (
        await session.execute(select(func.count()).select_from(joined).where(*where))
    ).scalar_one()
    page = page.clamp(total)
    rows = await session.execute(
        select(
            Image.zarr_url,
            Image.origin,
            _attributes_with_status(session, status),
            queries.json_text_of(session, Image.types),
        )
        .select_from(joined)
        .where(*where)
        .order_by(_by_zarr_url(session))
        .offset(page.offset)
        .limit(page.size)
    )
    items = [
        f'{{"zarr_url":{json_text(url)},"origin":{json_text(origin)},'
        f'"attributes":{attributes},"types":{types}}}'
        for url, origin, attributes, types in rows
    ]
    summary = await queries.attribute_summary(session, scope.dataset.id, type_filters=seen_types)
    return ImagePageJSON(
        info=PageInfo.of(page, total),
        items=items,
        attributes={**summary, STATUS_KEY: IMAGE_STATUSES},
        types=await queries.type_summary(session, scope.dataset.id, type_filters=seen_types),
    )
