"""Fixtures of the workflow jobs on the real SLURM cluster: a `slurm_sudo` or `slurm_ssh`
resource and profile made through the admin API, a user on it, and the mock task package
in a venv the cluster user can run.

Every test taking `user` runs once per resource type. The cluster user `slurmtest` must
reach everything its jobs touch: the task venv and the worker's Python are built from
`/usr/bin/python3` under `<repo>/.cache/` (the repo's own Python lives under /root, mode
0700), and the user's project folder (where the sudo job folders go), the ssh profile's
remote job folder and the datasets' zarr_dir are under `shared_dir` (mode 0777). The
server's side of the job folders (`jobs_local_dir`) is under `tmp_path`.
"""

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from qfractal.config import Settings
from tests.conftest import Account, make_user
from tests.mock_tasks import MOCK_PACKAGE, MOCK_VERSION, MockWheels
from tests.slurm_cluster import (
    SSHServer,
    check_runs_as,
    shared_dir,
    slurm_cluster,
    slurm_user,
    source_digest,
    sshd,
    system_venv,
    worker_python,
)
from tests.workflows.runner.conftest import MANIFEST, QUICK_ENGINE

__all__ = ["shared_dir", "slurm_cluster", "slurm_user", "sshd", "worker_python"]

RESOURCE_TYPES = ["slurm_sudo", "slurm_ssh"]
POLL_INTERVAL = 1
SYSTEM_PYTHON = "/usr/bin/python3"
PYTHON_VERSION = "3.11"
"""Debian 12's /usr/bin/python3."""

RUNNER_CONFIG: dict[str, Any] = {
    "default_slurm_config": {"partition": "debug", "mem": "100M"},
    "batching_config": {
        "target_num_jobs": 2,
        "max_num_jobs": 4,
        "target_cpus_per_job": 2,
        "max_cpus_per_job": 2,
        "target_mem_per_job": "1G",
        "max_mem_per_job": "2G",
    },
}
"""Two units per SLURM job at most (the test node has 2 CPUs): 3 units make 2 jobs."""


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The runner registered, stop requests seen within 0.2 s."""
    return settings.model_copy(update=QUICK_ENGINE)


@pytest.fixture(scope="session")
def mock_slurm_python(slurm_user: str, request: pytest.FixtureRequest) -> str:
    """The python of a venv holding the mock task package that the cluster user can run,
    cached under `<repo>/.cache/mock-tasks-<version>-<digest>/`."""

    def install(python: Path) -> None:
        wheels: MockWheels = request.getfixturevalue("mock_wheels")  # built only if needed
        subprocess.run(
            [python, "-m", "pip", "install", "--quiet", wheels.good],
            check=True,
            capture_output=True,
            timeout=600,
        )

    key = f"{MOCK_VERSION}-{source_digest(MOCK_PACKAGE)}"
    python = system_venv("mock-tasks", key, install)
    check_runs_as(slurm_user, python, "import qfractal_tasks_mock, fractal_task_tools")
    return str(python)


@pytest.fixture(params=RESOURCE_TYPES)
def resource_type(request: pytest.FixtureRequest) -> str:
    return request.param


@dataclass(frozen=True)
class SlurmResource:
    """A SLURM resource and the profile body its users get (see `add_profile`)."""

    id: int
    type: str
    profile: dict[str, Any]
    shared: Path
    """A folder the cluster user can write."""


async def add_profile(
    client: httpx.AsyncClient, admin: Account, resource: SlurmResource, name: str, **changes: Any
) -> int:
    """A new profile `name` on `resource`: the resource's profile body with `changes`."""
    body = resource.profile | {"name": name} | changes
    response = await client.post(
        f"/admin/v2/resource/{resource.id}/profile/", json=body, headers=admin.headers
    )
    assert response.status_code == 201, response.text
    return response.json()["id"]


async def set_profile(
    client: httpx.AsyncClient, admin: Account, user: Account, profile_id: int
) -> None:
    response = await client.patch(
        f"/auth/users/{user.id}/", json={"profile_id": profile_id}, headers=admin.headers
    )
    assert response.status_code == 200, response.text


@pytest.fixture
async def slurm_resource(
    client: httpx.AsyncClient,
    admin: Account,
    resource_type: str,
    slurm_user: str,
    worker_python: Path,
    shared_dir: Path,
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> SlurmResource:
    """A resource of `resource_type` on the test cluster, made through the admin API."""
    body: dict[str, Any] = {
        "type": resource_type,
        "name": resource_type,
        "tasks_python_config": {
            "default_version": PYTHON_VERSION,
            "versions": {PYTHON_VERSION: SYSTEM_PYTHON},
        },
        "tasks_local_dir": str(tmp_path / "tasks"),
        "jobs_local_dir": str(tmp_path / "jobs"),
        "jobs_runner_config": RUNNER_CONFIG,
        "jobs_slurm_python_worker": str(worker_python),
        "jobs_poll_interval": POLL_INTERVAL,
    }
    profile: dict[str, Any] = {"resource_type": resource_type, "username": slurm_user}
    if resource_type == "slurm_ssh":
        server: SSHServer = request.getfixturevalue("sshd")
        body["host"] = f"{server.host}:{server.port}"
        profile |= {
            "username": server.username,
            "ssh_key_path": server.key_path,
            "jobs_remote_dir": str(shared_dir / "remote-jobs"),
            "tasks_remote_dir": str(shared_dir / "remote-tasks"),
        }
    response = await client.post("/admin/v2/resource/", json=body, headers=admin.headers)
    assert response.status_code == 201, response.text
    return SlurmResource(response.json()["id"], resource_type, profile, shared_dir)


@pytest.fixture
async def user(
    app: FastAPI,
    client: httpx.AsyncClient,
    admin: Account,
    slurm_resource: SlurmResource,
) -> Account:
    """A user on the SLURM resource, whose project folder the cluster user can write."""
    profile_id = await add_profile(client, admin, slurm_resource, "good")
    account = await make_user(app, client, "slurm-user@example.org", profile_id=profile_id)
    project_dir = slurm_resource.shared / "user"
    response = await client.patch(
        f"/auth/users/{account.id}/",
        json={"project_dirs": [str(project_dir)]},
        headers=admin.headers,
    )
    assert response.status_code == 200, response.text
    return account


async def collect_mock_tasks(
    client: httpx.AsyncClient, account: Account, python: str, *, remote: bool = False
) -> dict[str, int]:
    """Task name → id of the mock package's tasks, collected for `account` with `python`
    (custom collection; on a `remote` resource with the package folder given, as the
    server does not look there)."""
    body: dict[str, Any] = {
        "manifest": json.loads(MANIFEST.read_text()),
        "python_interpreter": python,
        "label": "qfractal-tasks-mock",
        "package_name": "qfractal_tasks_mock",
        "version": MOCK_VERSION,
    }
    if remote:
        lib = Path(python).parents[1] / "lib" / f"python{PYTHON_VERSION}"
        del body["package_name"]  # one of the two
        body["package_root"] = str(lib / "site-packages" / "qfractal_tasks_mock")
    response = await client.post("/api/v2/task/collect/custom/", json=body, headers=account.headers)
    assert response.status_code == 201, response.text
    return {task["name"]: task["id"] for task in response.json()}


@pytest.fixture
async def mock_tasks(
    client: httpx.AsyncClient, user: Account, mock_slurm_python: str, resource_type: str
) -> dict[str, int]:
    """Task name → id of the mock package's tasks, for `user`."""
    remote = resource_type == "slurm_ssh"
    return await collect_mock_tasks(client, user, mock_slurm_python, remote=remote)


@pytest.fixture
def zarr_dir(slurm_resource: SlurmResource) -> Path:
    """A dataset folder the cluster user can write."""
    return slurm_resource.shared / "zarr"
