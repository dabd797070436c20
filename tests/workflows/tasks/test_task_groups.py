"""/api/v2/task-group/: the `[pkg_name, [groups]]` list, PEP 440 order, reading, sharing."""

from typing import Any

import httpx
from fastapi import FastAPI

from qfractal.ids import MAX_ID
from tests.auth.test_login import assert_validation_error
from tests.conftest import Account, make_user
from tests.workflows.tasks.helpers import (
    TASK_GROUPS,
    create_task,
    default_group_id,
    get_group,
    new_user_group,
    task_body,
)


async def list_groups(
    client: httpx.AsyncClient, account: Account, **params: Any
) -> list[list[Any]]:
    response = await client.get(TASK_GROUPS, params=params, headers=account.headers)
    assert response.status_code == 200, response.text
    return response.json()


def versions(listing: list[list[Any]]) -> list[tuple[str, list[str | None]]]:
    return [(pkg, [group["version"] for group in groups]) for pkg, groups in listing]


async def test_list_shape_and_pep440_order(client: httpx.AsyncClient, user: Account) -> None:
    for version in ("0.9.0", "0.10.0", "0.10.0rc1", "1.0.0.dev1", "nightly", "2.0"):
        await create_task(client, user, task_body("pkg-b", version=version))
    await create_task(client, user, task_body("pkg-b", version=None))
    await create_task(client, user, task_body("pkg-a", version="1.0.0"))

    listing = await list_groups(client, user)
    assert versions(listing) == [
        ("pkg-a", ["1.0.0"]),
        ("pkg-b", ["2.0", "1.0.0.dev1", "0.10.0", "0.10.0rc1", "0.9.0", "nightly", None]),
    ]
    pkg, groups = listing[0]
    assert isinstance(pkg, str) and isinstance(groups, list)
    group = groups[0]
    assert set(group) == {
        "id", "task_list", "user_id", "user_group_id", "origin", "pkg_name", "version",
        "python_version", "pixi_version", "path", "venv_path", "archive_path", "pip_extras",
        "pinned_package_versions_pre", "pinned_package_versions_post", "venv_size_in_kB",
        "venv_file_number", "active", "timestamp_created", "timestamp_last_used",
    }  # fmt: skip
    assert [task["name"] for task in group["task_list"]] == ["pkg-a"]


async def test_list_options(client: httpx.AsyncClient, user: Account, other_user: Account) -> None:
    schema = {"type": "object", "properties": {}}
    mine = await create_task(client, user, task_body("mine", args_schema_non_parallel=schema))
    await create_task(client, other_user, task_body("theirs"))
    await create_task(client, other_user, task_body("hidden"), private="true")

    assert [pkg for pkg, _ in await list_groups(client, user)] == ["mine", "theirs"]
    assert [pkg for pkg, _ in await list_groups(client, user, only_owner="true")] == ["mine"]

    deactivated = await client.post(
        f"{TASK_GROUPS}{mine['taskgroupv2_id']}/deactivate/", headers=user.headers
    )
    assert deactivated.status_code == 202, deactivated.text
    assert [pkg for pkg, _ in await list_groups(client, user, only_active="true")] == ["theirs"]

    full = await list_groups(client, user, only_owner="true")
    assert full[0][1][0]["task_list"][0]["args_schema_non_parallel"] == schema
    slim = await list_groups(client, user, only_owner="true", args_schema="false")
    assert slim[0][1][0]["task_list"][0]["args_schema_non_parallel"] is None


async def test_one_group_per_version_is_listed(
    app: FastAPI, client: httpx.AsyncClient, user: Account, other_user: Account, profile_id: int
) -> None:
    """Same package and version from several owners: own > default group > oldest membership."""
    team = await new_user_group(app, "team", user.id, other_user.id)
    theirs = await create_task(client, other_user, task_body("pkg"))
    assert (await get_group(client, user, theirs["taskgroupv2_id"]))["user_group_id"] == (
        await default_group_id(app)
    )
    team_copy = await create_task(
        client, other_user, task_body("pkg", version="2.0.0"), user_group_id=team
    )
    third = await make_user(app, client, "third@example.org", profile_id=profile_id)
    third_team = await new_user_group(app, "third-team", user.id, third.id)
    await create_task(client, third, task_body("pkg", version="2.0.0"), user_group_id=third_team)
    await create_task(client, third, task_body("pkg"), user_group_id=third_team)
    chosen = await list_groups(client, user)
    assert [(g["id"], g["version"]) for g in chosen[0][1]] == [
        (team_copy["taskgroupv2_id"], "2.0.0"),
        (theirs["taskgroupv2_id"], "1.0.0"),
    ]

    mine = await create_task(client, user, task_body("pkg"), private="true")
    chosen = await list_groups(client, user)
    assert [g["id"] for g in chosen[0][1]] == [team_copy["taskgroupv2_id"], mine["taskgroupv2_id"]]


async def test_get_and_visibility(
    client: httpx.AsyncClient, user: Account, other_user: Account
) -> None:
    private = await create_task(client, user, task_body("private"), private="true")
    shared = await create_task(client, user, task_body("shared"))
    assert (
        await client.get(f"{TASK_GROUPS}{private['taskgroupv2_id']}/", headers=other_user.headers)
    ).status_code == 404
    assert (
        await client.get(f"{TASK_GROUPS}{shared['taskgroupv2_id']}/", headers=other_user.headers)
    ).status_code == 200
    assert (await client.get(f"{TASK_GROUPS}9999/", headers=user.headers)).status_code == 404
    assert_validation_error(
        await client.get(f"{TASK_GROUPS}{MAX_ID + 1}/", headers=user.headers), field="task_group_id"
    )


async def test_patch_user_group(
    app: FastAPI, client: httpx.AsyncClient, user: Account, other_user: Account
) -> None:
    task = await create_task(client, user, task_body("pkg"))
    url = f"{TASK_GROUPS}{task['taskgroupv2_id']}/"
    team = await new_user_group(app, "team", user.id)
    outsiders = await new_user_group(app, "outsiders", other_user.id)

    response = await client.patch(url, json={"user_group_id": team}, headers=user.headers)
    assert response.status_code == 200, response.text
    assert response.json()["user_group_id"] == team
    assert [t["id"] for t in response.json()["task_list"]] == [task["id"]]
    # other_user is not in "team" any more: the group is now invisible to them
    assert (await client.get(url, headers=other_user.headers)).status_code == 404

    not_member = await client.patch(url, json={"user_group_id": outsiders}, headers=user.headers)
    assert not_member.status_code == 422
    assert "not a member" in not_member.json()["detail"]

    made_private = await client.patch(url, json={"user_group_id": None}, headers=user.headers)
    assert made_private.json()["user_group_id"] is None
    unchanged = await client.patch(url, json={}, headers=user.headers)
    assert unchanged.json()["user_group_id"] is None
    assert_validation_error(
        await client.patch(url, json={"active": False}, headers=user.headers), field="active"
    )


async def test_patch_refuses_a_clash_in_the_target_group(
    app: FastAPI, client: httpx.AsyncClient, user: Account, other_user: Account
) -> None:
    team = await new_user_group(app, "team", user.id, other_user.id)
    await create_task(client, other_user, task_body("pkg"), user_group_id=team)
    mine = await create_task(client, user, task_body("pkg"), private="true")
    response = await client.patch(
        f"{TASK_GROUPS}{mine['taskgroupv2_id']}/",
        json={"user_group_id": team},
        headers=user.headers,
    )
    assert response.status_code == 422
    assert "already has" in response.json()["detail"]


async def test_only_the_owner_patches(
    client: httpx.AsyncClient, user: Account, other_user: Account
) -> None:
    shared = await create_task(client, user, task_body("shared"))
    private = await create_task(client, user, task_body("private"), private="true")
    forbidden = await client.patch(
        f"{TASK_GROUPS}{shared['taskgroupv2_id']}/",
        json={"user_group_id": None},
        headers=other_user.headers,
    )
    assert forbidden.status_code == 403
    hidden = await client.patch(
        f"{TASK_GROUPS}{private['taskgroupv2_id']}/",
        json={"user_group_id": None},
        headers=other_user.headers,
    )
    assert hidden.status_code == 404


async def test_anonymous(client: httpx.AsyncClient) -> None:
    assert (await client.get(TASK_GROUPS)).status_code == 401
    assert (await client.get(f"{TASK_GROUPS}1/")).status_code == 401
    assert (await client.patch(f"{TASK_GROUPS}1/", json={})).status_code == 401
