"""Fixtures of the workflows face: a local resource and profile, and users who have it."""

import sys
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from qfractal.compute import service as compute
from qfractal.compute.schemas import ProfileLocal, ResourceLocal, TasksPythonSettings
from tests.conftest import Account, make_user

PYTHON_VERSION = f"{sys.version_info.major}.{sys.version_info.minor}"


async def make_local_profile(app: FastAPI, folder: Path, name: str) -> int:
    """A local resource with its own job and task folders, and one profile on it."""
    python = TasksPythonSettings.model_validate(
        {"default_version": PYTHON_VERSION, "versions": {PYTHON_VERSION: sys.executable}}
    )
    async with app.state.database.sessionmaker() as session, session.begin():
        resource = await compute.create_resource(
            session,
            data=ResourceLocal(
                type="local",
                name=name,
                tasks_python_config=python,
                tasks_local_dir=str(folder / name / "tasks"),
                jobs_local_dir=str(folder / name / "jobs"),
            ),
        )
        profile = await compute.create_profile(
            session, resource, data=ProfileLocal(name=name, resource_type="local")
        )
        return profile.id


@pytest.fixture
async def profile_id(app: FastAPI, tmp_path: Path) -> int:
    return await make_local_profile(app, tmp_path, "local")


@pytest.fixture
async def user(app: FastAPI, client: httpx.AsyncClient, profile_id: int) -> Account:
    """A verified user with a profile: may use every /api/v2 route."""
    return await make_user(app, client, "user@example.org", profile_id=profile_id)


@pytest.fixture
async def other_user(app: FastAPI, client: httpx.AsyncClient, profile_id: int) -> Account:
    """Another such user on the same resource, who must not see `user`'s objects."""
    return await make_user(app, client, "other@example.org", profile_id=profile_id)


@pytest.fixture
async def superuser(app: FastAPI, client: httpx.AsyncClient, profile_id: int) -> Account:
    return await make_user(app, client, "admin@example.org", superuser=True, profile_id=profile_id)
