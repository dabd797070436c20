"""Fixtures of the runner tests: the mock task package in a real venv, its tasks
registered for the test user, and an app whose job engine runs workflow jobs.

The venv is built once for the package (a pip install, ~10 s); each test registers the
installed package's tasks through custom collection, which installs nothing.
"""

import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from qfractal.config import Settings
from tests.conftest import Account
from tests.mock_tasks import MOCK_PACKAGE, MOCK_VERSION, MockWheels

MANIFEST = MOCK_PACKAGE / "src" / "qfractal_tasks_mock" / "__FRACTAL_MANIFEST__.json"
SCRIPTED_TASK = Path(__file__).parent / "scripted_task.py"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The test settings, with the runner registered and a quick engine (stop requests
    are seen within 0.2 s)."""
    return settings.model_copy(
        update={
            "engine_handler_modules": ["qfractal.workflows.runner.registration"],
            "engine_heartbeat_seconds": 0.2,
            "engine_lease_seconds": 20.0,
        }
    )


@pytest.fixture(scope="package")
def mock_python(tmp_path_factory: pytest.TempPathFactory, mock_wheels: MockWheels) -> str:
    """The Python of a venv where the mock task package is installed."""
    venv = tmp_path_factory.mktemp("mock-venv")
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True)
    python = venv / "bin" / "python"
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", str(mock_wheels.good)],
        check=True,
        capture_output=True,
    )
    return str(python)


@pytest.fixture
async def mock_tasks(client: httpx.AsyncClient, user: Account, mock_python: str) -> dict[str, int]:
    """Task name → id of the mock package's tasks, collected for `user`."""
    response = await client.post(
        "/api/v2/task/collect/custom/",
        json={
            "manifest": json.loads(MANIFEST.read_text()),
            "python_interpreter": mock_python,
            "label": "qfractal-tasks-mock",
            "package_name": "qfractal_tasks_mock",
            "version": MOCK_VERSION,
        },
        headers=user.headers,
    )
    assert response.status_code == 201, response.text
    return {task["name"]: task["id"] for task in response.json()}
