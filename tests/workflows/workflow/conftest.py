"""Fixtures for workflow tests: projects and workflows through the API, tasks as rows.

Tasks and task groups are written straight to the database (the task routes are tested
on their own); everything else goes through HTTP.
"""

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from qfractal.auth.models import LinkUserGroup, User, UserGroup
from qfractal.compute.models import Profile
from qfractal.workflows.models import Task, TaskGroup
from tests.conftest import Account

PROJECTS = "/api/v2/project/"

COMMANDS = {
    "non_parallel": ("/bin/true", None),
    "converter_non_parallel": ("/bin/true", None),
    "parallel": (None, "/bin/true"),
    "compound": ("/bin/true", "/bin/true"),
    "converter_compound": ("/bin/true", "/bin/true"),
}

MakeTask = Callable[..., Awaitable[int]]


async def _resource_of(session: Any, user_id: int) -> int:
    return await session.scalar(
        select(Profile.resource_id)
        .join(User, User.profile_id == Profile.id)
        .where(User.id == user_id)
    )


@pytest.fixture
def make_task(app: FastAPI) -> MakeTask:
    """`await make_task(owner, name, ...)` → ID of a new task in a new (or given) task group.

    Keyword arguments: pkg_name (default "<name>-package"), version, task_type,
    shared_with (a user-group ID), active, resource_id, group_id (reuse a task group) and
    any Task column.
    """

    async def make(
        owner: Account,
        name: str = "task",
        *,
        pkg_name: str | None = None,
        version: str | None = "1.0.0",
        task_type: str = "non_parallel",
        shared_with: int | None = None,
        active: bool = True,
        resource_id: int | None = None,
        group_id: int | None = None,
        **columns: Any,
    ) -> int:
        non_parallel, parallel = COMMANDS[task_type]
        async with app.state.database.sessionmaker() as session, session.begin():
            if group_id is None:
                group = TaskGroup(
                    user_id=owner.id,
                    user_group_id=shared_with,
                    resource_id=resource_id or await _resource_of(session, owner.id),
                    origin="other",
                    pkg_name=pkg_name or f"{name}-package",
                    version=version,
                    active=active,
                )
                session.add(group)
                await session.flush()
                group_id = group.id
            task = Task(
                taskgroupv2_id=group_id,
                name=name,
                type=task_type,
                version=version,
                command_non_parallel=non_parallel,
                command_parallel=parallel,
                **columns,
            )
            session.add(task)
            await session.flush()
            return task.id

    return make


@pytest.fixture
def set_task_group(app: FastAPI) -> Callable[..., Awaitable[None]]:
    """`await set_task_group(task_id, active=False, ...)`: change the task's group."""

    async def change(task_id: int, **values: Any) -> None:
        async with app.state.database.sessionmaker() as session, session.begin():
            task = await session.get(Task, task_id)
            group = await session.get(TaskGroup, task.taskgroupv2_id)
            for key, value in values.items():
                setattr(group, key, value)

    return change


@pytest.fixture
def make_group(app: FastAPI) -> Callable[..., Awaitable[int]]:
    """`await make_group(name, {user_id: joined_at})` → ID of a new user group."""

    async def make(name: str, members: dict[int, datetime]) -> int:
        async with app.state.database.sessionmaker() as session, session.begin():
            group = UserGroup(name=name)
            session.add(group)
            await session.flush()
            for user_id, joined in members.items():
                session.add(
                    LinkUserGroup(group_id=group.id, user_id=user_id, timestamp_created=joined)
                )
            return group.id

    return make


@pytest.fixture
def default_group_id(app: FastAPI) -> Callable[[], Awaitable[int]]:
    async def find() -> int:
        async with app.state.database.sessionmaker() as session:
            name = app.state.settings.default_group_name
            return await session.scalar(select(UserGroup.id).where(UserGroup.name == name))

    return find


async def create_project(client: httpx.AsyncClient, account: Account, name: str = "proj") -> int:
    response = await client.post(PROJECTS, json={"name": name}, headers=account.headers)
    assert response.status_code == 201, response.text
    return response.json()["id"]


async def create_workflow(
    client: httpx.AsyncClient, account: Account, project_id: int, name: str = "wf"
) -> dict:
    response = await client.post(
        f"{PROJECTS}{project_id}/workflow/", json={"name": name}, headers=account.headers
    )
    assert response.status_code == 201, response.text
    return response.json()


def workflow_url(project_id: int, workflow_id: int | None = None) -> str:
    base = f"{PROJECTS}{project_id}/workflow/"
    return base if workflow_id is None else f"{base}{workflow_id}/"


async def add_task(
    client: httpx.AsyncClient,
    account: Account,
    project_id: int,
    workflow_id: int,
    task_id: int,
    body: dict | None = None,
) -> dict:
    response = await client.post(
        f"{workflow_url(project_id, workflow_id)}wftask/?task_id={task_id}",
        json=body or {},
        headers=account.headers,
    )
    assert response.status_code == 201, response.text
    return response.json()


@pytest.fixture
async def project_id(client: httpx.AsyncClient, user: Account) -> int:
    return await create_project(client, user)


@pytest.fixture
async def workflow(client: httpx.AsyncClient, user: Account, project_id: int) -> dict:
    return await create_workflow(client, user, project_id)
