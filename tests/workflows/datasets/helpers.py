"""Projects, datasets and images made through the API, for the dataset and image tests."""

from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select

from qfractal.workflows.images.schemas import ImagePage
from qfractal.workflows.models import Image
from tests.conftest import Account

PROJECTS = "/api/v2/project/"


def datasets_url(project_id: int) -> str:
    return f"{PROJECTS}{project_id}/dataset/"


def dataset_url(dataset: dict[str, Any]) -> str:
    return f"{datasets_url(dataset['project_id'])}{dataset['id']}/"


def images_url(dataset: dict[str, Any], action: str = "") -> str:
    return f"{dataset_url(dataset)}images/{action}"


async def create_project(client: httpx.AsyncClient, account: Account, name: str = "proj") -> dict:
    response = await client.post(PROJECTS, json={"name": name}, headers=account.headers)
    assert response.status_code == 201, response.text
    return response.json()


async def create_dataset(
    client: httpx.AsyncClient, account: Account, project_id: int, **body: Any
) -> dict:
    body.setdefault("name", "ds")
    response = await client.post(datasets_url(project_id), json=body, headers=account.headers)
    assert response.status_code == 201, response.text
    return response.json()


async def import_dataset(
    client: httpx.AsyncClient,
    account: Account,
    project_id: int,
    images: list[dict[str, Any]],
    *,
    name: str = "imported",
    zarr_dir: str = "/zarr",
) -> dict:
    response = await client.post(
        f"{datasets_url(project_id)}import/",
        json={"name": name, "zarr_dir": zarr_dir, "images": images},
        headers=account.headers,
    )
    assert response.status_code == 201, response.text
    return response.json()


async def query_images(
    client: httpx.AsyncClient,
    account: Account,
    dataset: dict[str, Any],
    body: dict[str, Any] | None = None,
    **params: Any,
) -> dict:
    response = await client.post(
        images_url(dataset, "query/"), json=body, params=params, headers=account.headers
    )
    assert response.status_code == 200, response.text
    ImagePage.model_validate(response.json())  # the answer is written without the model
    return response.json()


async def image_rows(app: FastAPI, dataset_id: int | None = None) -> int:
    """How many image rows the database holds (for one dataset, or in all)."""
    query = select(func.count()).select_from(Image)
    if dataset_id is not None:
        query = query.where(Image.dataset_id == dataset_id)
    async with app.state.database.sessionmaker() as session:
        return (await session.execute(query)).scalar_one()
