"""Checks a client makes before submitting a job: which types split the selected images,
and which images the previous workflow task has not processed yet."""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from qfractal.errors import NotFound
from qfractal.workflows.images import queries
from qfractal.workflows.images.queries import ImageSelection
from qfractal.workflows.images.schemas import ImageQuery
from qfractal.workflows.jobs.image_status import STATUS_KEY, status_in
from qfractal.workflows.models import Dataset, Task, Workflow, WorkflowTask

CONVERTER_TYPES = ("converter_compound", "converter_non_parallel")


def _selection(dataset: Dataset, query: ImageQuery | None) -> ImageSelection:
    query = query or ImageQuery()
    return ImageSelection(
        dataset_id=dataset.id,
        type_filters=query.type_filters,
        attribute_filters=query.attribute_filters,
    )


async def _workflow_task(
    session: AsyncSession, project_id: int, workflowtask_id: int, workflow_id: int | None = None
) -> WorkflowTask:
    """The workflow task if its workflow belongs to the project (and is `workflow_id`)."""
    query = (
        select(WorkflowTask)
        .join(Workflow, Workflow.id == WorkflowTask.workflow_id)
        .where(WorkflowTask.id == workflowtask_id, Workflow.project_id == project_id)
    )
    if workflow_id is not None:
        query = query.where(Workflow.id == workflow_id)
    wftask = await session.scalar(query)
    if wftask is None:
        where = f"workflow {workflow_id}" if workflow_id is not None else f"project {project_id}"
        raise NotFound(f"Workflow task {workflowtask_id} not found in {where}.")
    return wftask


async def _check_workflow(session: AsyncSession, project_id: int, workflow_id: int) -> None:
    found = await session.scalar(
        select(Workflow.id).where(Workflow.id == workflow_id, Workflow.project_id == project_id)
    )
    if found is None:
        raise NotFound(f"Workflow {workflow_id} not found in project {project_id}.")


async def verify_unique_types(
    session: AsyncSession,
    dataset: Dataset,
    *,
    query: ImageQuery | None,
    workflowtask_id: int | None,
) -> list[str]:
    """Type keys (sorted) that are true on some of the selected images and false or
    missing on others.

    As in fractal-server 2.17, the workflow task's own type filters are not merged into
    `query`. With a workflow task (which must belong to the project), an attribute filter
    on `__wftask_dataset_image_status__` selects images by their status for that task.
    """
    if workflowtask_id is None:
        return await queries.non_unique_types(session, _selection(dataset, query))
    await _workflow_task(session, dataset.project_id, workflowtask_id)
    query = query or ImageQuery()
    attribute_filters = dict(query.attribute_filters)
    statuses = attribute_filters.pop(STATUS_KEY, None)
    selection = _selection(
        dataset, ImageQuery(type_filters=query.type_filters, attribute_filters=attribute_filters)
    )
    extra = [] if statuses is None else [status_in(workflowtask_id, statuses)]
    return await queries.non_unique_types(session, selection, *extra)


async def non_processed_images(
    session: AsyncSession,
    dataset: Dataset,
    *,
    workflow_id: int,
    workflowtask_id: int,
    query: ImageQuery,
) -> list[str]:
    """zarr_urls of the selected images that the previous task of the workflow has not
    processed; `[]` when there is nothing to check (first task, or the previous task sets
    output types or is a converter, so its outputs are not these images).

    An image counts as processed when the latest history unit of the previous task on it
    (in this dataset) is `done`.
    """
    await _check_workflow(session, dataset.project_id, workflow_id)
    wftask = await _workflow_task(session, dataset.project_id, workflowtask_id, workflow_id)
    previous = (
        await session.execute(
            select(WorkflowTask.id, Task.type, Task.output_types)
            .join(WorkflowTask, WorkflowTask.task_id == Task.id)
            .where(WorkflowTask.workflow_id == workflow_id, WorkflowTask.order < wftask.order)
            .order_by(WorkflowTask.order.desc())
            .limit(1)
        )
    ).first()
    if previous is None:
        return []
    previous_id, task_type, output_types = previous
    if output_types or task_type in CONVERTER_TYPES:
        return []
    return await queries.zarr_urls(
        session, _selection(dataset, query), ~status_in(previous_id, ["done"])
    )
