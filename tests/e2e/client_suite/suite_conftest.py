"""conftest.py for fractal-client's own test files, run against a live qfractal.

qfractal's own code, written from the fixture interface those test files use (fixture
names, arguments and return values; see reference/fractal-server.md §11), not taken from
fractal-client's repository. `test_client_suite.py` copies it next to the test files
unpacked from the fractal-client sdist, as `conftest.py`, with `data/` beside it, and runs
them with the client venv's Python against a qfractal it started on 127.0.0.1:8765 (the
address the test files hard-code) with the superuser admin@example.org / 1234.

Environment (set by test_client_suite.py):
    QFRACTAL_SUITE_SERVER         the server (default http://127.0.0.1:8765)
    QFRACTAL_SUITE_MOCK_WHEEL     the mock task wheel to collect (ours, not the reference's)
    QFRACTAL_SUITE_MOCK_MANIFEST  that package's __FRACTAL_MANIFEST__.json
    QFRACTAL_SUITE_TASKS_PYTHON   an existing interpreter for task environments
    QFRACTAL_SUITE_TIMEOUT        seconds to wait for collections and jobs (default 120)

Offline adjustments made here (module constants of the test files, patched per test):
    TIMEOUT, COLLECTION_TIMEOUT  raised: a collection pip-installs into a new venv (~25 s
                                 on 2 cores), more than the files' 15-25 s
    NUM_MOCK_TASKS               the reference mock package has 17 tasks; ours has as
                                 many as its manifest lists
    urlopen                      the reference manifest URL is served from our manifest
"""

import itertools
import json
import os
import shlex
import subprocess
import time
import urllib.request
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

SERVER = os.environ.get("QFRACTAL_SUITE_SERVER", "http://127.0.0.1:8765")
SUPERUSER = ("admin@example.org", "1234")
TESTER_PASSWORD = "pytest"

# The client reads its settings once, when `fractal_client.config` is imported: set them
# before importing it, and drop any FRACTAL_* variable of the calling environment.
for _name in [name for name in os.environ if name.startswith("FRACTAL_")]:
    del os.environ[_name]
os.environ["FRACTAL_SERVER"] = SERVER

from fractal_client.client import handle  # noqa: E402
from fractal_client.config import settings  # noqa: E402
from fractal_client.interface import Interface  # noqa: E402

MOCK_WHEEL = Path(os.environ["QFRACTAL_SUITE_MOCK_WHEEL"])
MOCK_MANIFEST = Path(os.environ["QFRACTAL_SUITE_MOCK_MANIFEST"])
TASKS_PYTHON = os.environ["QFRACTAL_SUITE_TASKS_PYTHON"]
TIMEOUT = float(os.environ.get("QFRACTAL_SUITE_TIMEOUT", "120"))
MOCK_TASK_COUNT = len(json.loads(MOCK_MANIFEST.read_text())["task_list"])

_SESSION = uuid.uuid4().hex[:6]
_COUNTER = itertools.count()


def _unique_name() -> str:
    """Usable as a name, a command-line word and the local part of an e-mail address."""
    return f"n{_SESSION}-{time.strftime('%H%M%S')}-{next(_COUNTER)}"


def _invoke(args: str, email: str, password: str) -> Interface:
    """`fractal --user E --password P ARGS`, in-process; SystemExit propagates."""
    cli = ["fractal", "--user", email, "--password", password, *shlex.split(args)]
    return handle(cli)


def _ok(interface: Interface) -> Any:
    assert interface.retcode == 0, interface.data
    return interface.data


def _write_json(path: Path, content: Any) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(content))
    return str(path)


def _python_version(python: str) -> str:
    code = "import sys; print('%d.%d' % sys.version_info[:2])"
    return subprocess.run(
        [python, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()


def _wait_for_server(seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            if httpx.get(f"{SERVER}/api/alive/").status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            pytest.exit(f"no server answers at {SERVER}/api/alive/", returncode=3)
        time.sleep(0.5)


@pytest.fixture(scope="session", autouse=True)
def testserver(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The live server, with a tester user on a local resource and profile of its own.

    The resource and profile are created with the CLI (`resource new`, `profile new`),
    then given to the tester with `user edit --new-profile-id`.
    """
    _wait_for_server()
    base = tmp_path_factory.mktemp("qfractal-suite")

    def as_superuser(args: str) -> Any:
        return _ok(_invoke(args, *SUPERUSER))

    version = _python_version(TASKS_PYTHON)
    resource_file = _write_json(
        base / "resource.json",
        {
            "type": "local",
            "name": f"client-suite-{_SESSION}",
            "jobs_local_dir": str(base / "jobs"),
            "tasks_local_dir": str(base / "tasks"),
            "jobs_runner_config": {"parallel_tasks_per_job": 1},
            "tasks_python_config": {
                "default_version": version,
                "versions": {version: TASKS_PYTHON},
            },
        },
    )
    resource = as_superuser(f"resource new {resource_file}")
    profile_file = _write_json(
        base / "profile.json", {"resource_type": "local", "name": f"client-suite-{_SESSION}"}
    )
    profile = as_superuser(f"profile new {resource['id']} {profile_file}")

    email = f"client_tester_{_SESSION}@example.org"
    project_dir = base / "projects" / "tester"
    user = as_superuser(f"user register {email} {TESTER_PASSWORD} {project_dir}")
    user = as_superuser(f"user edit {user['id']} --new-profile-id {profile['id']}")
    return {
        "base": base,
        "resource_id": resource["id"],
        "profile_id": profile["id"],
        "tester": {
            "id": user["id"],
            "email": email,
            "password": TESTER_PASSWORD,
            "project_dir": str(project_dir),
        },
    }


@pytest.fixture
def tester(testserver: dict[str, Any]) -> dict[str, Any]:
    """The standard user every `invoke` runs as: id, email, password, project_dir."""
    return dict(testserver["tester"])


@pytest.fixture
def superuser() -> dict[str, Any]:
    """The server's superuser as `user whoami` shows it, with its password."""
    me = _ok(_invoke("user whoami", *SUPERUSER))
    return {**me, "password": SUPERUSER[1]}


@pytest.fixture
def invoke(tester: dict[str, Any]) -> Callable[[str], Interface]:
    def run(args: str) -> Interface:
        return _invoke(args, tester["email"], tester["password"])

    return run


@pytest.fixture
def invoke_as_superuser() -> Callable[[str], Interface]:
    def run(args: str) -> Interface:
        return _invoke(args, *SUPERUSER)

    return run


@pytest.fixture
def invoke_as_custom_user() -> Callable[..., Interface]:
    def run(args: str, email: str, password: str) -> Interface:
        return _invoke(args, email, password)

    return run


@pytest.fixture
def new_name() -> Callable[[], str]:
    return _unique_name


@pytest.fixture
def user_factory(testserver: dict[str, Any]) -> Callable[..., dict[str, Any]]:
    """Register a standard user (with the suite's profile); return it as `user edit` does."""

    def make(
        email: str, password: str, project_dir: str | None = None, superuser: bool = False
    ) -> dict[str, Any]:
        folder = project_dir or str(testserver["base"] / "projects" / email.split("@")[0])
        flag = " --superuser" if superuser else ""
        user = _ok(_invoke(f"user register {email} {password} {folder}{flag}", *SUPERUSER))
        edit = f"user edit {user['id']} --new-profile-id {testserver['profile_id']}"
        return _ok(_invoke(edit, *SUPERUSER))

    return make


@pytest.fixture
def task_factory(invoke: Callable[[str], Interface]) -> Callable[..., dict[str, Any]]:
    """`task new NAME --option value ...` as the tester; keyword arguments become options."""

    def make(name: str, **options: Any) -> dict[str, Any]:
        words = [name]
        for key, value in options.items():
            flag = "--" + key.replace("_", "-")
            if value is True:
                words.append(flag)
            elif value not in (None, False):
                words += [flag, str(value)]
        return _ok(invoke("task new " + shlex.join(words)))

    return make


@pytest.fixture
def project_factory(invoke: Callable[[str], Interface]) -> Callable[..., dict[str, Any]]:
    def make(name: str) -> dict[str, Any]:
        return _ok(invoke(f"project new {shlex.quote(name)}"))

    return make


@pytest.fixture
def workflow_factory(invoke: Callable[[str], Interface]) -> Callable[..., dict[str, Any]]:
    def make(name: str, project_id: int) -> dict[str, Any]:
        return _ok(invoke(f"workflow new {shlex.quote(name)} {project_id}"))

    return make


@pytest.fixture(autouse=True)
def clear_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test gets its own, empty client cache (the task list used by --task-name)."""
    cache = tmp_path / "fractal-cache"
    monkeypatch.setattr(settings, "FRACTAL_CACHE_PATH", str(cache))
    return cache


@pytest.fixture
def override_settings(monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    def override(**values: Any) -> None:
        for name, value in values.items():
            monkeypatch.setattr(settings, name, value)

    return override


@pytest.fixture(scope="session")
def testdata_path() -> Path:
    """Our own import-export workflows (`data/import-export/*.json`), built on our mock tasks."""
    return Path(__file__).parent / "data"


@pytest.fixture(scope="session")
def fractal_tasks_mock() -> str:
    """Path of the mock task wheel the tests collect: qfractal's, built by the outer test."""
    assert MOCK_WHEEL.is_file(), MOCK_WHEEL
    return str(MOCK_WHEEL)


def _local_urlopen(url: Any, *args: Any, **kwargs: Any) -> Any:
    """urlopen, but the reference mock manifest is read from our mock package instead."""
    if isinstance(url, str) and url.endswith("/__FRACTAL_MANIFEST__.json"):
        return MOCK_MANIFEST.open("rb")
    return urllib.request.urlopen(url, *args, **kwargs)


@pytest.fixture(autouse=True)
def _offline_adjustments(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """The module-level adjustments listed in this file's docstring."""
    module = request.module
    for name in ("TIMEOUT", "COLLECTION_TIMEOUT"):
        if hasattr(module, name):
            monkeypatch.setattr(module, name, max(TIMEOUT, getattr(module, name)))
    if hasattr(module, "NUM_MOCK_TASKS"):
        monkeypatch.setattr(module, "NUM_MOCK_TASKS", MOCK_TASK_COUNT)
    if hasattr(module, "urlopen"):
        monkeypatch.setattr(module, "urlopen", _local_urlopen)
