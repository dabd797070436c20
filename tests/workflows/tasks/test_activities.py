"""/api/v2/task-group/activity/: a user's own activities, filters, one activity."""

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from qfractal.ids import MAX_ID
from tests.auth.test_login import assert_validation_error
from tests.conftest import Account
from tests.workflows.tasks.helpers import ACTIVITIES, TASK_GROUPS, create_task, task_body


async def toggle(client: httpx.AsyncClient, account: Account, group_id: int, action: str) -> dict:
    response = await client.post(f"{TASK_GROUPS}{group_id}/{action}/", headers=account.headers)
    assert response.status_code == 202, response.text
    return response.json()


async def list_ids(client: httpx.AsyncClient, account: Account, **params: Any) -> list[int]:
    response = await client.get(ACTIVITIES, params=params, headers=account.headers)
    assert response.status_code == 200, response.text
    return [activity["id"] for activity in response.json()]


async def test_list_filter_and_get(
    client: httpx.AsyncClient, user: Account, other_user: Account
) -> None:
    before = datetime.now(UTC) - timedelta(seconds=1)
    alpha = (await create_task(client, user, task_body("alpha-tasks")))["taskgroupv2_id"]
    beta = (await create_task(client, user, task_body("beta-tasks")))["taskgroupv2_id"]
    first = await toggle(client, user, alpha, "deactivate")
    second = await toggle(client, user, alpha, "reactivate")
    third = await toggle(client, user, beta, "deactivate")
    theirs = await create_task(client, other_user, task_body("gamma"), private="true")
    other = await toggle(client, other_user, theirs["taskgroupv2_id"], "deactivate")

    assert first["status"] == "OK" and first["action"] == "deactivate"
    assert first["timestamp_ended"] is not None and first["log"]
    assert set(first) == {
        "id", "user_id", "taskgroupv2_id", "timestamp_started", "timestamp_ended",
        "pkg_name", "version", "status", "action", "log",
    }  # fmt: skip

    everything = [first["id"], second["id"], third["id"]]
    assert await list_ids(client, user) == everything
    assert await list_ids(client, user, taskgroupv2_id=alpha) == [first["id"], second["id"]]
    assert await list_ids(client, user, task_group_activity_id=third["id"]) == [third["id"]]
    assert await list_ids(client, user, pkg_name="BETA") == [third["id"]]
    assert await list_ids(client, user, action="reactivate") == [second["id"]]
    assert await list_ids(client, user, status="OK") == everything
    assert await list_ids(client, user, status="failed") == []
    assert await list_ids(client, user, timestamp_started_min=before.isoformat()) == everything
    later = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    assert await list_ids(client, user, timestamp_started_min=later) == []
    assert await list_ids(client, user, task_group_activity_id=other["id"]) == []

    one = await client.get(f"{ACTIVITIES}{first['id']}/", headers=user.headers)
    assert one.status_code == 200 and one.json() == first
    assert (
        await client.get(f"{ACTIVITIES}{other['id']}/", headers=user.headers)
    ).status_code == 404
    assert (await client.get(f"{ACTIVITIES}9999/", headers=user.headers)).status_code == 404


async def test_bad_filters(client: httpx.AsyncClient, user: Account) -> None:
    async def get(**params: Any) -> httpx.Response:
        return await client.get(ACTIVITIES, params=params, headers=user.headers)

    assert_validation_error(await get(status="done"), field="status")
    assert_validation_error(await get(action="install"), field="action")
    assert_validation_error(
        await get(timestamp_started_min="2024-01-01T00:00:00"), field="timestamp_started_min"
    )
    assert_validation_error(await get(taskgroupv2_id=MAX_ID + 1), field="taskgroupv2_id")
    assert_validation_error(
        await client.get(f"{ACTIVITIES}{MAX_ID + 1}/", headers=user.headers),
        field="task_group_activity_id",
    )


async def test_anonymous(client: httpx.AsyncClient) -> None:
    assert (await client.get(ACTIVITIES)).status_code == 401
    assert (await client.get(f"{ACTIVITIES}1/")).status_code == 401
