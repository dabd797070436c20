"""/api/v2/project/: CRUD, per-user names, isolation between users, access rules."""

import httpx
import pytest
from fastapi import FastAPI

from tests.conftest import Account, make_user

PROJECTS = "/api/v2/project/"


async def create_project(client: httpx.AsyncClient, account: Account, name: str) -> dict:
    response = await client.post(PROJECTS, json={"name": name}, headers=account.headers)
    assert response.status_code == 201, response.text
    return response.json()


async def test_create_list_get_patch_delete(client: httpx.AsyncClient, user: Account) -> None:
    project = await create_project(client, user, "p1")
    assert set(project) == {"id", "name", "timestamp_created"}
    assert project["name"] == "p1"

    listed = (await client.get(PROJECTS, headers=user.headers)).json()
    assert [p["id"] for p in listed] == [project["id"]]

    url = f"{PROJECTS}{project['id']}/"
    assert (await client.get(url, headers=user.headers)).json() == project

    patched = await client.patch(url, json={"name": "renamed"}, headers=user.headers)
    assert patched.status_code == 200
    assert patched.json()["name"] == "renamed"

    assert (await client.delete(url, headers=user.headers)).status_code == 204
    assert (await client.get(url, headers=user.headers)).status_code == 404
    assert (await client.get(PROJECTS, headers=user.headers)).json() == []


async def test_names_are_unique_per_user(
    client: httpx.AsyncClient, user: Account, other_user: Account
) -> None:
    first = await create_project(client, user, "same")
    duplicate = await client.post(PROJECTS, json={"name": "same"}, headers=user.headers)
    assert duplicate.status_code == 422
    assert "same" in duplicate.json()["detail"]
    await create_project(client, other_user, "same")  # another user may use the name

    second = await create_project(client, user, "second")
    clash = await client.patch(
        f"{PROJECTS}{second['id']}/", json={"name": "same"}, headers=user.headers
    )
    assert clash.status_code == 422
    keep = await client.patch(
        f"{PROJECTS}{first['id']}/", json={"name": "same"}, headers=user.headers
    )
    assert keep.status_code == 200


async def test_another_users_project_is_invisible_and_untouchable(
    client: httpx.AsyncClient, user: Account, other_user: Account
) -> None:
    project = await create_project(client, user, "mine")
    url = f"{PROJECTS}{project['id']}/"
    assert (await client.get(PROJECTS, headers=other_user.headers)).json() == []
    assert (await client.get(url, headers=other_user.headers)).status_code == 404
    patch = await client.patch(url, json={"name": "x"}, headers=other_user.headers)
    assert patch.status_code == 404
    assert (await client.delete(url, headers=other_user.headers)).status_code == 404
    assert (await client.get(url, headers=user.headers)).json()["name"] == "mine"


@pytest.mark.parametrize(
    "body",
    [{}, {"name": ""}, {"name": "   "}, {"name": "p", "extra": 1}, {"name": 3}],
    ids=["missing", "empty", "blank", "extra-field", "not-a-string"],
)
async def test_bad_bodies_are_422(client: httpx.AsyncClient, user: Account, body: dict) -> None:
    response = await client.post(PROJECTS, json=body, headers=user.headers)
    assert response.status_code == 422
    assert isinstance(response.json()["detail"], list)


async def test_unknown_and_out_of_range_ids(client: httpx.AsyncClient, user: Account) -> None:
    assert (await client.get(f"{PROJECTS}12345/", headers=user.headers)).status_code == 404
    huge = await client.get(f"{PROJECTS}1398545574617/", headers=user.headers)
    assert huge.status_code == 422
    assert huge.json()["detail"][0]["loc"] == ["path", "project_id"]


async def test_who_may_use_the_api(
    app: FastAPI, client: httpx.AsyncClient, profile_id: int
) -> None:
    assert (await client.get(PROJECTS)).status_code == 401
    unverified = await make_user(
        app, client, "unverified@example.org", verified=False, profile_id=profile_id
    )
    assert (await client.get(PROJECTS, headers=unverified.headers)).status_code == 403
    no_profile = await make_user(app, client, "noprofile@example.org")
    response = await client.get(PROJECTS, headers=no_profile.headers)
    assert response.status_code == 403
    assert "profile" in response.json()["detail"]


async def test_nul_in_a_name_is_422(client: httpx.AsyncClient, user: Account) -> None:
    response = await client.post(PROJECTS, json={"name": "a\u0000b"}, headers=user.headers)
    assert response.status_code == 422
    assert "NUL" in response.json()["detail"][0]["msg"]
