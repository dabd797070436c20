"""Registration, the current user, and the superuser routes /auth/users/...

Wire format of fractal-server 2.17 (`project_dir`); 2.18's `project_dirs` is accepted too.
"""

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from qfractal.ids import MAX_ID
from tests.auth.test_groups import add_user, create_group, default_group_id, members
from tests.auth.test_login import (
    CURRENT_USER,
    assert_bad_credentials,
    assert_error,
    assert_is,
    assert_unauthorized,
    assert_validation_error,
    deactivate,
    login,
    whoami,
)
from tests.conftest import Account, login_headers

UNKNOWN_ID = 9999
BOB = "bob@example.org"

SLURM_SUDO_RESOURCE = {
    "type": "slurm_sudo",
    "name": "cluster",
    "tasks_python_config": {"default_version": "3.12", "versions": {"3.12": "/usr/bin/python3"}},
    "tasks_local_dir": "/srv/fractal/tasks",
    "jobs_local_dir": "/srv/fractal/jobs",
    "jobs_slurm_python_worker": "/usr/bin/python3",
    "jobs_runner_config": {
        "default_slurm_config": {"partition": "main"},
        "batching_config": {
            "target_num_jobs": 2,
            "max_num_jobs": 4,
            "target_cpus_per_job": 1,
            "max_cpus_per_job": 2,
            "target_mem_per_job": 1000,
            "max_mem_per_job": 4000,
        },
    },
}


# --- helpers --------------------------------------------------------------------------------


def new_user(**fields: Any) -> dict[str, Any]:
    """A registration body for Bob; a field given as None is left out."""
    body = {"email": BOB, "password": "bob-password", "project_dir": "/data/bob", **fields}
    return {key: value for key, value in body.items() if value is not None}


async def register(client: httpx.AsyncClient, admin: Account, body: dict) -> httpx.Response:
    return await client.post("/auth/register/", json=body, headers=admin.headers)


async def user_emails(client: httpx.AsyncClient, admin: Account, **params: Any) -> list[str]:
    response = await client.get("/auth/users/", params=params, headers=admin.headers)
    assert response.status_code == 200, response.text
    return [user["email"] for user in response.json()]


async def get_user(
    client: httpx.AsyncClient, admin: Account, user_id: int, **params: Any
) -> httpx.Response:
    return await client.get(f"/auth/users/{user_id}/", params=params, headers=admin.headers)


async def read_user(client: httpx.AsyncClient, admin: Account, user_id: int) -> dict[str, Any]:
    response = await get_user(client, admin, user_id)
    assert response.status_code == 200, response.text
    return response.json()


async def patch_user(
    client: httpx.AsyncClient, admin: Account, user_id: int, body: dict
) -> httpx.Response:
    return await client.patch(f"/auth/users/{user_id}/", json=body, headers=admin.headers)


async def patch_user_ok(
    client: httpx.AsyncClient, admin: Account, user_id: int, body: dict
) -> dict[str, Any]:
    response = await patch_user(client, admin, user_id, body)
    assert response.status_code == 200, response.text
    assert response.json() == await read_user(client, admin, user_id)
    return response.json()


async def set_groups(
    client: httpx.AsyncClient, admin: Account, user_id: int, group_ids: list[int]
) -> httpx.Response:
    return await client.post(
        f"/auth/users/{user_id}/set-groups/", json={"group_ids": group_ids}, headers=admin.headers
    )


async def group_ids_names(client: httpx.AsyncClient, admin: Account, user_id: int) -> list:
    return (await read_user(client, admin, user_id))["group_ids_names"]


async def me(client: httpx.AsyncClient, user: Account, **params: Any) -> dict[str, Any]:
    response = await client.get(CURRENT_USER, params=params, headers=user.headers)
    assert response.status_code == 200, response.text
    return response.json()


async def create_profile(client: httpx.AsyncClient, admin: Account) -> dict[str, Any]:
    """A slurm_sudo resource "cluster" with a profile "cluster-alice" (username alice-slurm)."""
    response = await client.post(
        "/admin/v2/resource/", json=SLURM_SUDO_RESOURCE, headers=admin.headers
    )
    assert response.status_code == 201, response.text
    response = await client.post(
        f"/admin/v2/resource/{response.json()['id']}/profile/",
        json={"name": "cluster-alice", "resource_type": "slurm_sudo", "username": "alice-slurm"},
        headers=admin.headers,
    )
    assert response.status_code == 201, response.text
    return response.json()


async def assert_password(client: httpx.AsyncClient, email: str, works: str, fails: str) -> None:
    assert (await login(client, email, works)).status_code == 200
    assert_bad_credentials(await login(client, email, fails))


# --- registration ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("dirs", "expected"),
    [
        ({"project_dir": "/data/bob"}, ["/data/bob"]),
        (
            {"project_dir": None, "project_dirs": ["/data/bob", "/shared/bob"]},
            ["/data/bob", "/shared/bob"],
        ),
    ],
    ids=["2.17-project_dir", "2.18-project_dirs"],
)
async def test_register(
    client: httpx.AsyncClient, admin: Account, dirs: dict, expected: list[str]
) -> None:
    response = await register(client, admin, new_user(**dirs))
    assert response.status_code == 201, response.text
    user = response.json()
    all_id = await default_group_id(client, admin)
    assert user == {
        "id": user["id"],
        "email": BOB,
        "is_active": True,
        "is_superuser": False,
        "is_verified": False,
        "group_ids_names": [[all_id, "All"]],
        "oauth_accounts": [],
        "profile_id": None,
        "project_dir": expected[0],
        "project_dirs": expected,
        "slurm_accounts": [],
    }
    assert await read_user(client, admin, user["id"]) == user
    assert user["id"] in await members(client, admin, all_id)


async def test_register_with_all_fields(client: httpx.AsyncClient, admin: Account) -> None:
    body = new_user(is_superuser=True, is_verified=True, slurm_accounts=["acc-1", "acc-2"])
    response = await register(client, admin, body)
    assert response.status_code == 201, response.text
    user = await read_user(client, admin, response.json()["id"])
    assert (user["is_superuser"], user["is_verified"]) == (True, True)
    assert user["slurm_accounts"] == ["acc-1", "acc-2"]


async def test_registered_user_can_log_in(client: httpx.AsyncClient, admin: Account) -> None:
    response = await register(client, admin, new_user(email="Bob@Example.ORG"))
    assert response.status_code == 201, response.text
    assert response.json()["email"] == BOB
    headers = await login_headers(client, BOB, "bob-password")
    await assert_is(client, headers, Account(response.json()["id"], BOB, "bob-password", {}))


@pytest.mark.parametrize("email", ["alice@example.org", "ALICE@example.org"])
async def test_register_existing_email_is_400(
    client: httpx.AsyncClient, admin: Account, alice: Account, email: str
) -> None:
    response = await register(client, admin, new_user(email=email))
    assert_error(response, 400, "REGISTER_USER_ALREADY_EXISTS")
    assert await user_emails(client, admin) == [admin.email, alice.email]
    await assert_password(client, alice.email, works=alice.password, fails="bob-password")


@pytest.mark.parametrize("password", ["abc", "x" * 101], ids=["3-chars", "101-chars"])
async def test_register_invalid_password_is_400(
    client: httpx.AsyncClient, admin: Account, password: str
) -> None:
    response = await register(client, admin, new_user(password=password))
    assert response.status_code == 400, response.text
    detail = response.json()["detail"]
    assert set(detail) == {"code", "reason"}
    assert detail["code"] == "REGISTER_INVALID_PASSWORD"
    assert isinstance(detail["reason"], str)
    assert detail["reason"]
    assert BOB not in await user_emails(client, admin)


@pytest.mark.parametrize("password", ["abcd", "x" * 100], ids=["4-chars", "100-chars"])
async def test_register_password_length_limits_are_inclusive(
    client: httpx.AsyncClient, admin: Account, password: str
) -> None:
    response = await register(client, admin, new_user(password=password))
    assert response.status_code == 201, response.text
    assert (await login(client, BOB, password)).status_code == 200


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"project_dir": "data/bob"}, "project_dir"),
        ({"project_dir": "/data/bob;rm -rf /"}, "project_dir"),
        ({"project_dir": "/data/$HOME"}, "project_dir"),
        ({"project_dir": "/data/`id`"}, "project_dir"),
        ({"project_dir": None, "project_dirs": ["/data/bob", "relative"]}, "project_dirs"),
        ({"project_dir": None, "project_dirs": []}, "project_dirs"),
        ({"project_dirs": ["/data/bob"]}, None),
        ({"project_dir": None}, None),
        ({"email": "not-an-email"}, "email"),
        ({"email": None}, "email"),
        ({"password": None}, "password"),
        ({"slurm_accounts": [""]}, "slurm_accounts"),
    ],
    ids=[
        "relative-project-dir",
        "semicolon",
        "dollar",
        "backtick",
        "relative-in-project-dirs",
        "empty-project-dirs",
        "both-project-dir-and-dirs",
        "no-project-dir",
        "invalid-email",
        "no-email",
        "no-password",
        "empty-slurm-account",
    ],
)
async def test_register_invalid_body_is_422(
    client: httpx.AsyncClient, admin: Account, fields: dict, field: str | None
) -> None:
    response = await register(client, admin, new_user(**fields))
    assert_validation_error(response, field=field)
    assert await user_emails(client, admin) == [admin.email]


async def test_register_unknown_profile_is_404(client: httpx.AsyncClient, admin: Account) -> None:
    response = await register(client, admin, new_user(profile_id=UNKNOWN_ID))
    assert_error(response, 404, f"Profile {UNKNOWN_ID} not found.")
    assert await user_emails(client, admin) == [admin.email]


async def test_register_with_profile(client: httpx.AsyncClient, admin: Account) -> None:
    profile = await create_profile(client, admin)
    response = await register(client, admin, new_user(profile_id=profile["id"]))
    assert response.status_code == 201, response.text
    assert (await read_user(client, admin, response.json()["id"]))["profile_id"] == profile["id"]


# --- the current user -----------------------------------------------------------------------


async def test_current_user_without_group_names(
    client: httpx.AsyncClient, admin: Account, alice: Account
) -> None:
    user = await me(client, alice)
    assert user["group_ids_names"] is None
    assert user == {**await read_user(client, admin, alice.id), "group_ids_names": None}
    assert user["project_dir"] == "/data/alice"
    assert user["project_dirs"] == ["/data/alice"]


async def test_current_user_with_group_names(
    client: httpx.AsyncClient, admin: Account, alice: Account
) -> None:
    lab = await create_group(client, admin, "lab")
    await add_user(client, admin, lab["id"], alice.id)
    all_id = await default_group_id(client, admin)
    user = await me(client, alice, group_ids_names="true")
    assert user["group_ids_names"] == [[all_id, "All"], [lab["id"], "lab"]]


async def test_patch_current_user_slurm_accounts(client: httpx.AsyncClient, alice: Account) -> None:
    before = await me(client, alice)
    body = {"slurm_accounts": ["acc-1", "acc-2"]}
    response = await client.patch(CURRENT_USER, json=body, headers=alice.headers)
    assert response.status_code == 200, response.text
    assert response.json() == {**before, **body}
    assert await me(client, alice) == {**before, **body}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"is_superuser": True}, "is_superuser"),
        ({"password": "new-password"}, "password"),
        ({"email": "eve@example.org"}, "email"),
        ({"project_dir": "/data/other"}, "project_dir"),
        ({"profile_id": 1}, "profile_id"),
        ({"slurm_accounts": ["acc"], "is_active": False}, "is_active"),
        ({"slurm_accounts": [""]}, "slurm_accounts"),
    ],
    ids=[
        "is_superuser",
        "password",
        "email",
        "project_dir",
        "profile_id",
        "with-slurm-accounts",
        "empty-account",
    ],
)
async def test_patch_current_user_other_fields_is_422(
    client: httpx.AsyncClient, alice: Account, body: dict, field: str
) -> None:
    before = await me(client, alice)
    response = await client.patch(CURRENT_USER, json=body, headers=alice.headers)
    assert_validation_error(response, field=field)
    assert await me(client, alice) == before
    await assert_password(client, alice.email, works=alice.password, fails="new-password")


async def test_profile_info_without_profile(client: httpx.AsyncClient, alice: Account) -> None:
    response = await client.get(f"{CURRENT_USER}profile-info/", headers=alice.headers)
    assert response.status_code == 200, response.text
    assert response.json() == {
        "has_profile": False,
        "resource_name": None,
        "profile_name": None,
        "username": None,
    }


async def test_profile_info_with_profile(
    client: httpx.AsyncClient, admin: Account, alice: Account
) -> None:
    profile = await create_profile(client, admin)
    user = await patch_user_ok(client, admin, alice.id, {"profile_id": profile["id"]})
    assert user["profile_id"] == profile["id"]
    response = await client.get(f"{CURRENT_USER}profile-info/", headers=alice.headers)
    assert response.status_code == 200, response.text
    assert response.json() == {
        "has_profile": True,
        "resource_name": "cluster",
        "profile_name": "cluster-alice",
        "username": "alice-slurm",
    }


async def test_allowed_viewer_paths(
    client: httpx.AsyncClient, admin: Account, alice: Account
) -> None:
    await patch_user_ok(client, admin, alice.id, {"project_dirs": ["/data/alice", "/data/extra"]})
    lab = await create_group(client, admin, "lab", ["/shared/a", "/data/alice"])
    team = await create_group(client, admin, "team", ["/shared/a", "/shared/b"])
    await create_group(client, admin, "secret", ["/secret"])
    await add_user(client, admin, lab["id"], alice.id)
    await add_user(client, admin, team["id"], alice.id)

    response = await client.get(f"{CURRENT_USER}allowed-viewer-paths/", headers=alice.headers)
    assert response.status_code == 200, response.text
    paths = response.json()
    assert len(paths) == len(set(paths))
    assert sorted(paths) == ["/data/alice", "/data/extra", "/shared/a", "/shared/b"]


async def test_allowed_viewer_paths_without_groups(
    client: httpx.AsyncClient, alice: Account
) -> None:
    response = await client.get(f"{CURRENT_USER}allowed-viewer-paths/", headers=alice.headers)
    assert response.status_code == 200, response.text
    assert response.json() == ["/data/alice"]


# --- superuser: list and read ---------------------------------------------------------------


async def test_list_users(client: httpx.AsyncClient, admin: Account, alice: Account) -> None:
    response = await client.get("/auth/users/", headers=admin.headers)
    assert response.status_code == 200, response.text
    users = response.json()
    assert [user["email"] for user in users] == [admin.email, alice.email]
    by_id = {user["id"]: user for user in users}
    alice_read = await read_user(client, admin, alice.id)
    assert {**by_id[alice.id], "group_ids_names": None} == {**alice_read, "group_ids_names": None}


async def test_list_users_by_profile(
    client: httpx.AsyncClient, admin: Account, alice: Account
) -> None:
    profile = await create_profile(client, admin)
    await patch_user_ok(client, admin, alice.id, {"profile_id": profile["id"]})
    assert await user_emails(client, admin, profile_id=profile["id"]) == [alice.email]
    assert await user_emails(client, admin, profile_id=UNKNOWN_ID) == []
    assert await user_emails(client, admin) == [admin.email, alice.email]


async def test_get_user(client: httpx.AsyncClient, admin: Account, alice: Account) -> None:
    user = await read_user(client, admin, alice.id)
    assert user["email"] == alice.email
    assert user["group_ids_names"] == [[await default_group_id(client, admin), "All"]]
    response = await get_user(client, admin, alice.id, group_ids_names="false")
    assert response.status_code == 200
    assert response.json() == {**user, "group_ids_names": None}


@pytest.mark.parametrize(
    ("user_id", "status_code"),
    [(UNKNOWN_ID, 404), (MAX_ID, 404), (MAX_ID + 1, 422), (2**63, 422)],
)
async def test_get_unknown_user(
    client: httpx.AsyncClient, admin: Account, user_id: int, status_code: int
) -> None:
    response = await get_user(client, admin, user_id)
    if status_code == 404:
        assert_error(response, 404, f"User {user_id} not found.")
    else:
        assert_validation_error(response, field="user_id")


# --- superuser: patch -----------------------------------------------------------------------


async def test_patch_user_password(
    client: httpx.AsyncClient, admin: Account, alice: Account
) -> None:
    await patch_user_ok(client, admin, alice.id, {"password": "new-password"})
    await assert_password(client, alice.email, works="new-password", fails=alice.password)


async def test_patch_user_email(client: httpx.AsyncClient, admin: Account, alice: Account) -> None:
    user = await patch_user_ok(client, admin, alice.id, {"email": "Alice.New@Example.org"})
    assert user["email"] == "alice.new@example.org"
    await assert_password(client, "alice.new@example.org", works=alice.password, fails="wrong")
    assert_bad_credentials(await login(client, alice.email, alice.password))


@pytest.mark.parametrize("email", ["admin@example.org", "ADMIN@Example.org"])
async def test_patch_user_email_taken_is_400(
    client: httpx.AsyncClient, admin: Account, alice: Account, email: str
) -> None:
    before = await read_user(client, admin, alice.id)
    body = {"email": email, "password": "new-password", "slurm_accounts": ["acc"]}
    response = await patch_user(client, admin, alice.id, body)
    assert_error(response, 400, "UPDATE_USER_EMAIL_ALREADY_EXISTS")
    assert await read_user(client, admin, alice.id) == before
    await assert_password(client, alice.email, works=alice.password, fails="new-password")


async def test_patch_user_own_email_in_other_case(
    client: httpx.AsyncClient, admin: Account, alice: Account
) -> None:
    user = await patch_user_ok(client, admin, alice.id, {"email": "ALICE@example.org"})
    assert user["email"] == alice.email


@pytest.mark.parametrize("password", ["abc", "x" * 101], ids=["3-chars", "101-chars"])
async def test_patch_user_invalid_password_is_400(
    client: httpx.AsyncClient, admin: Account, alice: Account, password: str
) -> None:
    response = await patch_user(client, admin, alice.id, {"password": password})
    assert response.status_code == 400, response.text
    detail = response.json()["detail"]
    assert set(detail) == {"code", "reason"}
    assert detail["code"] == "UPDATE_USER_INVALID_PASSWORD"
    assert isinstance(detail["reason"], str)
    assert detail["reason"]
    await assert_password(client, alice.email, works=alice.password, fails=password)


async def test_patch_user_unknown_profile_is_404(
    client: httpx.AsyncClient, admin: Account, alice: Account
) -> None:
    before = await read_user(client, admin, alice.id)
    response = await patch_user(client, admin, alice.id, {"profile_id": UNKNOWN_ID})
    assert_error(response, 404, f"Profile {UNKNOWN_ID} not found.")
    assert await read_user(client, admin, alice.id) == before


async def test_patch_user_profile_and_back(
    client: httpx.AsyncClient, admin: Account, alice: Account
) -> None:
    profile = await create_profile(client, admin)
    user = await patch_user_ok(client, admin, alice.id, {"profile_id": profile["id"]})
    assert user["profile_id"] == profile["id"]
    user = await patch_user_ok(client, admin, alice.id, {"profile_id": None})
    assert user["profile_id"] is None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"unknown": 1}, "unknown"),
        ({"group_ids": [1]}, "group_ids"),
        ({"password": None}, None),
        ({"is_active": None}, None),
        ({"email": "not-an-email"}, "email"),
        ({"project_dirs": []}, "project_dirs"),
        ({"project_dir": "relative"}, "project_dir"),
        ({"project_dir": "/data/a", "project_dirs": ["/data/b"]}, None),
    ],
    ids=[
        "unknown-field",
        "group_ids",
        "null-password",
        "null-is_active",
        "invalid-email",
        "empty-project-dirs",
        "relative-project-dir",
        "both-project-dir-and-dirs",
    ],
)
async def test_patch_user_invalid_body_is_422(
    client: httpx.AsyncClient, admin: Account, alice: Account, body: dict, field: str | None
) -> None:
    before = await read_user(client, admin, alice.id)
    assert_validation_error(await patch_user(client, admin, alice.id, body), field=field)
    assert await read_user(client, admin, alice.id) == before


async def test_patch_unknown_user_is_404(client: httpx.AsyncClient, admin: Account) -> None:
    response = await patch_user(client, admin, UNKNOWN_ID, {"slurm_accounts": []})
    assert_error(response, 404, f"User {UNKNOWN_ID} not found.")


async def test_patch_user_inactive(
    client: httpx.AsyncClient, admin: Account, alice: Account
) -> None:
    response = await deactivate(client, admin, alice)
    assert response.status_code == 200, response.text
    assert response.json()["is_active"] is False
    assert (await read_user(client, admin, alice.id))["is_active"] is False
    assert_bad_credentials(await login(client, alice.email, alice.password))
    assert_unauthorized(await whoami(client, alice.headers))


async def test_patch_user_superuser_flag(
    client: httpx.AsyncClient, admin: Account, alice: Account
) -> None:
    assert (await client.get("/auth/users/", headers=alice.headers)).status_code == 403
    await patch_user_ok(client, admin, alice.id, {"is_superuser": True, "is_verified": True})
    assert (await client.get("/auth/users/", headers=alice.headers)).status_code == 200


async def test_patch_user_project_dirs_replace(
    client: httpx.AsyncClient, admin: Account, alice: Account
) -> None:
    user = await patch_user_ok(client, admin, alice.id, {"project_dirs": ["/data/x", "/data/y"]})
    assert (user["project_dir"], user["project_dirs"]) == ("/data/x", ["/data/x", "/data/y"])
    user = await patch_user_ok(client, admin, alice.id, {"project_dir": "/data/z"})
    assert (user["project_dir"], user["project_dirs"]) == ("/data/z", ["/data/z"])
    user = await patch_user_ok(client, admin, alice.id, {"slurm_accounts": ["acc"]})
    assert user["project_dirs"] == ["/data/z"]
    assert user["slurm_accounts"] == ["acc"]


# --- superuser: set-groups ------------------------------------------------------------------


async def test_set_groups_replaces_memberships(
    client: httpx.AsyncClient, admin: Account, alice: Account
) -> None:
    all_id = await default_group_id(client, admin)
    lab = await create_group(client, admin, "lab")
    team = await create_group(client, admin, "team")

    response = await set_groups(client, admin, alice.id, [all_id, lab["id"]])
    assert response.status_code == 200, response.text
    assert response.json()["group_ids_names"] == [[all_id, "All"], [lab["id"], "lab"]]

    response = await set_groups(client, admin, alice.id, [team["id"], all_id])
    assert response.status_code == 200, response.text
    assert response.json()["group_ids_names"] == [[all_id, "All"], [team["id"], "team"]]
    assert await group_ids_names(client, admin, alice.id) == response.json()["group_ids_names"]
    assert await members(client, admin, lab["id"]) == []
    assert await members(client, admin, team["id"]) == [alice.id]


async def _alice_in_lab(client: httpx.AsyncClient, admin: Account, alice: Account) -> list:
    lab = await create_group(client, admin, "lab")
    await add_user(client, admin, lab["id"], alice.id)
    return await group_ids_names(client, admin, alice.id)


async def test_set_groups_unknown_group_is_404(
    client: httpx.AsyncClient, admin: Account, alice: Account
) -> None:
    before = await _alice_in_lab(client, admin, alice)
    all_id = await default_group_id(client, admin)
    response = await set_groups(client, admin, alice.id, [all_id, UNKNOWN_ID])
    assert_error(response, 404, f"Groups not found: [{UNKNOWN_ID}].")
    assert await group_ids_names(client, admin, alice.id) == before


async def test_set_groups_without_default_group_is_422(
    client: httpx.AsyncClient, admin: Account, alice: Account
) -> None:
    before = await _alice_in_lab(client, admin, alice)
    lab_id = before[1][0]
    response = await set_groups(client, admin, alice.id, [lab_id])
    assert_error(response, 422, "The default group 'All' must be among the user's groups.")
    assert await group_ids_names(client, admin, alice.id) == before


async def test_set_groups_empty_list_is_422(
    client: httpx.AsyncClient, admin: Account, alice: Account
) -> None:
    before = await _alice_in_lab(client, admin, alice)
    assert_validation_error(await set_groups(client, admin, alice.id, []), field="group_ids")
    assert await group_ids_names(client, admin, alice.id) == before


async def test_set_groups_unknown_user_is_404(client: httpx.AsyncClient, admin: Account) -> None:
    all_id = await default_group_id(client, admin)
    response = await set_groups(client, admin, UNKNOWN_ID, [all_id])
    assert_error(response, 404, f"User {UNKNOWN_ID} not found.")
    assert await members(client, admin, all_id) == [admin.id]


# --- ids beyond 32 bits in queries and bodies -----------------------------------------------


@pytest.fixture
async def lenient_client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A client that sees a server error as a 500 response instead of an exception."""
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


async def send_id(
    client: httpx.AsyncClient, admin: Account, alice: Account, where: str, big: int
) -> httpx.Response:
    """Send `big` as the profile or group id of one request of /auth."""
    if where == "list-users":
        return await client.get("/auth/users/", params={"profile_id": big}, headers=admin.headers)
    if where == "register":
        return await register(client, admin, new_user(profile_id=big))
    if where == "patch-user":
        return await patch_user(client, admin, alice.id, {"profile_id": big})
    return await set_groups(client, admin, alice.id, [await default_group_id(client, admin), big])


@pytest.mark.parametrize("big", [MAX_ID + 1, 2**63], ids=["2**31", "2**63"])
@pytest.mark.parametrize(
    ("where", "field"),
    [
        ("list-users", "profile_id"),
        ("register", "profile_id"),
        ("patch-user", "profile_id"),
        ("set-groups", "group_ids"),
    ],
)
async def test_id_beyond_32_bits_in_query_or_body_is_422(
    lenient_client: httpx.AsyncClient,
    admin: Account,
    alice: Account,
    where: str,
    field: str,
    big: int,
) -> None:
    """IDs are 32-bit (see qfractal.ids): a larger one is refused, never a 500."""
    before = await read_user(lenient_client, admin, alice.id)
    response = await send_id(lenient_client, admin, alice, where, big)
    assert_validation_error(response, field=field)
    assert await read_user(lenient_client, admin, alice.id) == before
    assert await user_emails(lenient_client, admin) == [admin.email, alice.email]
