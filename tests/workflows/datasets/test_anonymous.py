"""Every dataset and image route refuses anonymous callers, even for objects that exist."""

import httpx
import pytest

from tests.conftest import Account
from tests.workflows.datasets.helpers import create_project, import_dataset

ROUTES = [
    ("GET", "dataset/"),
    ("POST", "dataset/"),
    ("POST", "dataset/import/"),
    ("GET", "dataset/{ds}/"),
    ("PATCH", "dataset/{ds}/"),
    ("DELETE", "dataset/{ds}/"),
    ("GET", "dataset/{ds}/export/"),
    ("POST", "dataset/{ds}/images/"),
    ("PATCH", "dataset/{ds}/images/"),
    ("DELETE", "dataset/{ds}/images/?zarr_url=/zarr/a"),
    ("POST", "dataset/{ds}/images/query/"),
    ("POST", "dataset/{ds}/images/verify-unique-types/"),
    ("POST", "dataset/{ds}/images/non-processed/?workflow_id=1&workflowtask_id=1"),
]


@pytest.mark.parametrize(("method", "path"), ROUTES, ids=[f"{m} {p}" for m, p in ROUTES])
async def test_anonymous_is_401(
    client: httpx.AsyncClient, user: Account, method: str, path: str
) -> None:
    project = await create_project(client, user)
    dataset = await import_dataset(client, user, project["id"], [{"zarr_url": "/zarr/a"}])
    url = f"/api/v2/project/{project['id']}/" + path.format(ds=dataset["id"])
    body = None if method in ("GET", "DELETE") else {}
    response = await client.request(method, url, json=body)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
