"""Helpers shared by the task and collection tests: bodies, requests, ORM shortcuts."""

from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from qfractal.auth.models import LinkUserGroup, UserGroup
from tests.conftest import Account

TASKS = "/api/v2/task/"
TASK_GROUPS = "/api/v2/task-group/"
ACTIVITIES = "/api/v2/task-group/activity/"


def task_body(name: str = "my-task", **fields: Any) -> dict[str, Any]:
    """A valid TaskCreate body: a non-parallel task unless commands are given."""
    body: dict[str, Any] = {"name": name, "version": "1.0.0"}
    if "command_parallel" not in fields:
        body["command_non_parallel"] = "/usr/bin/python3 /opt/tasks/task.py"
    body.update(fields)
    return body


async def create_task(
    client: httpx.AsyncClient, account: Account, body: dict[str, Any], **params: Any
) -> dict[str, Any]:
    response = await client.post(TASKS, json=body, params=params, headers=account.headers)
    assert response.status_code == 201, response.text
    return response.json()


async def get_group(client: httpx.AsyncClient, account: Account, group_id: int) -> dict[str, Any]:
    response = await client.get(f"{TASK_GROUPS}{group_id}/", headers=account.headers)
    assert response.status_code == 200, response.text
    return response.json()


async def new_user_group(app: FastAPI, name: str, *member_ids: int) -> int:
    """A user group with these members, written through the ORM."""

    async with app.state.database.sessionmaker() as session, session.begin():
        group = UserGroup(name=name, viewer_paths=[])
        session.add(group)
        await session.flush()
        for user_id in member_ids:
            session.add(LinkUserGroup(group_id=group.id, user_id=user_id))
        return group.id


async def default_group_id(app: FastAPI) -> int:
    async with app.state.database.sessionmaker() as session:
        group_id = await session.scalar(
            select(UserGroup.id).where(UserGroup.name == app.state.settings.default_group_name)
        )
    assert group_id is not None
    return group_id
