"""/admin/v2/resource/{id}/profile/ and /admin/v2/profile/ routes, as a superuser."""

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.compute.test_resources import (
    MAX_ID,
    PROFILES,
    RESOURCES,
    assert_invalid_field,
    assert_not_found,
    assert_rule_broken,
    create_profile,
    create_resource,
    get_json,
    local_profile,
    local_resource,
    slurm_ssh_profile,
    slurm_ssh_resource,
    slurm_sudo_profile,
    slurm_sudo_resource,
    without,
)
from tests.conftest import Account, make_user

PROFILE_FIELDS = ("username", "ssh_key_path", "jobs_remote_dir", "tasks_remote_dir")

# (resource builder, profile builder) for each type.
PAIRS = {
    "local": (local_resource, local_profile),
    "slurm_sudo": (slurm_sudo_resource, slurm_sudo_profile),
    "slurm_ssh": (slurm_ssh_resource, slurm_ssh_profile),
}


def expected_profile(resource_id: int, body: dict[str, Any]) -> dict[str, Any]:
    """ProfileRead for `body`: fields that were not sent read back as null."""
    return {"resource_id": resource_id, **dict.fromkeys(PROFILE_FIELDS), **body}


def assert_profile_read(read: dict[str, Any], resource_id: int, body: dict[str, Any]) -> None:
    assert isinstance(read["id"], int)
    assert without(read, "id") == expected_profile(resource_id, body)


def profiles_of(resource_id: int) -> str:
    return f"{RESOURCES}{resource_id}/profile/"


async def resource_and_profile(
    client: httpx.AsyncClient, admin: Account, kind: str, name: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A resource of type `kind` named `name`, with one profile `name`-profile."""
    resource_builder, profile_builder = PAIRS[kind]
    resource = await create_resource(client, admin, resource_builder(name))
    profile = await create_profile(
        client, admin, resource["id"], profile_builder(f"{name}-profile")
    )
    return resource, profile


# --- create -------------------------------------------------------------------------


@pytest.mark.parametrize("kind", PAIRS)
async def test_create_profile_of_each_type(
    client: httpx.AsyncClient, admin: Account, kind: str
) -> None:
    resource_builder, profile_builder = PAIRS[kind]
    resource = await create_resource(client, admin, resource_builder("cluster"))
    body = profile_builder("p1")

    created = await create_profile(client, admin, resource["id"], body)
    assert created["resource_type"] == kind
    assert_profile_read(created, resource["id"], body)
    assert await get_json(client, admin, f"{PROFILES}{created['id']}/") == created
    assert await get_json(client, admin, profiles_of(resource["id"])) == [created]


async def test_local_profile_needs_only_name_and_type(
    client: httpx.AsyncClient, admin: Account
) -> None:
    resource = await create_resource(client, admin, local_resource("laptop"))
    created = await create_profile(
        client, admin, resource["id"], {"name": "mine", "resource_type": "local"}
    )
    assert created == {
        "id": created["id"],
        "name": "mine",
        "resource_id": resource["id"],
        "resource_type": "local",
        "username": None,
        "ssh_key_path": None,
        "jobs_remote_dir": None,
        "tasks_remote_dir": None,
    }


@pytest.mark.parametrize(
    ("resource_kind", "profile_kind"),
    [("local", "slurm_sudo"), ("slurm_sudo", "slurm_ssh"), ("slurm_ssh", "local")],
)
async def test_profile_type_must_match_the_resource(
    client: httpx.AsyncClient, admin: Account, resource_kind: str, profile_kind: str
) -> None:
    resource = await create_resource(client, admin, PAIRS[resource_kind][0]("cluster"))
    body = PAIRS[profile_kind][1]("p1")

    response = await client.post(profiles_of(resource["id"]), json=body, headers=admin.headers)
    assert_rule_broken(response, resource_kind, profile_kind)
    assert await get_json(client, admin, PROFILES) == []


INVALID_PROFILES = {
    "sudo_without_username": (
        "slurm_sudo",
        without(slurm_sudo_profile("p"), "username"),
        "username",
    ),
    "sudo_with_empty_username": ("slurm_sudo", slurm_sudo_profile("p", username=" "), "username"),
    "sudo_with_ssh_key": (
        "slurm_sudo",
        slurm_sudo_profile("p", ssh_key_path="/tmp/key"),
        "ssh_key_path",
    ),
    "ssh_without_key": (
        "slurm_ssh",
        without(slurm_ssh_profile("p"), "ssh_key_path"),
        "ssh_key_path",
    ),
    "ssh_without_username": ("slurm_ssh", without(slurm_ssh_profile("p"), "username"), "username"),
    "ssh_without_jobs_dir": (
        "slurm_ssh",
        without(slurm_ssh_profile("p"), "jobs_remote_dir"),
        "jobs_remote_dir",
    ),
    "ssh_relative_tasks_dir": (
        "slurm_ssh",
        slurm_ssh_profile("p", tasks_remote_dir="tasks"),
        "tasks_remote_dir",
    ),
    "ssh_relative_key": (
        "slurm_ssh",
        slurm_ssh_profile("p", ssh_key_path="id_rsa"),
        "ssh_key_path",
    ),
    "local_with_username": ("local", local_profile("p", username="alice"), "username"),
    "local_with_remote_dir": (
        "local",
        local_profile("p", jobs_remote_dir="/tmp/x"),
        "jobs_remote_dir",
    ),
    "empty_name": ("local", local_profile(""), "name"),
}


@pytest.mark.parametrize(
    ("kind", "body", "field"), INVALID_PROFILES.values(), ids=INVALID_PROFILES.keys()
)
async def test_invalid_profile_is_422_naming_the_field(
    client: httpx.AsyncClient, admin: Account, kind: str, body: dict[str, Any], field: str
) -> None:
    resource = await create_resource(client, admin, PAIRS[kind][0]("cluster"))
    response = await client.post(profiles_of(resource["id"]), json=body, headers=admin.headers)
    assert_invalid_field(response, field)
    assert await get_json(client, admin, PROFILES) == []


async def test_unknown_resource_type_in_profile_is_422(
    client: httpx.AsyncClient, admin: Account
) -> None:
    resource = await create_resource(client, admin, local_resource("cluster"))
    body = local_profile("p", resource_type="kubernetes")
    response = await client.post(profiles_of(resource["id"]), json=body, headers=admin.headers)
    assert response.status_code == 422, response.text
    assert isinstance(response.json()["detail"], list)
    assert await get_json(client, admin, PROFILES) == []


async def test_profile_on_unknown_resource_is_404(
    client: httpx.AsyncClient, admin: Account
) -> None:
    resource = await create_resource(client, admin, local_resource("cluster"))
    unknown = profiles_of(resource["id"] + 1)
    assert_not_found(await client.post(unknown, json=local_profile("p"), headers=admin.headers))
    assert_not_found(await client.get(unknown, headers=admin.headers))
    assert await get_json(client, admin, PROFILES) == []


async def test_duplicate_profile_name_is_422_even_on_another_resource(
    client: httpx.AsyncClient, admin: Account
) -> None:
    first_resource, first = await resource_and_profile(client, admin, "local", "one")
    other = await create_resource(client, admin, slurm_sudo_resource("two"))

    for resource_id, body in [
        (first_resource["id"], local_profile(first["name"])),
        (other["id"], slurm_sudo_profile(first["name"])),
    ]:
        response = await client.post(profiles_of(resource_id), json=body, headers=admin.headers)
        assert_rule_broken(response, first["name"])
    assert await get_json(client, admin, PROFILES) == [first]


# --- read ---------------------------------------------------------------------------


async def test_list_profiles_per_resource_and_all(
    client: httpx.AsyncClient, admin: Account
) -> None:
    assert await get_json(client, admin, PROFILES) == []
    sudo, sudo_first = await resource_and_profile(client, admin, "slurm_sudo", "sudo")
    sudo_second = await create_profile(client, admin, sudo["id"], slurm_sudo_profile("sudo-2"))
    ssh, ssh_profile = await resource_and_profile(client, admin, "slurm_ssh", "ssh")
    empty = await create_resource(client, admin, local_resource("empty"))

    assert await get_json(client, admin, profiles_of(sudo["id"])) == [sudo_first, sudo_second]
    assert await get_json(client, admin, profiles_of(ssh["id"])) == [ssh_profile]
    assert await get_json(client, admin, profiles_of(empty["id"])) == []
    everything = await get_json(client, admin, PROFILES)
    assert sorted(everything, key=lambda p: p["id"]) == [sudo_first, sudo_second, ssh_profile]


async def test_get_unknown_profile_is_404(client: httpx.AsyncClient, admin: Account) -> None:
    _, profile = await resource_and_profile(client, admin, "local", "one")
    assert_not_found(await client.get(f"{PROFILES}{profile['id'] + 1}/", headers=admin.headers))


@pytest.mark.parametrize(
    ("method", "path", "field"),
    [
        ("GET", f"{PROFILES}{MAX_ID + 1}/", "profile_id"),
        ("PUT", f"{PROFILES}{MAX_ID + 1}/", "profile_id"),
        ("DELETE", f"{PROFILES}{MAX_ID + 1}/", "profile_id"),
        ("GET", profiles_of(MAX_ID + 1), "resource_id"),
        ("POST", profiles_of(MAX_ID + 1), "resource_id"),
    ],
)
async def test_id_beyond_32_bits_is_422(
    client: httpx.AsyncClient, admin: Account, method: str, path: str, field: str
) -> None:
    body = local_profile("p") if method in ("PUT", "POST") else None
    response = await client.request(method, path, json=body, headers=admin.headers)
    assert_invalid_field(response, field)
    assert await get_json(client, admin, PROFILES) == []


# --- overwrite ----------------------------------------------------------------------


@pytest.mark.parametrize("kind", PAIRS)
async def test_put_overwrites_the_profile(
    client: httpx.AsyncClient, admin: Account, kind: str
) -> None:
    resource, profile = await resource_and_profile(client, admin, kind, "cluster")
    path = f"{PROFILES}{profile['id']}/"
    body = PAIRS[kind][1]("renamed")

    response = await client.put(path, json=body, headers=admin.headers)
    assert response.status_code == 200, response.text
    updated = response.json()
    assert updated["id"] == profile["id"]
    assert_profile_read(updated, resource["id"], body)
    assert await get_json(client, admin, path) == updated
    assert await get_json(client, admin, profiles_of(resource["id"])) == [updated]


async def test_put_to_another_profiles_name_is_422(
    client: httpx.AsyncClient, admin: Account
) -> None:
    resource, taken = await resource_and_profile(client, admin, "slurm_sudo", "one")
    mine = await create_profile(client, admin, resource["id"], slurm_sudo_profile("mine"))
    path = f"{PROFILES}{mine['id']}/"

    response = await client.put(path, json=slurm_sudo_profile(taken["name"]), headers=admin.headers)
    assert_rule_broken(response, taken["name"])
    assert await get_json(client, admin, path) == mine


async def test_put_with_another_resource_type_is_422(
    client: httpx.AsyncClient, admin: Account
) -> None:
    _, profile = await resource_and_profile(client, admin, "slurm_sudo", "one")
    path = f"{PROFILES}{profile['id']}/"

    response = await client.put(path, json=slurm_ssh_profile("one-profile"), headers=admin.headers)
    assert_rule_broken(response, "slurm_sudo", "slurm_ssh")
    assert await get_json(client, admin, path) == profile


async def test_invalid_put_is_422_and_changes_nothing(
    client: httpx.AsyncClient, admin: Account
) -> None:
    _, profile = await resource_and_profile(client, admin, "slurm_ssh", "one")
    path = f"{PROFILES}{profile['id']}/"
    body = without(slurm_ssh_profile("one-profile"), "ssh_key_path")

    assert_invalid_field(await client.put(path, json=body, headers=admin.headers), "ssh_key_path")
    assert await get_json(client, admin, path) == profile


async def test_put_unknown_profile_is_404(client: httpx.AsyncClient, admin: Account) -> None:
    _, profile = await resource_and_profile(client, admin, "local", "one")
    path = f"{PROFILES}{profile['id'] + 1}/"
    assert_not_found(await client.put(path, json=local_profile("x"), headers=admin.headers))
    assert await get_json(client, admin, PROFILES) == [profile]


# --- delete -------------------------------------------------------------------------


async def test_delete_unused_profile(client: httpx.AsyncClient, admin: Account) -> None:
    resource, kept = await resource_and_profile(client, admin, "local", "one")
    gone = await create_profile(client, admin, resource["id"], local_profile("gone"))
    path = f"{PROFILES}{gone['id']}/"

    response = await client.delete(path, headers=admin.headers)
    assert response.status_code == 204, response.text
    assert response.content == b""

    assert_not_found(await client.get(path, headers=admin.headers))
    assert_not_found(await client.delete(path, headers=admin.headers))
    assert await get_json(client, admin, PROFILES) == [kept]
    assert await get_json(client, admin, profiles_of(resource["id"])) == [kept]


async def test_delete_profile_of_a_user_is_422_until_detached(
    app: FastAPI, client: httpx.AsyncClient, admin: Account
) -> None:
    _, profile = await resource_and_profile(client, admin, "slurm_sudo", "one")
    path = f"{PROFILES}{profile['id']}/"
    bob = await make_user(app, client, "bob@example.org", profile_id=profile["id"], login=False)
    bob_path = f"/auth/users/{bob.id}/"
    assert (await get_json(client, admin, bob_path))["profile_id"] == profile["id"]

    assert_rule_broken(await client.delete(path, headers=admin.headers), "user")
    assert await get_json(client, admin, path) == profile
    assert (await get_json(client, admin, bob_path))["profile_id"] == profile["id"]

    response = await client.patch(bob_path, json={"profile_id": None}, headers=admin.headers)
    assert response.status_code == 200, response.text
    assert response.json()["profile_id"] is None

    response = await client.delete(path, headers=admin.headers)
    assert response.status_code == 204, response.text
    assert_not_found(await client.get(path, headers=admin.headers))
    assert await get_json(client, admin, PROFILES) == []
    assert (await get_json(client, admin, bob_path))["profile_id"] is None
