"""A server start fails the activities a previous process left pending or ongoing."""

from pathlib import Path

import httpx
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from qfractal.app import create_app
from qfractal.compute.models import Profile
from qfractal.config import Settings
from qfractal.workflows.collection.activity import RESTART_MESSAGE
from qfractal.workflows.models import TaskGroup, TaskGroupActivity
from tests.conftest import Account
from tests.workflows.collection.conftest import group_folder, last_entry
from tests.workflows.tasks.helpers import ACTIVITIES, TASK_GROUPS

EARLIER = "2024-01-01T00:00:00+00:00"


async def test_restart_marks_stale_activities_failed(
    app: FastAPI, client: httpx.AsyncClient, user: Account, profile_id: int, settings: Settings
) -> None:
    folder = group_folder(app, user, "1.0")
    (folder / "venv").mkdir(parents=True)
    async with app.state.database.sessionmaker() as session, session.begin():
        resource = (await session.get(Profile, profile_id)).resource_id
        half_collected = TaskGroup(
            user_id=user.id, resource_id=resource, origin="pypi", pkg_name="qfractal-tasks-mock",
            version="1.0", path=str(folder), venv_path=f"{folder}/venv", active=False,
        )  # fmt: skip
        installed = TaskGroup(
            user_id=user.id, resource_id=resource, origin="other", pkg_name="other", version="1",
            active=True,
        )  # fmt: skip
        session.add_all([half_collected, installed])
        await session.flush()
        rows = [
            TaskGroupActivity(
                user_id=user.id, taskgroupv2_id=half_collected.id, pkg_name="qfractal-tasks-mock",
                version="1.0", status="ongoing", action="collect", log=f"{EARLIER} START\n",
            ),
            TaskGroupActivity(
                user_id=user.id, taskgroupv2_id=installed.id, pkg_name="other", version="1",
                status="pending", action="deactivate",
            ),
            TaskGroupActivity(
                user_id=user.id, taskgroupv2_id=installed.id, pkg_name="other", version="1",
                status="OK", action="reactivate", log="done\n",
            ),
        ]  # fmt: skip
        session.add_all(rows)
        await session.flush()
        ids = [row.id for row in rows]
        kept_group = installed.id

    restarted = create_app(settings)
    async with LifespanManager(restarted):
        pass

    activities = {a["id"]: a for a in (await client.get(ACTIVITIES, headers=user.headers)).json()}
    collect, deactivate, done = (activities[i] for i in ids)
    for stale in (collect, deactivate):
        assert stale["status"] == "failed" and stale["timestamp_ended"] is not None
        assert last_entry(stale["log"]) == f"ERROR: {RESTART_MESSAGE}\n"
    assert collect["log"].startswith(f"{EARLIER} START\n")
    assert done["status"] == "OK" and done["log"] == "done\n"
    # the half-collected group and its folder are gone, the other group stays
    assert collect["taskgroupv2_id"] is None and not Path(folder).exists()
    assert (
        await client.get(f"{TASK_GROUPS}{kept_group}/", headers=user.headers)
    ).status_code == 200
