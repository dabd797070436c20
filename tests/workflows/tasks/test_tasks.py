"""/api/v2/task/: register, list, filter, read, edit; visibility and ownership."""

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from qfractal.ids import MAX_ID
from tests.auth.test_login import assert_validation_error
from tests.conftest import Account, make_user
from tests.workflows.conftest import make_local_profile
from tests.workflows.tasks.helpers import (
    TASKS,
    create_task,
    default_group_id,
    get_group,
    new_user_group,
    task_body,
)


async def test_create_makes_a_one_task_group(
    app: FastAPI, client: httpx.AsyncClient, user: Account
) -> None:
    task = await create_task(
        client,
        user,
        task_body(
            "thresholding", category="Segmentation", tags=["a", "b"], input_types={"3D": True}
        ),
    )
    assert task["type"] == "non_parallel"
    assert task["version"] == "1.0.0"
    assert task["command_parallel"] is None
    assert task["meta_non_parallel"] == {} and task["meta_parallel"] == {}
    assert task["input_types"] == {"3D": True} and task["tags"] == ["a", "b"]

    group = await get_group(client, user, task["taskgroupv2_id"])
    assert group["origin"] == "other"
    assert (group["pkg_name"], group["version"]) == ("thresholding", "1.0.0")
    assert group["user_id"] == user.id and group["active"] is True
    assert group["user_group_id"] == await default_group_id(app)
    assert [t["id"] for t in group["task_list"]] == [task["id"]]

    listed = (await client.get(TASKS, headers=user.headers)).json()
    assert listed == [task]
    assert (await client.get(f"{TASKS}{task['id']}/", headers=user.headers)).json() == task


@pytest.mark.parametrize(
    ("commands", "expected"),
    [
        ({"command_non_parallel": "/bin/np"}, "non_parallel"),
        ({"command_parallel": "/bin/p"}, "parallel"),
        ({"command_non_parallel": "/bin/np", "command_parallel": "/bin/p"}, "compound"),
        (
            {"command_non_parallel": "/bin/np", "type": "converter_non_parallel"},
            "converter_non_parallel",
        ),
        (
            {
                "command_non_parallel": "/bin/np",
                "command_parallel": "/bin/p",
                "type": "converter_compound",
            },
            "converter_compound",
        ),
    ],
)
async def test_type_follows_the_commands(
    client: httpx.AsyncClient, user: Account, commands: dict[str, str], expected: str
) -> None:
    body = {"name": f"t-{expected}", **commands}
    task = await create_task(client, user, body)
    assert task["type"] == expected


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "no-command"}, None),
        ({"name": "t", "command_non_parallel": "/bin/x", "type": "parallel"}, None),
        ({"name": "t", "command_parallel": "/bin/x", "type": "compound"}, None),
        (
            {
                "name": "t",
                "command_non_parallel": "/bin/x",
                "command_parallel": "/y",
                "type": "non_parallel",
            },
            None,
        ),
        ({"name": "t", "command_non_parallel": "/bin/x; rm -rf /"}, "command_non_parallel"),
        ({"name": "t", "command_parallel": "/bin/x $(whoami)"}, "command_parallel"),
        ({"name": "t", "command_parallel": "/bin/x", "meta_non_parallel": {"a": 1}}, None),
        ({"name": "t", "command_non_parallel": "/bin/x", "args_schema_parallel": {}}, None),
        ({"name": "", "command_non_parallel": "/bin/x"}, "name"),
        ({"name": "t", "command_non_parallel": "/bin/x", "unknown": 1}, "unknown"),
        ({"name": "t", "command_non_parallel": "/bin/x", "tags": ["a", "a"]}, "tags"),
        ({"name": "t", "command_non_parallel": "/bin/x", "docs_link": "ftp://x"}, "docs_link"),
    ],
)
async def test_invalid_bodies(
    client: httpx.AsyncClient, user: Account, body: dict[str, Any], field: str | None
) -> None:
    response = await client.post(TASKS, json=body, headers=user.headers)
    assert_validation_error(response, field=field)


async def test_sharing_options(
    app: FastAPI, client: httpx.AsyncClient, user: Account, other_user: Account
) -> None:
    private = await create_task(client, user, task_body("private"), private="true")
    assert (await get_group(client, user, private["taskgroupv2_id"]))["user_group_id"] is None

    team = await new_user_group(app, "team", user.id)
    shared = await create_task(client, user, task_body("shared"), user_group_id=team)
    assert (await get_group(client, user, shared["taskgroupv2_id"]))["user_group_id"] == team

    both = await client.post(
        TASKS,
        json=task_body("x"),
        params={"private": "true", "user_group_id": team},
        headers=user.headers,
    )
    assert both.status_code == 422
    assert "private" in both.json()["detail"]

    outsiders = await new_user_group(app, "outsiders", other_user.id)
    not_member = await client.post(
        TASKS, json=task_body("y"), params={"user_group_id": outsiders}, headers=user.headers
    )
    assert not_member.status_code == 422
    assert "not a member" in not_member.json()["detail"]
    unknown = await client.post(
        TASKS, json=task_body("y"), params={"user_group_id": 9999}, headers=user.headers
    )
    assert unknown.status_code == 422
    too_big = await client.post(
        TASKS, json=task_body("y"), params={"user_group_id": MAX_ID + 1}, headers=user.headers
    )
    assert_validation_error(too_big, field="user_group_id")


async def test_duplicates_are_refused(
    app: FastAPI, client: httpx.AsyncClient, user: Account, other_user: Account
) -> None:
    await create_task(client, user, task_body("dup"), private="true")
    again = await client.post(
        TASKS, json=task_body("dup"), params={"private": "true"}, headers=user.headers
    )
    assert again.status_code == 422
    assert "already owns" in again.json()["detail"]
    # another version is fine
    await create_task(client, user, task_body("dup", version="2.0.0"), private="true")
    # the default group already has dup 3.0.0 from user: other_user cannot add it there
    await create_task(client, user, task_body("dup", version="3.0.0"))
    clash = await client.post(
        TASKS, json=task_body("dup", version="3.0.0"), headers=other_user.headers
    )
    assert clash.status_code == 422
    assert "group" in clash.json()["detail"]
    await create_task(client, other_user, task_body("dup", version="3.0.0"), private="true")


async def test_list_filters(client: httpx.AsyncClient, user: Account) -> None:
    schema = {"type": "object", "properties": {"x": {"type": "integer"}}}
    a = await create_task(
        client,
        user,
        task_body(
            "a",
            category="Segmentation",
            modality="HCS",
            authors="Ada Lovelace, Alan Turing",
            args_schema_non_parallel=schema,
        ),
    )
    b = await create_task(
        client, user, task_body("b", category="Conversion", authors="Grace Hopper")
    )

    async def names(**params: Any) -> list[str]:
        response = await client.get(TASKS, params=params, headers=user.headers)
        assert response.status_code == 200, response.text
        return [task["name"] for task in response.json()]

    assert await names() == ["a", "b"]
    assert await names(category="segmentation") == ["a"]
    assert await names(modality="hcs") == ["a"]
    assert await names(author="turing") == ["a"]
    assert await names(author="o") == ["a", "b"]
    assert await names(author="%") == []
    assert a["args_schema_non_parallel"] == schema
    without = (
        await client.get(TASKS, params={"args_schema": "false"}, headers=user.headers)
    ).json()
    assert [t["args_schema_non_parallel"] for t in without] == [None, None]
    # the schemas were only left out of the answer, not deleted
    again = (await client.get(f"{TASKS}{a['id']}/", headers=user.headers)).json()
    assert again["args_schema_non_parallel"] == schema
    assert b["authors"] == "Grace Hopper"


async def test_visibility_between_users(
    app: FastAPI, client: httpx.AsyncClient, user: Account, other_user: Account
) -> None:
    private = await create_task(client, user, task_body("mine"), private="true")
    public = await create_task(client, user, task_body("ours"))

    seen = [t["name"] for t in (await client.get(TASKS, headers=other_user.headers)).json()]
    assert seen == ["ours"]
    assert (
        await client.get(f"{TASKS}{private['id']}/", headers=other_user.headers)
    ).status_code == 404
    assert (
        await client.get(f"{TASKS}{public['id']}/", headers=other_user.headers)
    ).status_code == 200
    patch = await client.patch(
        f"{TASKS}{private['id']}/", json={"category": "x"}, headers=other_user.headers
    )
    assert patch.status_code == 404
    patch = await client.patch(
        f"{TASKS}{public['id']}/", json={"category": "x"}, headers=other_user.headers
    )
    assert patch.status_code == 403

    # a user on another resource sees nothing of this resource
    elsewhere = await make_local_profile(app, app.state.settings.data_dir, "elsewhere")
    stranger = await make_user(app, client, "stranger@example.org", profile_id=elsewhere)
    assert (await client.get(TASKS, headers=stranger.headers)).json() == []
    assert (
        await client.get(f"{TASKS}{public['id']}/", headers=stranger.headers)
    ).status_code == 404


async def test_patch(client: httpx.AsyncClient, user: Account) -> None:
    task = await create_task(client, user, task_body("edit", tags=["old"], category="A"))
    url = f"{TASKS}{task['id']}/"
    response = await client.patch(
        url,
        json={
            "command_non_parallel": "/bin/new",
            "input_types": {"3D": False},
            "tags": ["new"],
            "category": None,
        },
        headers=user.headers,
    )
    assert response.status_code == 200, response.text
    edited = response.json()
    assert edited["command_non_parallel"] == "/bin/new"
    assert edited["input_types"] == {"3D": False} and edited["tags"] == ["new"]
    assert edited["category"] is None
    assert edited["name"] == "edit"

    unset_side = await client.patch(url, json={"command_parallel": "/bin/p"}, headers=user.headers)
    assert unset_side.status_code == 422
    assert "command_parallel" in unset_side.json()["detail"]
    assert_validation_error(
        await client.patch(url, json={"command_non_parallel": "a|b"}, headers=user.headers),
        field="command_non_parallel",
    )
    assert_validation_error(
        await client.patch(url, json={"command_non_parallel": None}, headers=user.headers)
    )
    assert_validation_error(
        await client.patch(url, json={"name": "x"}, headers=user.headers), field="name"
    )
    cleared = await client.patch(url, json={"tags": None}, headers=user.headers)
    assert cleared.json()["tags"] == []


async def test_delete_is_not_allowed(client: httpx.AsyncClient, user: Account) -> None:
    task = await create_task(client, user, task_body())
    response = await client.delete(f"{TASKS}{task['id']}/", headers=user.headers)
    assert response.status_code == 405
    assert "task group" in response.json()["detail"]
    assert (await client.get(f"{TASKS}{task['id']}/", headers=user.headers)).status_code == 200


async def test_unknown_ids(client: httpx.AsyncClient, user: Account) -> None:
    assert (await client.get(f"{TASKS}9999/", headers=user.headers)).status_code == 404
    assert (await client.patch(f"{TASKS}9999/", json={}, headers=user.headers)).status_code == 404
    assert_validation_error(
        await client.get(f"{TASKS}{MAX_ID + 1}/", headers=user.headers), field="task_id"
    )


async def test_access_rules(
    app: FastAPI, client: httpx.AsyncClient, user: Account, profile_id: int
) -> None:
    task = await create_task(client, user, task_body())
    requests = [
        ("GET", TASKS, None),
        ("POST", TASKS, task_body("other")),
        ("GET", f"{TASKS}{task['id']}/", None),
        ("PATCH", f"{TASKS}{task['id']}/", {}),
        ("DELETE", f"{TASKS}{task['id']}/", None),
    ]
    unverified = await make_user(
        app, client, "unverified@example.org", verified=False, profile_id=profile_id
    )
    no_profile = await make_user(app, client, "noprofile@example.org")
    for method, url, body in requests:
        anonymous = await client.request(method, url, json=body)
        assert anonymous.status_code == 401, (method, url)
        for account in (unverified, no_profile):
            response = await client.request(method, url, json=body, headers=account.headers)
            assert response.status_code == 403, (method, url, account.email)
