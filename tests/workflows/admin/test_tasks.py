"""/admin/v2/task/ and /admin/v2/task-group/...: every owner's tasks, for superusers."""

import httpx
import pytest
from fastapi import FastAPI

from tests.conftest import Account
from tests.workflows.tasks.helpers import create_task, new_user_group, task_body

ADMIN_TASKS = "/admin/v2/task/"
ADMIN_GROUPS = "/admin/v2/task-group/"


async def _use_in_workflow(client: httpx.AsyncClient, user: Account, task_id: int) -> dict:
    created = await client.post("/api/v2/project/", json={"name": "p"}, headers=user.headers)
    project = created.json()
    base = f"/api/v2/project/{project['id']}/workflow/"
    workflow = (await client.post(base, json={"name": "wf"}, headers=user.headers)).json()
    added = await client.post(
        f"{base}{workflow['id']}/wftask/?task_id={task_id}", json={}, headers=user.headers
    )
    assert added.status_code == 201, added.text
    return {"project": project, "workflow": workflow}


async def test_task_list_shows_who_uses_each_task(
    client: httpx.AsyncClient, superuser: Account, user: Account, other_user: Account
) -> None:
    used = await create_task(client, user, task_body("segment"), private="true")
    unused = await create_task(client, other_user, task_body("measure", version="2.0"))
    where = await _use_in_workflow(client, user, used["id"])

    page = (await client.get(ADMIN_TASKS, headers=superuser.headers)).json()
    assert page["total_count"] == 2
    by_id = {item["task"]["id"]: item for item in page["items"]}
    assert by_id[unused["id"]]["relationships"] == []
    assert by_id[used["id"]]["relationships"] == [
        {
            "workflow_id": where["workflow"]["id"],
            "workflow_name": "wf",
            "project_id": where["project"]["id"],
            "project_name": "p",
            "project_users": [{"id": user.id, "email": user.email}],
        }
    ]
    assert set(by_id[used["id"]]["task"]) == {
        "id", "name", "type", "taskgroupv2_id", "command_non_parallel",
        "command_parallel", "source", "version",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("query", "names"),
    [
        ("name=SEG", ["segment"]),
        ("version=2.0", ["measure"]),
        ("task_type=non_parallel", ["segment", "measure"]),
        ("task_type=parallel", []),
        ("page=2&page_size=1", ["measure"]),
    ],
)
async def test_task_list_filters(
    client: httpx.AsyncClient, superuser: Account, user: Account, query: str, names: list[str]
) -> None:
    await create_task(client, user, task_body("segment"))
    await create_task(client, user, task_body("measure", version="2.0"))
    page = (await client.get(f"{ADMIN_TASKS}?{query}", headers=superuser.headers)).json()
    assert [item["task"]["name"] for item in page["items"]] == names


async def test_task_list_rejects_bad_filters(client: httpx.AsyncClient, superuser: Account) -> None:
    for query in ("task_type=unknown", "id=-3", "resource_id=99999999999"):
        response = await client.get(f"{ADMIN_TASKS}?{query}", headers=superuser.headers)
        assert response.status_code == 422, query


async def test_task_groups_of_every_owner(
    client: httpx.AsyncClient, superuser: Account, user: Account, other_user: Account
) -> None:
    private = await create_task(client, user, task_body("mine"), private="true")
    shared = await create_task(client, other_user, task_body("theirs"))

    everything = (await client.get(ADMIN_GROUPS, headers=superuser.headers)).json()
    assert {g["id"] for g in everything} == {private["taskgroupv2_id"], shared["taskgroupv2_id"]}
    assert all("resource_id" in g for g in everything)

    for query, expected in [
        (f"user_id={user.id}", [private["taskgroupv2_id"]]),
        ("private=true", [private["taskgroupv2_id"]]),
        ("private=false", [shared["taskgroupv2_id"]]),
        ("pkg_name=THEI", [shared["taskgroupv2_id"]]),
        ("origin=pypi", []),
    ]:
        found = (await client.get(f"{ADMIN_GROUPS}?{query}", headers=superuser.headers)).json()
        assert [g["id"] for g in found] == expected, query

    one = await client.get(f"{ADMIN_GROUPS}{private['taskgroupv2_id']}/", headers=superuser.headers)
    assert one.status_code == 200
    assert one.json()["task_list"][0]["id"] == private["id"]
    missing = await client.get(f"{ADMIN_GROUPS}999999/", headers=superuser.headers)
    assert missing.status_code == 404


async def test_superuser_shares_any_group(
    app: FastAPI, client: httpx.AsyncClient, superuser: Account, user: Account
) -> None:
    task = await create_task(client, user, task_body("mine"), private="true")
    url = f"{ADMIN_GROUPS}{task['taskgroupv2_id']}/"
    group_id = await new_user_group(app, "lab")
    shared = await client.patch(url, json={"user_group_id": group_id}, headers=superuser.headers)
    assert shared.status_code == 200
    assert shared.json()["user_group_id"] == group_id
    unknown = await client.patch(url, json={"user_group_id": 999999}, headers=superuser.headers)
    assert unknown.status_code == 404
    private = await client.patch(url, json={"user_group_id": None}, headers=superuser.headers)
    assert private.json()["user_group_id"] is None


async def test_superuser_life_cycle_of_any_group(
    client: httpx.AsyncClient, superuser: Account, user: Account
) -> None:
    used = await create_task(client, user, task_body("used"), private="true")
    unused = await create_task(client, user, task_body("unused"), private="true")
    await _use_in_workflow(client, user, used["id"])
    group_url = f"{ADMIN_GROUPS}{unused['taskgroupv2_id']}/"

    deactivated = await client.post(f"{group_url}deactivate/", headers=superuser.headers)
    assert deactivated.status_code == 202
    assert deactivated.json()["status"] == "OK"
    assert (await client.get(group_url, headers=superuser.headers)).json()["active"] is False
    again = await client.post(f"{group_url}deactivate/", headers=superuser.headers)
    assert again.status_code == 422
    reactivated = await client.post(f"{group_url}reactivate/", headers=superuser.headers)
    assert reactivated.status_code == 202
    assert (await client.get(group_url, headers=superuser.headers)).json()["active"] is True

    blocked = await client.post(
        f"{ADMIN_GROUPS}{used['taskgroupv2_id']}/delete/", headers=superuser.headers
    )
    assert blocked.status_code == 422
    deleted = await client.post(f"{group_url}delete/", headers=superuser.headers)
    assert deleted.status_code == 202
    assert (await client.get(group_url, headers=superuser.headers)).status_code == 404


async def test_activities_of_every_user(
    client: httpx.AsyncClient, superuser: Account, user: Account, other_user: Account
) -> None:
    for account in (user, other_user):
        task = await create_task(client, account, task_body("t"), private="true")
        group_url = f"/api/v2/task-group/{task['taskgroupv2_id']}/deactivate/"
        assert (await client.post(group_url, headers=account.headers)).status_code == 202
    listed = (await client.get(f"{ADMIN_GROUPS}activity/", headers=superuser.headers)).json()
    assert {a["user_id"] for a in listed} == {user.id, other_user.id}
    mine = await client.get(
        f"{ADMIN_GROUPS}activity/?user_id={user.id}&action=deactivate", headers=superuser.headers
    )
    assert [a["user_id"] for a in mine.json()] == [user.id]
