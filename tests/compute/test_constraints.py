"""The database itself enforces the resource/profile rules, without going through the API.

Every case first shows that a valid variant of the row (or change) is accepted, then
that the invalid one fails on flush with an IntegrityError.
"""

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from qfractal.compute.models import Profile, Resource
from tests.compute.test_resources import (
    local_profile,
    local_resource,
    slurm_ssh_profile,
    slurm_ssh_resource,
    slurm_sudo_profile,
    slurm_sudo_resource,
)
from tests.conftest import make_user

Change = Callable[[AsyncSession], Awaitable[None]]
Builder = Callable[..., dict[str, Any]]


def resource_row(builder: Builder, name: str, **overrides: Any) -> Resource:
    return Resource(**builder(name, **overrides))


def profile_row(builder: Builder, resource_id: int, name: str, **overrides: Any) -> Profile:
    return Profile(resource_id=resource_id, **builder(name, **overrides))


def adding(*rows: Resource | Profile) -> Change:
    async def change(session: AsyncSession) -> None:
        session.add_all(rows)

    return change


def deleting(model: type[Resource] | type[Profile], row_id: int) -> Change:
    async def change(session: AsyncSession) -> None:
        row = await session.get(model, row_id)
        assert row is not None
        await session.delete(row)

    return change


def updating(resource_id: int, **fields: Any) -> Change:
    async def change(session: AsyncSession) -> None:
        row = await session.get(Resource, resource_id)
        assert row is not None
        for key, value in fields.items():
            setattr(row, key, value)

    return change


async def accepted(app: FastAPI, change: Change) -> None:
    async with app.state.database.sessionmaker() as session, session.begin():
        await change(session)
        await session.flush()


async def rejected(app: FastAPI, change: Change, constraint: str | None = None) -> None:
    """`change` fails on flush; `constraint`, if given, is named in the error."""
    async with app.state.database.sessionmaker() as session:
        await change(session)
        with pytest.raises(IntegrityError) as info:
            await session.flush()
        await session.rollback()
    if constraint is not None:
        assert constraint in str(info.value)


async def add(app: FastAPI, row: Resource | Profile) -> int:
    await accepted(app, adding(row))
    return row.id


async def count(app: FastAPI, model: type[Resource] | type[Profile]) -> int:
    async with app.state.database.sessionmaker() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


# --- resource rows ------------------------------------------------------------------

RESOURCE_CASES = {
    "unknown_type": (slurm_sudo_resource, {"type": "kubernetes"}, "ck_resource_type"),
    "ssh_without_host": (slurm_ssh_resource, {"host": None}, "ck_resource_host_iff_ssh"),
    "sudo_with_host": (slurm_sudo_resource, {"host": "h"}, "ck_resource_host_iff_ssh"),
    "local_with_host": (local_resource, {"host": "h"}, "ck_resource_host_iff_ssh"),
    "sudo_without_worker": (
        slurm_sudo_resource,
        {"jobs_slurm_python_worker": None},
        "ck_resource_slurm_worker_iff_slurm",
    ),
    "ssh_without_worker": (
        slurm_ssh_resource,
        {"jobs_slurm_python_worker": None},
        "ck_resource_slurm_worker_iff_slurm",
    ),
    "local_with_worker": (
        local_resource,
        {"jobs_slurm_python_worker": "/tmp/worker"},
        "ck_resource_slurm_worker_iff_slurm",
    ),
    "zero_poll_interval": (
        local_resource,
        {"jobs_poll_interval": 0},
        "ck_resource_poll_interval_positive",
    ),
    "negative_poll_interval": (
        slurm_ssh_resource,
        {"jobs_poll_interval": -5},
        "ck_resource_poll_interval_positive",
    ),
}


@pytest.mark.parametrize(
    ("builder", "overrides", "constraint"), RESOURCE_CASES.values(), ids=RESOURCE_CASES.keys()
)
async def test_resource_check_constraints(
    app: FastAPI, builder: Builder, overrides: dict[str, Any], constraint: str
) -> None:
    await accepted(app, adding(resource_row(builder, "valid")))
    await rejected(app, adding(resource_row(builder, "invalid", **overrides)), constraint)
    assert await count(app, Resource) == 1


async def test_resource_name_is_unique(app: FastAPI) -> None:
    await accepted(app, adding(resource_row(local_resource, "a")))
    await accepted(app, adding(resource_row(slurm_sudo_resource, "b")))
    await rejected(app, adding(resource_row(slurm_ssh_resource, "a")))
    assert await count(app, Resource) == 2


async def test_resource_with_a_profile_cannot_be_deleted(app: FastAPI) -> None:
    unused = await add(app, resource_row(local_resource, "unused"))
    used = await add(app, resource_row(local_resource, "used"))
    await add(app, profile_row(local_profile, used, "p"))

    await accepted(app, deleting(Resource, unused))
    await rejected(app, deleting(Resource, used))
    assert await count(app, Resource) == 1
    assert await count(app, Profile) == 1


async def test_resource_type_cannot_change_under_its_profiles(app: FastAPI) -> None:
    free = await add(app, resource_row(local_resource, "free"))
    pinned = await add(app, resource_row(local_resource, "pinned"))
    await add(app, profile_row(local_profile, pinned, "p"))
    to_sudo = {"type": "slurm_sudo", "jobs_slurm_python_worker": "/tmp/worker"}

    await accepted(app, updating(free, **to_sudo))
    await rejected(app, updating(pinned, **to_sudo))


# --- profile rows -------------------------------------------------------------------

PROFILE_CASES = {
    "sudo_without_username": (
        slurm_sudo_resource,
        slurm_sudo_profile,
        {"username": None},
        "ck_profile_slurm_needs_username",
    ),
    "ssh_without_username": (
        slurm_ssh_resource,
        slurm_ssh_profile,
        {"username": None},
        "ck_profile_slurm_needs_username",
    ),
    "ssh_without_key": (
        slurm_ssh_resource,
        slurm_ssh_profile,
        {"ssh_key_path": None},
        "ck_profile_ssh_needs_key_and_dirs",
    ),
    "ssh_without_jobs_dir": (
        slurm_ssh_resource,
        slurm_ssh_profile,
        {"jobs_remote_dir": None},
        "ck_profile_ssh_needs_key_and_dirs",
    ),
    "ssh_without_tasks_dir": (
        slurm_ssh_resource,
        slurm_ssh_profile,
        {"tasks_remote_dir": None},
        "ck_profile_ssh_needs_key_and_dirs",
    ),
}


@pytest.mark.parametrize(
    ("resource_builder", "builder", "overrides", "constraint"),
    PROFILE_CASES.values(),
    ids=PROFILE_CASES.keys(),
)
async def test_profile_check_constraints(
    app: FastAPI,
    resource_builder: Builder,
    builder: Builder,
    overrides: dict[str, Any],
    constraint: str,
) -> None:
    resource_id = await add(app, resource_row(resource_builder, "cluster"))
    await accepted(app, adding(profile_row(builder, resource_id, "valid")))
    await rejected(
        app, adding(profile_row(builder, resource_id, "invalid", **overrides)), constraint
    )
    assert await count(app, Profile) == 1


@pytest.mark.parametrize(
    ("resource_builder", "builder", "other_builder"),
    [
        (slurm_sudo_resource, slurm_sudo_profile, local_profile),
        (local_resource, local_profile, slurm_sudo_profile),
        (slurm_sudo_resource, slurm_sudo_profile, slurm_ssh_profile),
    ],
    ids=["local-on-sudo", "sudo-on-local", "ssh-on-sudo"],
)
async def test_profile_type_must_be_its_resources_type(
    app: FastAPI, resource_builder: Builder, builder: Builder, other_builder: Builder
) -> None:
    """The composite foreign key (resource_id, resource_type) -> resource (id, type)."""
    resource_id = await add(app, resource_row(resource_builder, "cluster"))
    await accepted(app, adding(profile_row(builder, resource_id, "valid")))
    await rejected(app, adding(profile_row(other_builder, resource_id, "invalid")))
    assert await count(app, Profile) == 1


async def test_profile_needs_an_existing_resource(app: FastAPI) -> None:
    resource_id = await add(app, resource_row(local_resource, "cluster"))
    await accepted(app, adding(profile_row(local_profile, resource_id, "valid")))
    await rejected(app, adding(profile_row(local_profile, resource_id + 1, "invalid")))


async def test_profile_name_is_unique(app: FastAPI) -> None:
    sudo = await add(app, resource_row(slurm_sudo_resource, "sudo"))
    local = await add(app, resource_row(local_resource, "local"))
    await accepted(app, adding(profile_row(slurm_sudo_profile, sudo, "a")))
    await accepted(app, adding(profile_row(local_profile, local, "b")))
    await rejected(app, adding(profile_row(local_profile, local, "a")))
    assert await count(app, Profile) == 2


async def test_profile_of_a_user_cannot_be_deleted(app: FastAPI, client: httpx.AsyncClient) -> None:
    resource_id = await add(app, resource_row(local_resource, "cluster"))
    unused = await add(app, profile_row(local_profile, resource_id, "unused"))
    used = await add(app, profile_row(local_profile, resource_id, "used"))
    await make_user(app, client, "bob@example.org", profile_id=used, login=False)

    await accepted(app, deleting(Profile, unused))
    await rejected(app, deleting(Profile, used))
    assert await count(app, Profile) == 1
