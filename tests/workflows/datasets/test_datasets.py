"""/api/v2/project/{project_id}/dataset/: CRUD, default zarr_dir, isolation, export/import."""

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import update

from qfractal.auth.models import User
from qfractal.workflows.datasets.schemas import DatasetExport
from qfractal.workflows.datasets.service import slug
from tests.conftest import Account
from tests.workflows.datasets.helpers import (
    create_dataset,
    create_project,
    dataset_url,
    datasets_url,
    image_rows,
    images_url,
    import_dataset,
    query_images,
)

IMAGES = [
    {"zarr_url": "/zarr/plate.zarr/A/01/0", "attributes": {"well": "A01", "z": 1}, "types": {}},
    {
        "zarr_url": "/zarr/plate.zarr/A/02/0",
        "origin": "/raw/A02",
        "attributes": {"well": "A02", "z": 2.5, "ok": True},
        "types": {"is_3D": True},
    },
]


async def test_create_list_get_patch_delete(client: httpx.AsyncClient, user: Account) -> None:
    project = await create_project(client, user, "p1")
    dataset = await create_dataset(client, user, project["id"], name="ds1", zarr_dir="/tmp/z/")
    assert set(dataset) == {"id", "name", "project_id", "project", "timestamp_created", "zarr_dir"}
    assert dataset["project"] == project
    assert (dataset["name"], dataset["project_id"]) == ("ds1", project["id"])
    assert dataset["zarr_dir"] == "/tmp/z"

    listed = (await client.get(datasets_url(project["id"]), headers=user.headers)).json()
    assert listed == [dataset]
    url = dataset_url(dataset)
    assert (await client.get(url, headers=user.headers)).json() == dataset

    patched = await client.patch(url, json={"name": "renamed"}, headers=user.headers)
    assert patched.status_code == 200
    assert patched.json() == {**dataset, "name": "renamed"}

    assert (await client.delete(url, headers=user.headers)).status_code == 204
    assert (await client.get(url, headers=user.headers)).status_code == 404
    assert (await client.get(datasets_url(project["id"]), headers=user.headers)).json() == []


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("plain", "plain"),
        ("My Dataset", "my_dataset"),
        ("a  b--c", "a_b_c"),
        ("Raw (v2)!", "raw_v2_"),
        ("tab\tand\nnewline", "tab_and_newline"),
        ("ünïcode", "ünïcode"),
    ],
)
def test_slug(name: str, expected: str) -> None:
    assert slug(name) == expected


async def test_default_zarr_dir(client: httpx.AsyncClient, user: Account) -> None:
    project = await create_project(client, user, "My Project!")
    dataset = await create_dataset(client, user, project["id"], name="Raw  data (v2)")
    assert dataset["zarr_dir"] == (
        f"/data/user/fractal/{project['id']}_my_project_/{dataset['id']}_raw_data_v2_"
    )


async def test_default_zarr_dir_needs_a_project_dir(
    app: FastAPI, client: httpx.AsyncClient, user: Account
) -> None:
    project = await create_project(client, user)
    # No API route removes every project folder of a user: change the row directly.
    async with app.state.database.sessionmaker() as session, session.begin():
        await session.execute(update(User).where(User.id == user.id).values(project_dirs=[]))
    response = await client.post(
        datasets_url(project["id"]), json={"name": "ds"}, headers=user.headers
    )
    assert response.status_code == 422
    assert "zarr_dir" in response.json()["detail"]
    assert (await client.get(datasets_url(project["id"]), headers=user.headers)).json() == []
    await create_dataset(client, user, project["id"], zarr_dir="/explicit")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "name"),
        ({"name": ""}, "name"),
        ({"name": "  "}, "name"),
        ({"name": 3}, "name"),
        ({"name": "nul\u0000"}, "name"),
        ({"name": "d", "zarr_dir": "relative/path"}, "zarr_dir"),
        ({"name": "d", "zarr_dir": ""}, "zarr_dir"),
        ({"name": "d", "extra": 1}, "extra"),
    ],
    ids=["missing", "empty", "blank", "not-a-string", "nul", "relative-dir", "empty-dir", "extra"],
)
async def test_bad_create_bodies_name_the_field(
    client: httpx.AsyncClient, user: Account, body: dict, field: str
) -> None:
    project = await create_project(client, user)
    response = await client.post(datasets_url(project["id"]), json=body, headers=user.headers)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][:2] == ["body", field]


async def test_zarr_dir_is_normalized(client: httpx.AsyncClient, user: Account) -> None:
    project = await create_project(client, user)
    dataset = await create_dataset(client, user, project["id"], zarr_dir=" //a/./b/../c// ")
    assert dataset["zarr_dir"] == "/a/c"


async def test_zarr_dir_changes_only_without_images(
    client: httpx.AsyncClient, user: Account
) -> None:
    project = await create_project(client, user)
    dataset = await create_dataset(client, user, project["id"], zarr_dir="/zarr")
    url = dataset_url(dataset)
    moved = await client.patch(url, json={"zarr_dir": "/moved/"}, headers=user.headers)
    assert moved.status_code == 200
    assert moved.json()["zarr_dir"] == "/moved"

    image = {"zarr_url": "/moved/img"}
    assert (
        await client.post(images_url(dataset), json=image, headers=user.headers)
    ).status_code == 201
    refused = await client.patch(url, json={"zarr_dir": "/elsewhere"}, headers=user.headers)
    assert refused.status_code == 422
    assert "zarr_dir" in refused.json()["detail"]
    same = await client.patch(url, json={"zarr_dir": "/moved", "name": "n"}, headers=user.headers)
    assert same.status_code == 200
    assert same.json()["zarr_dir"] == "/moved"

    bad = await client.patch(url, json={"zarr_dir": "rel"}, headers=user.headers)
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["body", "zarr_dir"]
    extra = await client.patch(url, json={"images": []}, headers=user.headers)
    assert extra.status_code == 422


async def test_datasets_are_looked_up_inside_their_project(
    client: httpx.AsyncClient, user: Account
) -> None:
    first = await create_project(client, user, "first")
    second = await create_project(client, user, "second")
    dataset = await create_dataset(client, user, first["id"])
    elsewhere = f"{datasets_url(second['id'])}{dataset['id']}/"
    assert (await client.get(elsewhere, headers=user.headers)).status_code == 404
    assert (await client.get(f"{elsewhere}export/", headers=user.headers)).status_code == 404
    assert (await client.delete(elsewhere, headers=user.headers)).status_code == 404
    assert (await client.get(dataset_url(dataset), headers=user.headers)).status_code == 200


async def test_unknown_ids(client: httpx.AsyncClient, user: Account) -> None:
    project = await create_project(client, user)
    for url in (datasets_url(999), f"{datasets_url(project['id'])}999/"):
        response = await client.get(url, headers=user.headers)
        assert response.status_code == 404
        assert "not found" in response.json()["detail"]
    huge = await client.get(f"{datasets_url(project['id'])}1398545574617/", headers=user.headers)
    assert huge.status_code == 422
    assert huge.json()["detail"][0]["loc"] == ["path", "dataset_id"]


async def test_another_users_datasets_are_invisible_and_untouchable(
    app: FastAPI, client: httpx.AsyncClient, user: Account, other_user: Account
) -> None:
    project = await create_project(client, user)
    dataset = await import_dataset(client, user, project["id"], IMAGES)
    url = dataset_url(dataset)
    intruder = other_user.headers
    calls = [
        client.get(datasets_url(project["id"]), headers=intruder),
        client.post(datasets_url(project["id"]), json={"name": "x"}, headers=intruder),
        client.post(
            f"{datasets_url(project['id'])}import/",
            json={"name": "x", "zarr_dir": "/x"},
            headers=intruder,
        ),
        client.get(url, headers=intruder),
        client.patch(url, json={"name": "stolen"}, headers=intruder),
        client.delete(url, headers=intruder),
        client.get(f"{url}export/", headers=intruder),
    ]
    for call in calls:
        assert (await call).status_code == 404
    assert (await client.get(url, headers=user.headers)).json() == dataset
    assert await image_rows(app, dataset["id"]) == len(IMAGES)


async def test_export_import_round_trip(client: httpx.AsyncClient, user: Account) -> None:
    project = await create_project(client, user)
    original = await create_dataset(client, user, project["id"], name="orig", zarr_dir="/zarr")
    for image in IMAGES:
        added = await client.post(images_url(original), json=image, headers=user.headers)
        assert added.status_code == 201
    exported = await client.get(f"{dataset_url(original)}export/", headers=user.headers)
    assert exported.status_code == 200
    body = exported.json()
    DatasetExport.model_validate(body)  # the answer is written without the model
    assert body["name"] == "orig"
    assert body["zarr_dir"] == "/zarr"
    assert [image["zarr_url"] for image in body["images"]] == [i["zarr_url"] for i in IMAGES]
    assert body["images"][0]["origin"] is None

    other_project = await create_project(client, user, "other")
    body["name"] = "copy"
    copy = await client.post(
        f"{datasets_url(other_project['id'])}import/", json=body, headers=user.headers
    )
    assert copy.status_code == 201
    copy_dataset = copy.json()
    assert copy_dataset["project"] == other_project
    assert (copy_dataset["name"], copy_dataset["zarr_dir"]) == ("copy", "/zarr")

    first = await query_images(client, user, original)
    second = await query_images(client, user, copy_dataset)
    assert second == first
    assert [image["zarr_url"] for image in second["items"]] == [i["zarr_url"] for i in IMAGES]
    again = await client.get(f"{dataset_url(copy_dataset)}export/", headers=user.headers)
    assert again.json() == {**exported.json(), "name": "copy"}


async def test_import_ignores_legacy_fields_and_defaults_to_no_images(
    client: httpx.AsyncClient, user: Account
) -> None:
    project = await create_project(client, user)
    response = await client.post(
        f"{datasets_url(project['id'])}import/",
        json={"name": "old", "zarr_dir": "/zarr/", "filters": {"attributes": {}, "types": {}}},
        headers=user.headers,
    )
    assert response.status_code == 201
    dataset = response.json()
    assert dataset["zarr_dir"] == "/zarr"
    assert (await query_images(client, user, dataset))["items"] == []


@pytest.mark.parametrize(
    ("images", "message"),
    [
        ([{"zarr_url": "/elsewhere/img"}], "not inside"),
        ([{"zarr_url": "/zarrfile/img"}], "not inside"),
        ([{"zarr_url": "/zarr"}], "not inside"),
        ([{"zarr_url": "/zarr/a"}, {"zarr_url": "/zarr/b/../a"}], "twice"),
        ([{"zarr_url": "/zarr/a", "attributes": {"k": None}}], ""),
    ],
    ids=["outside", "sibling-prefix", "equal-to-zarr-dir", "duplicate", "null-attribute"],
)
async def test_bad_import_writes_nothing(
    app: FastAPI, client: httpx.AsyncClient, user: Account, images: list, message: str
) -> None:
    project = await create_project(client, user)
    response = await client.post(
        f"{datasets_url(project['id'])}import/",
        json={"name": "bad", "zarr_dir": "/zarr", "images": [{"zarr_url": "/zarr/ok"}, *images]},
        headers=user.headers,
    )
    assert response.status_code == 422
    error = response.json()["detail"][0]
    assert error["loc"][:2] == ["body", "images"]
    assert message in error["msg"]
    assert (await client.get(datasets_url(project["id"]), headers=user.headers)).json() == []
    assert await image_rows(app) == 0


async def test_deleting_a_dataset_or_project_deletes_its_images(
    app: FastAPI, client: httpx.AsyncClient, user: Account
) -> None:
    project = await create_project(client, user)
    kept = await import_dataset(client, user, project["id"], IMAGES, name="kept")
    dropped = await import_dataset(client, user, project["id"], IMAGES, name="dropped")
    assert await image_rows(app) == 2 * len(IMAGES)

    assert (await client.delete(dataset_url(dropped), headers=user.headers)).status_code == 204
    assert await image_rows(app, dropped["id"]) == 0
    assert await image_rows(app, kept["id"]) == len(IMAGES)

    project_url = f"/api/v2/project/{project['id']}/"
    assert (await client.delete(project_url, headers=user.headers)).status_code == 204
    assert await image_rows(app) == 0


async def test_client_218_places_datasets_by_project_dir_and_subfolder(
    client: httpx.AsyncClient, user: Account
) -> None:
    """fractal-client 2.18 sends `project_dir` and `zarr_subfolder` instead of `zarr_dir`."""
    project = await create_project(client, user)
    home = "/data/user"  # the `user` fixture's project folder
    placed = await create_dataset(
        client, user, project["id"], project_dir=home, zarr_subfolder="plates/./a/"
    )
    assert placed["zarr_dir"] == f"{home}/plates/a"
    default = await create_dataset(client, user, project["id"], name="Second DS", project_dir=home)
    assert default["zarr_dir"] == f"{home}/fractal/{project['id']}_proj/{default['id']}_second_ds"

    for body, field in [
        ({"zarr_subfolder": "../escape"}, "zarr_subfolder"),
        ({"zarr_subfolder": "/abs"}, "zarr_subfolder"),
        ({"zarr_dir": "/z", "zarr_subfolder": "a"}, None),
    ]:
        response = await client.post(
            datasets_url(project["id"]), json={"name": "x", **body}, headers=user.headers
        )
        assert response.status_code == 422, body
        if field is not None:
            assert response.json()["detail"][0]["loc"] == ["body", field]
    foreign = await client.post(
        datasets_url(project["id"]),
        json={"name": "x", "project_dir": "/data/other"},
        headers=user.headers,
    )
    assert foreign.status_code == 422
    assert "not one of the user's project folders" in foreign.json()["detail"]
