"""Superuser routes /auth/group/... (fractal-server 2.17 wire format).

The group helpers at the top are shared with test_users.py.
"""

from datetime import datetime
from typing import Any

import httpx
import pytest

from qfractal.ids import MAX_ID
from tests.auth.test_login import assert_error, assert_validation_error
from tests.conftest import Account

GROUPS = "/auth/group/"
UNKNOWN_ID = 9999


# --- helpers shared with test_users.py ------------------------------------------------------


async def post_group(client: httpx.AsyncClient, admin: Account, body: dict) -> httpx.Response:
    return await client.post(GROUPS, json=body, headers=admin.headers)


async def create_group(
    client: httpx.AsyncClient, admin: Account, name: str, viewer_paths: list[str] | None = None
) -> dict[str, Any]:
    response = await post_group(client, admin, {"name": name, "viewer_paths": viewer_paths or []})
    assert response.status_code == 201, response.text
    return response.json()


async def list_groups(
    client: httpx.AsyncClient, admin: Account, *, user_ids: bool = False
) -> list[dict[str, Any]]:
    params = {"user_ids": "true"} if user_ids else {}
    response = await client.get(GROUPS, params=params, headers=admin.headers)
    assert response.status_code == 200, response.text
    return response.json()


async def groups_by_name(
    client: httpx.AsyncClient, admin: Account, *, user_ids: bool = False
) -> dict[str, dict[str, Any]]:
    return {group["name"]: group for group in await list_groups(client, admin, user_ids=user_ids)}


async def default_group_id(client: httpx.AsyncClient, admin: Account) -> int:
    return (await groups_by_name(client, admin))["All"]["id"]


async def group_action(
    client: httpx.AsyncClient, admin: Account, action: str, group_id: int, user_id: int
) -> httpx.Response:
    """POST /auth/group/{group_id}/{action}/{user_id}/ with action add-user or remove-user."""
    return await client.post(f"{GROUPS}{group_id}/{action}/{user_id}/", headers=admin.headers)


async def add_user(
    client: httpx.AsyncClient, admin: Account, group_id: int, user_id: int
) -> dict[str, Any]:
    response = await group_action(client, admin, "add-user", group_id, user_id)
    assert response.status_code == 200, response.text
    return response.json()


async def get_group(client: httpx.AsyncClient, admin: Account, group_id: int) -> httpx.Response:
    return await client.get(f"{GROUPS}{group_id}/", headers=admin.headers)


async def members(client: httpx.AsyncClient, admin: Account, group_id: int) -> list[int]:
    response = await get_group(client, admin, group_id)
    assert response.status_code == 200, response.text
    return response.json()["user_ids"]


# --- helpers of this module -----------------------------------------------------------------


async def user_group_names(client: httpx.AsyncClient, user: Account) -> list[str]:
    response = await client.get(
        "/auth/current-user/", params={"group_ids_names": "true"}, headers=user.headers
    )
    assert response.status_code == 200, response.text
    return [name for _, name in response.json()["group_ids_names"]]


async def patch_group(
    client: httpx.AsyncClient, admin: Account, group_id: int, body: dict
) -> httpx.Response:
    return await client.patch(f"{GROUPS}{group_id}/", json=body, headers=admin.headers)


async def delete_group(client: httpx.AsyncClient, admin: Account, group_id: int) -> httpx.Response:
    return await client.delete(f"{GROUPS}{group_id}/", headers=admin.headers)


# --- create ---------------------------------------------------------------------------------


async def test_create_group(client: httpx.AsyncClient, admin: Account) -> None:
    group = await create_group(client, admin, "lab", ["/shared/lab", "/shared/common"])
    assert set(group) == {"id", "name", "viewer_paths", "timestamp_created", "user_ids"}
    assert group["name"] == "lab"
    assert group["viewer_paths"] == ["/shared/lab", "/shared/common"]
    assert group["user_ids"] == []
    assert datetime.fromisoformat(group["timestamp_created"]).tzinfo is not None

    response = await get_group(client, admin, group["id"])
    assert response.status_code == 200
    assert response.json() == group


async def test_create_group_without_viewer_paths(client: httpx.AsyncClient, admin: Account) -> None:
    response = await post_group(client, admin, {"name": "lab"})
    assert response.status_code == 201, response.text
    assert response.json()["viewer_paths"] == []


async def test_create_group_with_duplicate_name_is_422(
    client: httpx.AsyncClient, admin: Account
) -> None:
    first = await create_group(client, admin, "lab", ["/shared/lab"])
    response = await post_group(client, admin, {"name": "lab", "viewer_paths": ["/other"]})
    assert_error(response, 422, "A group named 'lab' already exists.")
    groups = await list_groups(client, admin)
    assert [g for g in groups if g["name"] == "lab"] == [{**first, "user_ids": None}]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "lab", "viewer_paths": ["relative/path"]}, "viewer_paths"),
        ({"name": "lab", "viewer_paths": ["/shared/lab;rm -rf /"]}, "viewer_paths"),
        ({"name": "lab", "unknown": 1}, "unknown"),
        ({"name": "lab", "user_ids": [1]}, "user_ids"),
        ({"name": ""}, "name"),
        ({"viewer_paths": ["/shared/lab"]}, "name"),
    ],
    ids=["relative-path", "shell-chars", "unknown-field", "user-ids", "empty-name", "no-name"],
)
async def test_create_group_with_invalid_body_is_422(
    client: httpx.AsyncClient, admin: Account, body: dict, field: str
) -> None:
    assert_validation_error(await post_group(client, admin, body), field=field)
    assert set(await groups_by_name(client, admin)) == {"All"}


# --- read -----------------------------------------------------------------------------------


async def test_list_groups_without_user_ids(
    client: httpx.AsyncClient, admin: Account, alice: Account
) -> None:
    lab = await create_group(client, admin, "lab", ["/shared/lab"])
    groups = await list_groups(client, admin)
    assert [g["name"] for g in groups] == ["All", "lab"]
    assert [g["user_ids"] for g in groups] == [None, None]
    assert groups[1] == {**lab, "user_ids": None}


async def test_list_groups_with_user_ids(
    client: httpx.AsyncClient, admin: Account, alice: Account
) -> None:
    lab = await create_group(client, admin, "lab")
    await create_group(client, admin, "empty")
    await add_user(client, admin, lab["id"], alice.id)
    groups = await groups_by_name(client, admin, user_ids=True)
    assert sorted(groups["All"]["user_ids"]) == sorted([admin.id, alice.id])
    assert groups["lab"]["user_ids"] == [alice.id]
    assert groups["empty"]["user_ids"] == []


async def test_get_group_has_user_ids(
    client: httpx.AsyncClient, admin: Account, alice: Account
) -> None:
    lab = await create_group(client, admin, "lab")
    await add_user(client, admin, lab["id"], alice.id)
    assert await members(client, admin, lab["id"]) == [alice.id]
    all_members = await members(client, admin, await default_group_id(client, admin))
    assert sorted(all_members) == sorted([admin.id, alice.id])


@pytest.mark.parametrize("method", ["GET", "PATCH", "DELETE"])
async def test_unknown_group_is_404(client: httpx.AsyncClient, admin: Account, method: str) -> None:
    body = {"viewer_paths": []} if method == "PATCH" else None
    response = await client.request(
        method, f"{GROUPS}{UNKNOWN_ID}/", json=body, headers=admin.headers
    )
    assert_error(response, 404, f"Group {UNKNOWN_ID} not found.")


async def test_group_id_beyond_32_bits_is_422(client: httpx.AsyncClient, admin: Account) -> None:
    assert_validation_error(await get_group(client, admin, MAX_ID + 1), field="group_id")
    assert (await get_group(client, admin, MAX_ID)).status_code == 404


# --- update ---------------------------------------------------------------------------------


async def test_patch_group_viewer_paths(client: httpx.AsyncClient, admin: Account) -> None:
    lab = await create_group(client, admin, "lab", ["/shared/old"])
    response = await patch_group(client, admin, lab["id"], {"viewer_paths": ["/new/a", "/new/b"]})
    assert response.status_code == 200, response.text
    expected = {**lab, "viewer_paths": ["/new/a", "/new/b"]}
    assert response.json() == expected
    assert (await get_group(client, admin, lab["id"])).json() == expected


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "renamed"}, "name"),
        ({"viewer_paths": ["relative"]}, "viewer_paths"),
        ({"viewer_paths": ["/ok"], "user_ids": []}, "user_ids"),
    ],
    ids=["name", "relative-path", "user-ids"],
)
async def test_patch_group_with_invalid_body_is_422(
    client: httpx.AsyncClient, admin: Account, body: dict, field: str
) -> None:
    lab = await create_group(client, admin, "lab", ["/shared/lab"])
    assert_validation_error(await patch_group(client, admin, lab["id"], body), field=field)
    assert (await get_group(client, admin, lab["id"])).json() == lab


# --- delete ---------------------------------------------------------------------------------


async def test_delete_group(client: httpx.AsyncClient, admin: Account, alice: Account) -> None:
    lab = await create_group(client, admin, "lab")
    await add_user(client, admin, lab["id"], alice.id)

    response = await delete_group(client, admin, lab["id"])
    assert response.status_code == 204
    assert response.content == b""
    assert (await get_group(client, admin, lab["id"])).status_code == 404
    assert_error(await delete_group(client, admin, lab["id"]), 404, f"Group {lab['id']} not found.")
    assert set(await groups_by_name(client, admin)) == {"All"}
    assert await user_group_names(client, alice) == ["All"]


async def test_group_created_after_a_delete_has_no_stale_members(
    client: httpx.AsyncClient, admin: Account, alice: Account
) -> None:
    lab = await create_group(client, admin, "lab")
    await add_user(client, admin, lab["id"], alice.id)
    assert (await delete_group(client, admin, lab["id"])).status_code == 204
    again = await create_group(client, admin, "lab")
    assert again["user_ids"] == []
    assert await members(client, admin, again["id"]) == []


async def test_delete_default_group_is_422(client: httpx.AsyncClient, admin: Account) -> None:
    all_id = await default_group_id(client, admin)
    response = await delete_group(client, admin, all_id)
    assert_error(response, 422, "The default group 'All' cannot be deleted.")
    assert await members(client, admin, all_id) == [admin.id]


# --- memberships ----------------------------------------------------------------------------


async def test_add_user(client: httpx.AsyncClient, admin: Account, alice: Account) -> None:
    lab = await create_group(client, admin, "lab", ["/shared/lab"])
    group = await add_user(client, admin, lab["id"], alice.id)
    assert group == {**lab, "user_ids": [alice.id]}
    assert await members(client, admin, lab["id"]) == [alice.id]
    assert await user_group_names(client, alice) == ["All", "lab"]


async def test_add_user_twice_is_422(
    client: httpx.AsyncClient, admin: Account, alice: Account
) -> None:
    lab = await create_group(client, admin, "lab")
    await add_user(client, admin, lab["id"], alice.id)
    response = await group_action(client, admin, "add-user", lab["id"], alice.id)
    assert_error(response, 422, f"User {alice.id} is already a member of group {lab['id']}.")
    assert await members(client, admin, lab["id"]) == [alice.id]


@pytest.mark.parametrize("action", ["add-user", "remove-user"])
@pytest.mark.parametrize("unknown", ["group", "user"])
async def test_membership_with_unknown_group_or_user_is_404(
    client: httpx.AsyncClient, admin: Account, alice: Account, action: str, unknown: str
) -> None:
    lab = await create_group(client, admin, "lab")
    if unknown == "group":
        response = await group_action(client, admin, action, UNKNOWN_ID, alice.id)
        assert_error(response, 404, f"Group {UNKNOWN_ID} not found.")
    else:
        response = await group_action(client, admin, action, lab["id"], UNKNOWN_ID)
        assert_error(response, 404, f"User {UNKNOWN_ID} not found.")
    assert await members(client, admin, lab["id"]) == []


async def test_remove_user(client: httpx.AsyncClient, admin: Account, alice: Account) -> None:
    lab = await create_group(client, admin, "lab")
    await add_user(client, admin, lab["id"], alice.id)
    await add_user(client, admin, lab["id"], admin.id)

    response = await group_action(client, admin, "remove-user", lab["id"], alice.id)
    assert response.status_code == 200, response.text
    assert response.json() == {**lab, "user_ids": [admin.id]}
    assert await members(client, admin, lab["id"]) == [admin.id]
    assert await user_group_names(client, alice) == ["All"]


async def test_remove_user_from_default_group_is_422(
    client: httpx.AsyncClient, admin: Account, alice: Account
) -> None:
    all_id = await default_group_id(client, admin)
    response = await group_action(client, admin, "remove-user", all_id, alice.id)
    assert_error(response, 422, "Users cannot be removed from the default group 'All'.")
    assert alice.id in await members(client, admin, all_id)


async def test_remove_non_member_is_422(
    client: httpx.AsyncClient, admin: Account, alice: Account
) -> None:
    lab = await create_group(client, admin, "lab")
    response = await group_action(client, admin, "remove-user", lab["id"], alice.id)
    assert_error(response, 422, f"User {alice.id} is not a member of group {lab['id']}.")
    assert await members(client, admin, lab["id"]) == []
