"""Deactivate / reactivate / delete without anything on disk (origin `other`), and the rules.

The full round trip of a collected venv is in test_pip_wheel.py.
"""

import httpx
from fastapi import FastAPI

from qfractal.workflows.models import TaskGroupActivity
from tests.conftest import Account
from tests.workflows.collection.conftest import add_to_workflow
from tests.workflows.tasks.helpers import TASK_GROUPS, TASKS, create_task, get_group, task_body


async def post(
    client: httpx.AsyncClient, account: Account, group_id: int, action: str
) -> httpx.Response:
    return await client.post(f"{TASK_GROUPS}{group_id}/{action}/", headers=account.headers)


async def test_origin_other_toggles_at_once(client: httpx.AsyncClient, user: Account) -> None:
    task = await create_task(client, user, task_body("hand-made"))
    group_id = task["taskgroupv2_id"]

    response = await post(client, user, group_id, "deactivate")
    assert response.status_code == 202
    activity = response.json()
    assert (activity["status"], activity["action"]) == ("OK", "deactivate")
    assert activity["taskgroupv2_id"] == group_id and activity["version"] == "1.0.0"
    assert (await get_group(client, user, group_id))["active"] is False
    assert (await post(client, user, group_id, "deactivate")).status_code == 422

    response = await post(client, user, group_id, "reactivate")
    assert response.status_code == 202 and response.json()["status"] == "OK"
    assert (await get_group(client, user, group_id))["active"] is True
    assert (await post(client, user, group_id, "reactivate")).status_code == 422

    response = await post(client, user, group_id, "delete")
    assert response.status_code == 202 and response.json()["status"] == "OK"
    assert (await client.get(f"{TASK_GROUPS}{group_id}/", headers=user.headers)).status_code == 404
    assert (await client.get(f"{TASKS}{task['id']}/", headers=user.headers)).status_code == 404


async def test_versionless_group(client: httpx.AsyncClient, user: Account) -> None:
    task = await create_task(client, user, task_body("no-version", version=None))
    response = await post(client, user, task["taskgroupv2_id"], "deactivate")
    assert response.json()["version"] == "N/A"


async def test_only_the_owner(
    client: httpx.AsyncClient, user: Account, other_user: Account
) -> None:
    shared = (await create_task(client, user, task_body("shared")))["taskgroupv2_id"]
    private = (await create_task(client, user, task_body("private"), private="true"))[
        "taskgroupv2_id"
    ]
    for action in ("deactivate", "reactivate", "delete"):
        assert (await post(client, other_user, shared, action)).status_code == 403
        assert (await post(client, other_user, private, action)).status_code == 404
        assert (await post(client, user, 9999, action)).status_code == 404
    assert (await get_group(client, user, shared))["active"] is True


async def test_delete_is_refused_while_a_workflow_uses_a_task(
    app: FastAPI, client: httpx.AsyncClient, user: Account
) -> None:
    task = await create_task(client, user, task_body("used"))
    workflow_id = await add_to_workflow(app, user, task["id"])
    response = await post(client, user, task["taskgroupv2_id"], "delete")
    assert response.status_code == 422
    assert f"workflow {workflow_id}" in response.json()["detail"]
    assert (await get_group(client, user, task["taskgroupv2_id"]))["active"] is True


async def test_an_activity_in_progress_blocks_the_next(
    app: FastAPI, client: httpx.AsyncClient, user: Account
) -> None:
    task = await create_task(client, user, task_body("busy"))
    group_id = task["taskgroupv2_id"]
    async with app.state.database.sessionmaker() as session, session.begin():
        busy = TaskGroupActivity(
            user_id=user.id, taskgroupv2_id=group_id, pkg_name="busy", version="1.0.0",
            status="ongoing", action="collect", log="",
        )  # fmt: skip
        session.add(busy)
    for action in ("deactivate", "delete"):
        response = await post(client, user, group_id, action)
        assert response.status_code == 422
        assert "in progress" in response.json()["detail"]
