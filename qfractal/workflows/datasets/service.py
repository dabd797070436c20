"""Datasets: a folder (`zarr_dir`) inside a project, and the images under it."""

import re
import string
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from qfractal.auth.models import User
from qfractal.errors import InvalidInput, NotFound
from qfractal.workflows.datasets.schemas import (
    DatasetCreate,
    DatasetExportJSON,
    DatasetImport,
    DatasetUpdate,
)
from qfractal.workflows.images import queries as images
from qfractal.workflows.images.queries import ImageSelection
from qfractal.workflows.images.schemas import normalize_zarr_path
from qfractal.workflows.jobs.guards import check_dataset_idle
from qfractal.workflows.models import Dataset, Project

_SLUG_SEPARATORS = re.compile(f"[{re.escape(string.punctuation)}\\s]+")


def slug(name: str) -> str:
    """A folder-name version of `name`: lower case, each run of punctuation or whitespace
    replaced by one `_`."""
    return _SLUG_SEPARATORS.sub("_", name.lower())


async def list_datasets(session: AsyncSession, project: Project) -> Sequence[Dataset]:
    query = select(Dataset).where(Dataset.project_id == project.id).order_by(Dataset.id)
    return (await session.scalars(query)).all()


async def get_dataset(session: AsyncSession, project: Project, dataset_id: int) -> Dataset:
    """The dataset if it belongs to `project`; any other dataset is not found (404)."""
    dataset = await session.scalar(
        select(Dataset).where(Dataset.id == dataset_id, Dataset.project_id == project.id)
    )
    if dataset is None:
        raise NotFound("Dataset not found")  # fractal-client prints and tests this text
    return dataset


def _project_dir(user: User, data: DatasetCreate) -> str:
    """The project folder a dataset without `zarr_dir` goes into."""
    if data.project_dir is not None:
        if data.project_dir not in user.project_dirs:
            raise InvalidInput(
                f"project_dir {data.project_dir!r} is not one of the user's project folders."
            )
        return data.project_dir
    if not user.project_dirs:
        raise InvalidInput(
            "zarr_dir is required: the user has no project folder (project_dir) "
            "to put the dataset in."
        )
    return user.project_dirs[0]


def _placed_zarr_dir(base: str, project: Project, dataset: Dataset, subfolder: str | None) -> str:
    if subfolder is not None:
        return normalize_zarr_path(f"{base}/{subfolder}")
    return normalize_zarr_path(
        f"{base}/fractal/{project.id}_{slug(project.name)}/{dataset.id}_{slug(dataset.name)}"
    )


async def create_dataset(
    session: AsyncSession, user: User, project: Project, *, data: DatasetCreate
) -> Dataset:
    """Create a dataset; without a `zarr_dir`, put it in a project folder of the user."""
    base = None if data.zarr_dir is not None else _project_dir(user, data)
    dataset = Dataset(name=data.name, project_id=project.id, zarr_dir=data.zarr_dir or "")
    session.add(dataset)
    await session.flush()  # the default zarr_dir contains the new id
    if base is not None:
        dataset.zarr_dir = _placed_zarr_dir(base, project, dataset, data.zarr_subfolder)
        await session.flush()
    return dataset


async def update_dataset(
    session: AsyncSession, dataset: Dataset, *, data: DatasetUpdate
) -> Dataset:
    if data.name is not None:
        dataset.name = data.name
    if data.zarr_dir is not None and data.zarr_dir != dataset.zarr_dir:
        if await images.has_any(session, dataset.id):
            raise InvalidInput(
                f"Cannot change zarr_dir of dataset {dataset.id}: it has images "
                "(delete them first)."
            )
        dataset.zarr_dir = data.zarr_dir
    await session.flush()
    return dataset


async def delete_dataset(session: AsyncSession, dataset: Dataset) -> None:
    """Delete the dataset and its images (database cascade); 422 while a job on it is
    submitted."""
    await check_dataset_idle(session, dataset.id, action="delete")
    await session.delete(dataset)
    await session.flush()


async def export_dataset(session: AsyncSession, dataset: Dataset) -> DatasetExportJSON:
    rows = await images.fetch_json(session, ImageSelection(dataset_id=dataset.id))
    return DatasetExportJSON(name=dataset.name, zarr_dir=dataset.zarr_dir, images=rows)


async def import_dataset(
    session: AsyncSession, project: Project, *, data: DatasetImport
) -> Dataset:
    """Create a dataset with its images in one transaction (the schema has checked that
    every image is inside `zarr_dir` and that no zarr_url repeats)."""
    dataset = Dataset(name=data.name, project_id=project.id, zarr_dir=data.zarr_dir)
    session.add(dataset)
    await session.flush()
    await images.insert_many(session, dataset.id, [image.model_dump() for image in data.images])
    return dataset
