"""Fixtures of the collection tests: a local HTML package index holding the mock wheels.

The index is a PEP 503 "simple" index in plain HTML, served on 127.0.0.1 by http.server,
like a mirror that has no JSON API.
"""

import asyncio
import re
import shutil
import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from qfractal.compute.models import Profile
from qfractal.workflows.models import Project, Workflow, WorkflowTask
from tests.conftest import Account
from tests.mock_tasks import MOCK_NAME, MockWheels
from tests.workflows.tasks.helpers import ACTIVITIES

PIP = "/api/v2/task/collect/pip/"
FINISHED = ("OK", "failed")


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="session")
def html_index(tmp_path_factory: pytest.TempPathFactory, mock_wheels: MockWheels) -> Iterator[str]:
    """URL of a PEP 503 index (HTML only) holding both mock wheels."""
    root = tmp_path_factory.mktemp("index")
    project = root / "simple" / MOCK_NAME
    project.mkdir(parents=True)
    (root / "packages").mkdir()
    links = []
    for wheel in (mock_wheels.good, mock_wheels.broken):
        shutil.copy(wheel, root / "packages" / wheel.name)
        links.append(f'<a href="../../packages/{wheel.name}">{wheel.name}</a><br>')
    (project / "index.html").write_text(
        f"<!DOCTYPE html><html><body>{''.join(links)}</body></html>"
    )
    (root / "simple" / "index.html").write_text(
        f'<!DOCTYPE html><html><body><a href="{MOCK_NAME}/">{MOCK_NAME}</a></body></html>'
    )
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_QuietHandler, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/simple/"
    finally:
        server.shutdown()
        server.server_close()


async def add_to_workflow(app: FastAPI, user: Account, task_id: int) -> int:
    """A workflow task using `task_id`, written through the ORM; returns the workflow id."""
    async with app.state.database.sessionmaker() as session, session.begin():
        profile = await session.scalar(select(Profile).where(Profile.name == "local"))
        project = Project(name="p", resource_id=profile.resource_id)
        session.add(project)
        await session.flush()
        workflow = Workflow(name="wf", project_id=project.id)
        session.add(workflow)
        await session.flush()
        session.add(
            WorkflowTask(
                workflow_id=workflow.id,
                order=0,
                task_id=task_id,
                task_type="converter_non_parallel",
            )
        )
        return workflow.id


def last_entry(log: str) -> str:
    """The last timestamped entry of an activity log (with any lines it spans)."""
    return re.split(r"^\d{4}-\d\d-\d\dT\S+ ", log, flags=re.MULTILINE)[-1]


def group_folder(app: FastAPI, account: Account, version: str, pkg_name: str = MOCK_NAME) -> Path:
    """Where a collected task group of `account` lives (the `local` test resource)."""
    return (
        app.state.settings.data_dir.parent
        / "local"
        / "tasks"
        / str(account.id)
        / pkg_name
        / version
    )


async def collect_wheel(
    client: httpx.AsyncClient, account: Account, wheel: Path, **params: Any
) -> httpx.Response:
    """POST the wheel as fractal-client does (multipart, field `file`)."""
    files = {"file": (wheel.name, wheel.read_bytes(), "application/zip")}
    return await client.post(PIP, files=files, params=params, headers=account.headers)


async def wait_for_activity(
    client: httpx.AsyncClient, account: Account, activity_id: int, *, timeout: float = 300.0
) -> tuple[dict[str, Any], list[str]]:
    """Poll an activity until it ends; return it and the distinct logs seen on the way."""
    seen: list[str] = []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        response = await client.get(f"{ACTIVITIES}{activity_id}/", headers=account.headers)
        assert response.status_code == 200, response.text
        activity = response.json()
        if activity["log"] and (not seen or seen[-1] != activity["log"]):
            seen.append(activity["log"])
        if activity["status"] in FINISHED:
            return activity, seen
        assert loop.time() < deadline, f"activity {activity_id} still {activity['status']}"
        await asyncio.sleep(0.1)
