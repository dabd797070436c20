"""The real fractal-client CLIs (2.17.0 and 2.18.2) against a live qfractal server."""

import json
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.databases import empty_database
from tests.e2e.fractal_client import CLIENT_VERSIONS, FractalCLI, client_executable
from tests.e2e.live_server import ADMIN, LiveServer, live_server, server_env
from tests.mock_tasks import MOCK_NAME, MockWheels

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    folder = tmp_path_factory.mktemp("live")
    with empty_database(folder) as url, live_server(server_env(folder / "data", url)) as live:
        yield live


@pytest.fixture(params=CLIENT_VERSIONS)
def fractal(request: pytest.FixtureRequest, server: LiveServer, tmp_path: Path) -> FractalCLI:
    return FractalCLI(
        executable=client_executable(request.param),
        server=server.base_url,
        cache_dir=tmp_path / "fractal-cache",
        user=ADMIN[0],
        password=ADMIN[1],
    )


def _suffix(fractal: FractalCLI) -> str:
    """Names unique per client version, since both share one server."""
    return fractal.executable.parents[1].name.replace("fractal-client-", "v")


def test_version_and_whoami(fractal: FractalCLI) -> None:
    version = fractal.ok("version")
    assert "url: " + fractal.server in version
    assert "version: 0.1.0" in version
    me = fractal.json("user", "whoami")
    assert me["email"] == ADMIN[0]
    assert me["is_superuser"] is True


def test_users_and_groups(fractal: FractalCLI, tmp_path: Path) -> None:
    email = f"user-{_suffix(fractal)}@example.org"
    registered = fractal.json("user", "register", email, "secret", str(tmp_path / "home"))
    assert registered["email"] == email
    assert registered["is_verified"] is True
    assert registered["project_dir"] == str(tmp_path / "home")
    assert email in [u["email"] for u in fractal.json("user", "list")]

    newcomer = fractal.as_user(email, "secret")
    assert newcomer.json("user", "whoami")["id"] == registered["id"]

    group = fractal.json("group", "new", f"group-{_suffix(fractal)}")
    with_user = fractal.json("group", "add-user", str(group["id"]), str(registered["id"]))
    assert with_user["user_ids"] == [registered["id"]]
    listed = {g["name"] for g in fractal.json("group", "list")}
    assert {"All", group["name"]} <= listed


def test_projects(fractal: FractalCLI) -> None:
    name = f"project-{_suffix(fractal)}"
    project = fractal.json("project", "new", name)
    assert project["name"] == name
    assert project["id"] in [p["id"] for p in fractal.json("project", "list")]
    assert fractal.json("project", "show", str(project["id"])) == project
    renamed = fractal.json("project", "edit", str(project["id"]), "--new-name", name + "-x")
    assert renamed["name"] == name + "-x"
    fractal.ok("project", "delete", str(project["id"]))
    assert project["id"] not in [p["id"] for p in fractal.json("project", "list")]


def test_datasets(fractal: FractalCLI, tmp_path: Path) -> None:
    project = fractal.json("project", "new", f"datasets-{_suffix(fractal)}")
    zarr_dir = tmp_path / "zarr"
    if fractal.executable.parents[1].name.endswith("2.17.0"):
        args = ["--zarr-dir", str(zarr_dir)]
    else:  # 2.18 sends project_dir + zarr_subfolder instead of zarr_dir
        me = fractal.json("user", "whoami")
        zarr_dir = Path(me["project_dirs"][0]) / "my-zarrs"
        args = ["--project-dir", me["project_dirs"][0], "--zarr-subfolder", "my-zarrs"]
    dataset = fractal.json("project", "add-dataset", str(project["id"]), "ds", *args)
    assert dataset["zarr_dir"] == str(zarr_dir)
    assert dataset["project"]["id"] == project["id"]
    ids = (str(project["id"]), str(dataset["id"]))
    assert fractal.json("dataset", "show", *ids) == dataset
    assert fractal.json("dataset", "edit", *ids, "--new-name", "renamed")["name"] == "renamed"


def test_tasks_and_workflows(fractal: FractalCLI, tmp_path: Path) -> None:
    suffix = _suffix(fractal)
    name = f"echo-{suffix}"
    task = fractal.json(
        "task", "new", name, "--task-type", "non_parallel",
        "--command-non-parallel", "/bin/echo", "--version", "1.0",
    )  # fmt: skip
    assert task["type"] == "non_parallel"
    assert name in [t["name"] for t in fractal.json("task", "list")]
    edited = fractal.json("task", "edit", "--id", str(task["id"]), "--input-types", _json_file(
        tmp_path / "types.json", {"3D": True}
    ))  # fmt: skip
    assert edited["input_types"] == {"3D": True}

    project = fractal.json("project", "new", f"workflows-{suffix}")
    pid = str(project["id"])
    workflow = fractal.json("workflow", "new", "wf", pid)
    wid = str(workflow["id"])
    args = _json_file(tmp_path / "args.json", {"message": "hi"})
    first = fractal.json("workflow", "add-task", pid, wid, "--task-id", str(task["id"]),
                         "--args-non-parallel", args)  # fmt: skip
    assert first["args_non_parallel"] == {"message": "hi"}
    second = fractal.json("workflow", "add-task", pid, wid, "--task-name", name)
    assert second["order"] == 1
    filters = _json_file(tmp_path / "filters.json", {"corrected": False})
    edited_wftask = fractal.json("workflow", "edit-task", pid, wid, str(second["id"]),
                                 "--type-filters", filters)  # fmt: skip
    assert edited_wftask["type_filters"] == {"corrected": False}
    fractal.ok("workflow", "rm-task", pid, wid, str(first["id"]))
    shown = fractal.json("workflow", "show", pid, wid)
    assert [(t["id"], t["order"]) for t in shown["task_list"]] == [(second["id"], 0)]

    exported = tmp_path / "export.json"
    fractal.ok("workflow", "export", pid, wid, "--json-file", str(exported))
    document = json.loads(exported.read_text())
    assert document["task_list"][0]["task"] == {"pkg_name": name, "version": "1.0", "name": name}
    imported = fractal.json("workflow", "import", "--project-id", pid, "--json-file",
                            str(exported), "--workflow-name", "wf-copy")  # fmt: skip
    assert imported["name"] == "wf-copy"
    assert [t["task_id"] for t in imported["task_list"]] == [task["id"]]
    assert imported["task_list"][0]["type_filters"] == {"corrected": False}


def _json_file(path: Path, content: object) -> str:
    path.write_text(json.dumps(content))
    return str(path)


def test_task_collection(
    fractal: FractalCLI, server: LiveServer, mock_wheels: MockWheels, tmp_path: Path
) -> None:
    """A new user collects the mock wheel, builds a workflow from its tasks and runs jobs."""
    email = f"collector-{_suffix(fractal)}@example.org"
    user = fractal.json("user", "register", email, "secret", str(tmp_path / "home"))
    fractal.json("user", "edit", str(user["id"]), "--new-profile-id", "1")
    collector = fractal.as_user(email, "secret")

    # private: the other client version's user shares the same package in group "All"
    activity = collector.json("task", "collect", str(mock_wheels.good), "--private")
    assert activity["status"] == "pending"
    assert activity["pkg_name"] == MOCK_NAME
    deadline = time.monotonic() + 300
    while activity["status"] not in ("OK", "failed") and time.monotonic() < deadline:
        time.sleep(1)
        activity = collector.json("task", "check-collection", str(activity["id"]))
    assert activity["status"] == "OK", activity
    with_logs = collector.json("task", "check-collection", str(activity["id"]), "--include-logs")
    assert "pip" in with_logs["log"]

    names = {t["name"] for t in collector.json("task", "list")}
    assert {"create_ome_zarr_compound", "MIP_compound"} <= names
    project = collector.json("project", "new", "collected")
    pid = str(project["id"])
    workflow = collector.json("workflow", "new", "wf", pid)
    wid = str(workflow["id"])
    create_args = _json_file(tmp_path / "create.json", {"num_images": 2})
    collector.json("workflow", "add-task", pid, wid, "--task-name", "create_ome_zarr_compound",
                   "--args-non-parallel", create_args)  # fmt: skip
    collector.json("workflow", "add-task", pid, wid, "--task-name", "MIP_compound")
    shown = collector.json("workflow", "show", pid, wid)
    assert [t["task"]["name"] for t in shown["task_list"]] == [
        "create_ome_zarr_compound",
        "MIP_compound",
    ]
    _run_jobs(collector, server, pid, wid, tmp_path)


def _add_dataset(fractal: FractalCLI, pid: str, home: Path) -> dict:
    if fractal.executable.parents[1].name.endswith("2.17.0"):
        return fractal.json("project", "add-dataset", pid, "ds", "--zarr-dir", str(home / "zarr"))
    return fractal.json("project", "add-dataset", pid, "ds", "--project-dir", str(home),
                        "--zarr-subfolder", "zarr")  # fmt: skip


def _wait_for_job(fractal: FractalCLI, pid: str, job_id: int, timeout: float = 180) -> dict:
    deadline = time.monotonic() + timeout
    job = fractal.json("job", "show", pid, str(job_id))
    while job["status"] == "submitted" and time.monotonic() < deadline:
        time.sleep(1)
        job = fractal.json("job", "show", pid, str(job_id))
    return job


def _run_jobs(fractal: FractalCLI, server: LiveServer, pid: str, wid: str, tmp_path: Path) -> None:
    """job submit/show/list/download-logs on the mock workflow, then stop of a slow job."""
    dataset = _add_dataset(fractal, pid, tmp_path / "home")
    did = str(dataset["id"])
    submitted = fractal.json("job", "submit", pid, wid, did)
    assert submitted["status"] == "submitted"
    job = _wait_for_job(fractal, pid, submitted["id"])
    assert job["status"] == "done", job["log"]
    assert submitted["id"] in [j["id"] for j in fractal.json("job", "list", pid)]
    logs = tmp_path / "logs"
    fractal.ok("job", "download-logs", pid, str(job["id"]), "--output", str(logs))
    assert "workflow.log" in {path.name for path in logs.rglob("*")}

    login = httpx.post(
        f"{server.base_url}/auth/token/login/",
        data={"username": fractal.user, "password": fractal.password},
    )
    headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
    images = httpx.post(
        f"{server.base_url}/api/v2/project/{pid}/dataset/{did}/images/query/",
        json={},
        headers=headers,
    ).json()
    assert images["total_count"] == 4  # two 3D images and their projections
    assert {image["types"].get("3D") for image in images["items"]} == {True, False}

    slow = fractal.json("workflow", "new", "slow", pid)
    sleep_args = _json_file(tmp_path / "sleep.json", {"sleep_seconds": 60})
    fractal.json("workflow", "add-task", pid, str(slow["id"]), "--task-name", "generic_task",
                 "--args-non-parallel", sleep_args)  # fmt: skip
    running = fractal.json("job", "submit", pid, str(slow["id"]), did)
    time.sleep(2)
    fractal.ok("job", "stop", pid, str(running["id"]))
    stopped = _wait_for_job(fractal, pid, running["id"], timeout=60)
    assert stopped["status"] == "failed"
    assert "stopped by user" in stopped["log"]
