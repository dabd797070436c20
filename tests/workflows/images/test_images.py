"""/images/ POST, PATCH, DELETE: validation, the zarr_dir rule, duplicates, isolation."""

import httpx
import pytest
from fastapi import FastAPI

from qfractal.workflows.images import queries
from tests.conftest import Account
from tests.workflows.datasets.helpers import (
    create_dataset,
    create_project,
    image_rows,
    images_url,
    query_images,
)


@pytest.fixture
async def dataset(client: httpx.AsyncClient, user: Account) -> dict:
    project = await create_project(client, user)
    return await create_dataset(client, user, project["id"], zarr_dir="/zarr/dir")


async def test_add_update_delete(client: httpx.AsyncClient, user: Account, dataset: dict) -> None:
    url = images_url(dataset)
    image = {
        "zarr_url": "/zarr/dir/plate.zarr/B/03/0/",
        "origin": "/raw//B03",
        "attributes": {" well ": "B03", "z": 3},
        "types": {"is_3D": True},
    }
    added = await client.post(url, json=image, headers=user.headers)
    assert added.status_code == 201
    assert added.content == b""
    stored = {
        "zarr_url": "/zarr/dir/plate.zarr/B/03/0",
        "origin": "/raw/B03",
        "attributes": {"well": "B03", "z": 3},
        "types": {"is_3D": True},
    }
    assert (await query_images(client, user, dataset))["items"] == [stored]

    new_attributes = {"well": "B04", "flag": False}
    patched = await client.patch(
        url,
        json={"zarr_url": stored["zarr_url"], "attributes": new_attributes},
        headers=user.headers,
    )
    assert patched.status_code == 200
    assert patched.json() == {**stored, "attributes": new_attributes}  # replaced, types kept

    patched = await client.patch(
        url, json={"zarr_url": stored["zarr_url"] + "/", "types": {}}, headers=user.headers
    )
    assert patched.json() == {**stored, "attributes": new_attributes, "types": {}}
    untouched = await client.patch(url, json={"zarr_url": stored["zarr_url"]}, headers=user.headers)
    assert untouched.json() == patched.json()
    assert (await query_images(client, user, dataset))["items"] == [patched.json()]

    deleted = await client.delete(
        url, params={"zarr_url": stored["zarr_url"]}, headers=user.headers
    )
    assert deleted.status_code == 204
    assert (await query_images(client, user, dataset))["items"] == []


@pytest.mark.parametrize(
    ("zarr_url", "message"),
    [
        ("/elsewhere/img", "not inside"),
        ("/zarr/dirty/img", "not inside"),  # a string prefix, but not inside the folder
        ("/zarr", "not inside"),
        ("/zarr/dir", "equal"),
        ("/zarr/dir/", "equal"),
        ("/zarr/dir/x/..", "equal"),
    ],
)
async def test_zarr_url_must_be_strictly_inside_zarr_dir(
    app: FastAPI,
    client: httpx.AsyncClient,
    user: Account,
    dataset: dict,
    zarr_url: str,
    message: str,
) -> None:
    response = await client.post(
        images_url(dataset), json={"zarr_url": zarr_url}, headers=user.headers
    )
    assert response.status_code == 422
    assert message in response.json()["detail"]
    assert "zarr_dir" in response.json()["detail"]
    assert await image_rows(app) == 0


async def test_duplicates_are_refused(
    app: FastAPI, client: httpx.AsyncClient, user: Account, dataset: dict
) -> None:
    url = images_url(dataset)
    assert (
        await client.post(url, json={"zarr_url": "/zarr/dir/a"}, headers=user.headers)
    ).status_code == 201
    again = await client.post(url, json={"zarr_url": "/zarr/dir/./a/"}, headers=user.headers)
    assert again.status_code == 422
    assert (
        again.json()["detail"]
        == f"Image with zarr_url '/zarr/dir/a' already in dataset {dataset['id']}."
    )
    # Another dataset may hold the same zarr_url.
    other = await create_dataset(client, user, dataset["project_id"], zarr_dir="/zarr/dir")
    assert (
        await client.post(images_url(other), json={"zarr_url": "/zarr/dir/a"}, headers=user.headers)
    ).status_code == 201
    assert await image_rows(app) == 2


async def test_a_lost_race_is_the_same_422(
    app: FastAPI,
    client: httpx.AsyncClient,
    user: Account,
    dataset: dict,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two requests adding one zarr_url can both pass the duplicate check; the unique
    constraint refuses the second. The check is skipped here to play the loser's part."""
    url = images_url(dataset)
    assert (
        await client.post(url, json={"zarr_url": "/zarr/dir/a"}, headers=user.headers)
    ).status_code == 201

    async def check_passed(*_: object) -> None:
        return None

    monkeypatch.setattr(queries, "find", check_passed)
    loser = await client.post(url, json={"zarr_url": "/zarr/dir/a"}, headers=user.headers)
    assert loser.status_code == 422
    assert "already in dataset" in loser.json()["detail"]
    assert await image_rows(app) == 1


@pytest.mark.parametrize(
    ("image", "loc"),
    [
        ({}, ["body", "zarr_url"]),
        ({"zarr_url": ""}, ["body", "zarr_url"]),
        ({"zarr_url": "relative/img"}, ["body", "zarr_url"]),
        ({"zarr_url": "/zarr/dir/a", "origin": "rel"}, ["body", "origin"]),
        ({"zarr_url": "/zarr/dir/a", "attributes": {"k": None}}, ["body", "attributes", "k"]),
        ({"zarr_url": "/zarr/dir/a", "attributes": {"k": [1]}}, ["body", "attributes", "k"]),
        ({"zarr_url": "/zarr/dir/a", "attributes": {"k": {"x": 1}}}, ["body", "attributes", "k"]),
        ({"zarr_url": "/zarr/dir/a", "attributes": {" ": 1}}, ["body", "attributes"]),
        ({"zarr_url": "/zarr/dir/a", "attributes": {"k": 1, " k": 2}}, ["body", "attributes"]),
        ({"zarr_url": "/zarr/dir/a", "types": {"t": "maybe"}}, ["body", "types", "t"]),
        ({"zarr_url": "/zarr/dir/a", "types": {"": True}}, ["body", "types"]),
        ({"zarr_url": "/zarr/dir/a\u0000"}, ["body", "zarr_url"]),
        ({"zarr_url": "/zarr/dir/a", "attributes": {"k": "\u0000"}}, ["body", "attributes", "k"]),
        ({"zarr_url": "/zarr/dir/a", "attributes": {"k\u0000": 1}}, ["body", "attributes"]),
        ({"zarr_url": "/zarr/dir/a", "attributes": {"k": 2**64}}, ["body", "attributes", "k"]),
    ],
    ids=[
        "no-zarr-url",
        "empty-zarr-url",
        "relative-zarr-url",
        "relative-origin",
        "null-attribute",
        "list-attribute",
        "object-attribute",
        "blank-key",
        "keys-clash-once-stripped",
        "non-bool-type",
        "empty-type-key",
        "nul-in-zarr-url",
        "nul-in-value",
        "nul-in-key",
        "int-beyond-64-bits",
    ],
)
async def test_bad_images_name_the_field(
    client: httpx.AsyncClient, user: Account, dataset: dict, image: dict, loc: list
) -> None:
    response = await client.post(images_url(dataset), json=image, headers=user.headers)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][: len(loc)] == loc


async def test_non_finite_numbers_are_refused(
    client: httpx.AsyncClient, user: Account, dataset: dict
) -> None:
    body = b'{"zarr_url": "/zarr/dir/a", "attributes": {"k": NaN}}'
    response = await client.post(
        images_url(dataset),
        content=body,
        headers={**user.headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][:3] == ["body", "attributes", "k"]


async def test_unknown_images_are_404(
    client: httpx.AsyncClient, user: Account, dataset: dict
) -> None:
    url = images_url(dataset)
    patch = await client.patch(
        url, json={"zarr_url": "/zarr/dir/none", "types": {}}, headers=user.headers
    )
    assert patch.status_code == 404
    assert "/zarr/dir/none" in patch.json()["detail"]
    for zarr_url in ("/zarr/dir/none", "not-even-absolute"):
        delete = await client.delete(url, params={"zarr_url": zarr_url}, headers=user.headers)
        assert delete.status_code == 404
    for params in ({}, {"zarr_url": "/zarr/dir/\u0000"}):
        bad = await client.delete(url, params=params, headers=user.headers)
        assert bad.status_code == 422
        assert bad.json()["detail"][0]["loc"] == ["query", "zarr_url"]
    nul = await client.post(
        images_url(dataset, "query/"), json={"zarr_url": "rel\u0000"}, headers=user.headers
    )
    assert nul.status_code == 422
    assert nul.json()["detail"][0]["loc"] == ["body", "zarr_url"]


async def test_another_users_images_are_invisible_and_untouchable(
    client: httpx.AsyncClient, user: Account, other_user: Account, dataset: dict
) -> None:
    url = images_url(dataset)
    image = {"zarr_url": "/zarr/dir/a", "attributes": {"k": 1}}
    assert (await client.post(url, json=image, headers=user.headers)).status_code == 201
    intruder = other_user.headers
    calls = [
        client.post(url, json={"zarr_url": "/zarr/dir/b"}, headers=intruder),
        client.patch(url, json={"zarr_url": "/zarr/dir/a", "attributes": {}}, headers=intruder),
        client.delete(url, params={"zarr_url": "/zarr/dir/a"}, headers=intruder),
        client.post(images_url(dataset, "query/"), headers=intruder),
        client.post(images_url(dataset, "verify-unique-types/"), headers=intruder),
    ]
    for call in calls:
        assert (await call).status_code == 404
    items = (await query_images(client, user, dataset))["items"]
    assert items == [{**image, "origin": None, "types": {}}]


async def test_images_are_looked_up_inside_the_project(
    client: httpx.AsyncClient, user: Account, dataset: dict
) -> None:
    other_project = await create_project(client, user, "other")
    wrong = {**dataset, "project_id": other_project["id"]}
    response = await client.post(
        images_url(wrong), json={"zarr_url": "/zarr/dir/a"}, headers=user.headers
    )
    assert response.status_code == 404
    unknown = {**dataset, "id": 9999}
    assert (
        await client.post(images_url(unknown, "query/"), headers=user.headers)
    ).status_code == 404
