"""A dataset's images: add, replace attributes/types, delete, and query page by page.

Every function takes a dataset the caller is allowed to use (see
`datasets.dependencies.UserDataset`). Images are rows; filters, pages and summaries are
computed by the database (`queries.py`), never by loading the whole dataset.
"""

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from qfractal.db.integrity import flush_or_raise
from qfractal.errors import InvalidInput, NotFound
from qfractal.workflows.images import queries
from qfractal.workflows.images.queries import ImageSelection
from qfractal.workflows.images.schemas import (
    ImagePageJSON,
    ImageQueryWithZarrUrl,
    SingleImage,
    SingleImageUpdate,
    is_strictly_under,
    lenient_zarr_path,
)
from qfractal.workflows.models import Dataset, HistoryImageCache, Image
from qfractal.workflows.pagination import PageInfo, PageRequest


def _duplicate(dataset: Dataset, zarr_url: str) -> InvalidInput:
    return InvalidInput(f"Image with zarr_url '{zarr_url}' already in dataset {dataset.id}.")


async def add_image(session: AsyncSession, dataset: Dataset, *, image: SingleImage) -> None:
    """Add one image; its zarr_url must be inside the dataset's zarr_dir and new to it."""
    if image.zarr_url == dataset.zarr_dir:
        raise InvalidInput(
            f"zarr_url cannot be equal to the dataset's zarr_dir {dataset.zarr_dir}."
        )
    if not is_strictly_under(image.zarr_url, dataset.zarr_dir):
        raise InvalidInput(
            f"zarr_url {image.zarr_url} is not inside the dataset's zarr_dir {dataset.zarr_dir}."
        )
    if await queries.find(session, dataset.id, image.zarr_url) is not None:
        raise _duplicate(dataset, image.zarr_url)
    session.add(Image(dataset_id=dataset.id, **image.model_dump()))
    # Two requests adding the same zarr_url at once both pass the check above; the
    # unique constraint refuses the second one, with the same answer.
    await flush_or_raise(session, _duplicate(dataset, image.zarr_url))


async def _get_image(session: AsyncSession, dataset: Dataset, zarr_url: str) -> Image:
    image = await queries.find(session, dataset.id, lenient_zarr_path(zarr_url))
    if image is None:
        raise NotFound(f"No image with zarr_url '{zarr_url}' in dataset {dataset.id}.")
    return image


async def update_image(
    session: AsyncSession, dataset: Dataset, *, update: SingleImageUpdate
) -> SingleImage:
    """Replace the image's attributes and/or types (those given; the others are kept)."""
    image = await _get_image(session, dataset, update.zarr_url)
    if update.attributes is not None:
        image.attributes = update.attributes
    if update.types is not None:
        image.types = update.types
    await session.flush()
    return SingleImage.model_validate(image, from_attributes=True)


async def delete_image(session: AsyncSession, dataset: Dataset, *, zarr_url: str) -> None:
    """Remove the image and its status in the run history (HistoryImageCache rows)."""
    image = await _get_image(session, dataset, zarr_url)
    await session.execute(
        delete(HistoryImageCache).where(
            HistoryImageCache.dataset_id == dataset.id,
            HistoryImageCache.zarr_url == image.zarr_url,
        )
    )
    await session.delete(image)
    await session.flush()


async def query_images(
    session: AsyncSession,
    dataset: Dataset,
    *,
    query: ImageQueryWithZarrUrl | None,
    page: PageRequest,
) -> ImagePageJSON:
    """One page of the images matching `query`, in insertion order, with the attribute
    and type summaries of all the dataset's images. A page past the end is the last page."""
    query = query or ImageQueryWithZarrUrl()
    selection = ImageSelection(
        dataset_id=dataset.id,
        type_filters=query.type_filters,
        attribute_filters=query.attribute_filters,
        zarr_url=query.zarr_url,
    )
    total = await queries.count(session, selection)
    page = page.clamp(total)
    return ImagePageJSON(
        info=PageInfo.of(page, total),
        items=await queries.fetch_json(session, selection, offset=page.offset, limit=page.size),
        attributes=await queries.attribute_summary(session, dataset.id),
        types=await queries.type_summary(session, dataset.id),
    )
