"""fractal-client 2.18.2's own test files against a live qfractal on 127.0.0.1:8765.

The test files come from the fractal-client sdist on the package index (cached in
`.cache/`); everything around them is ours: `suite_conftest.py` (their fixtures, copied in
as `conftest.py`), `data/` (the import-export workflows they read, built on our mock
tasks) and the mock task wheel `tests/qfractal_tasks_mock`. They run in the client's venv
(`tests/e2e/fractal_client.py`, plus pytest and devtools) as a separate pytest process;
its JUnit XML is printed as a table, and every test outside the lists below must pass.

Needs port 8765 free (or another port in QFRACTAL_CLIENT_SUITE_PORT, then written into
the test files in place of 8765), the package index (client, sdist, and the mock package's
dependencies during collection) and 2-3 minutes.
"""

import os
import re
import shutil
import socket
import subprocess
import sys
import tarfile
import time
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.databases import empty_database
from tests.e2e.fractal_client import CACHE, client_executable
from tests.e2e.live_server import LiveServer, live_server, server_env
from tests.mock_tasks import MOCK_PACKAGE, MockWheels

pytestmark = pytest.mark.e2e

VERSION = "2.18.2"
PORT = int(os.environ.get("QFRACTAL_CLIENT_SUITE_PORT", "8765"))  # 8765: the test files'
HERE = Path(__file__).parent
SUITE_TOOLS = ("pytest>=8.4,<8.5", "devtools==0.12.2")
TIMEOUT = 90  # seconds a test waits for a collection or a job (the files say 15-25)
MOCK_MANIFEST = MOCK_PACKAGE / "src" / "qfractal_tasks_mock" / "__FRACTAL_MANIFEST__.json"

SOURCE_ADJUSTMENTS: list[tuple[str, str, str, int]] = [
    # (file, text, replacement, occurrences): function-local values that suite_conftest.py
    # cannot patch. Each text must occur as often as said, so a changed upstream file
    # fails loudly.
    # A collection pip-installs into a new venv: ~25 s on 2 cores, more than 15 s.
    (
        "test_task_collection.py",
        "    COLLECTION_TIMEOUT = 15.0\n",
        f"    COLLECTION_TIMEOUT = {TIMEOUT}.0\n",
        1,
    ),
    # `collect-custom` needs an existing interpreter; /usr/local/bin/python may be absent.
    (
        "test_task_collection.py",
        'python_interpreter = "/usr/local/bin/python"',
        f"python_interpreter = {sys.executable!r}",
        1,
    ),
]
if PORT != 8765:
    SOURCE_ADJUSTMENTS.append(
        ("test_client.py", "http://localhost:8765", f"http://localhost:{PORT}", 3)
    )

EXPECTED_FAILURES: dict[str, str] = {
    # Deliberate differences from fractal-server (docs/differences.md). No test depends on
    # the reference mock package: NUM_MOCK_TASKS is set to our count, and
    # data/import-export/wf3.json names our tasks.
    "test_job.py::test_job_stop": (
        "the reference refuses every stop on the local backend (422) before looking the job "
        "up; qfractal stops local jobs, so an unknown project is a 404"
    ),
    "test_task_collection.py::test_task_collection_custom": (
        "custom collection checks that the manifest's executables exist (the test registers "
        "a manifest against packages that do not contain them)"
    ),
}


@dataclass(frozen=True)
class Outcome:
    test_id: str  # file::name[params]
    status: str  # passed, failed, error, skipped
    reason: str


def _port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _suite_python() -> Path:
    """The 2.18.2 client venv's interpreter, with pytest and devtools installed."""
    python = client_executable(VERSION).parent / "python"
    check = subprocess.run([python, "-c", "import pytest, devtools"], capture_output=True)
    if check.returncode != 0:
        subprocess.run(
            [python, "-m", "pip", "install", "--quiet", *SUITE_TOOLS], check=True, timeout=600
        )
    return python


def _sdist() -> Path:
    folder = CACHE / f"fractal-client-{VERSION}-sdist"
    sdist = folder / f"fractal_client-{VERSION}.tar.gz"
    if not sdist.exists():
        subprocess.run(
            [
                sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
                "--no-binary", ":all:", f"fractal-client=={VERSION}", "--dest", str(folder),
            ],
            check=True,
            timeout=600,
        )  # fmt: skip
    return sdist


def _unpack_tests(sdist: Path, suite: Path) -> None:
    """Write the sdist's tests/test_*.py into `suite`."""
    names = []
    with tarfile.open(sdist) as archive:
        for member in archive.getmembers():
            path = Path(member.name)
            if member.isfile() and path.parent.name == "tests" and path.match("test_*.py"):
                source = archive.extractfile(member)
                assert source is not None
                (suite / path.name).write_bytes(source.read())
                names.append(path.name)
    assert names, f"no tests/test_*.py in {sdist}"


def _prepare_suite(suite: Path) -> None:
    suite.mkdir()
    _unpack_tests(_sdist(), suite)
    for name, text, replacement, occurrences in SOURCE_ADJUSTMENTS:
        path = suite / name
        source = path.read_text()
        assert source.count(text) == occurrences, f"{name}: expected {text!r} {occurrences}x"
        path.write_text(source.replace(text, replacement))
    shutil.copyfile(HERE / "suite_conftest.py", suite / "conftest.py")
    shutil.copytree(HERE / "data", suite / "data")
    (suite / "pytest.ini").write_text("[pytest]\n")  # rootdir: no outer configuration


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    if not _port_is_free(PORT):
        pytest.fail(
            f"127.0.0.1:{PORT} is taken; the fractal-client test files need it "
            "(or set QFRACTAL_CLIENT_SUITE_PORT to a free port)"
        )
    folder = tmp_path / "server"
    folder.mkdir()
    with empty_database(folder) as url:
        env = server_env(
            folder / "data",
            url,
            QFRACTAL_DEFAULT_GROUP_NAME="All",
            QFRACTAL_PASSWORD_HASH_MEMORY_KIB="64",  # every CLI call logs in again
        )
        with live_server(env, port=PORT) as live:
            yield live


def _server_answer(case: ET.Element) -> str:
    """The last non-expected status and error message the client logged, if any."""
    text = "\n".join(element.text or "" for element in case.iter())
    codes = re.findall(r"Server returned (\d+)", text)
    messages = re.findall(r"Server error message: (.*)", text)
    if not codes:
        return ""
    message = " ".join(messages[-1].split())[:200] if messages else ""
    return f" [last server error: {codes[-1]} {message}]"


def _outcomes(junit: Path) -> list[Outcome]:
    outcomes = []
    for case in ET.parse(junit).getroot().iter("testcase"):
        test_id = f"{case.get('classname', '').split('.')[-1]}.py::{case.get('name')}"
        status, reason = "passed", ""
        for tag in ("failure", "error", "skipped"):
            element = case.find(tag)
            if element is not None:
                status = {"failure": "failed"}.get(tag, tag)
                text = element.get("message") or element.text or ""
                reason = " ".join(text.split())[:160]
                if status != "skipped":
                    reason += _server_answer(case)
                break
        outcomes.append(Outcome(test_id, status, reason))
    return outcomes


def _table(outcomes: list[Outcome], seconds: float) -> str:
    per_file: dict[str, Counter[str]] = {}
    for outcome in outcomes:
        per_file.setdefault(outcome.test_id.split("::")[0], Counter())[outcome.status] += 1
    lines = [f"fractal-client {VERSION} test files against qfractal ({seconds:.0f} s)", ""]
    lines.append(f"{'file':<30} {'passed':>7} {'failed':>7} {'skipped':>8}")
    totals: Counter[str] = Counter()
    for name, counts in sorted(per_file.items()):
        failed = counts["failed"] + counts["error"]
        lines.append(f"{name:<30} {counts['passed']:>7} {failed:>7} {counts['skipped']:>8}")
        totals.update(counts)
    failed = totals["failed"] + totals["error"]
    lines.append(f"{'total':<30} {totals['passed']:>7} {failed:>7} {totals['skipped']:>8}")
    bad = [o for o in outcomes if o.status in ("failed", "error")]
    if bad:
        lines += ["", "failed:"]
        for outcome in bad:
            known = outcome.test_id in EXPECTED_FAILURES
            mark = " (expected)" if known else ""
            lines.append(f"  {outcome.test_id}{mark}: {outcome.reason}")
    listed = EXPECTED_FAILURES.keys()
    now_pass = [o.test_id for o in outcomes if o.status == "passed" and o.test_id in listed]
    if now_pass:
        lines += ["", "listed as failing but now pass (remove them from the lists):"]
        lines += [f"  {test_id}" for test_id in now_pass]
    return "\n".join(lines)


@pytest.mark.timeout(2400)  # a whole pytest run of its own, with its venv built on the way
def test_fractal_client_suite(
    server: LiveServer,
    mock_wheels: MockWheels,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    python = _suite_python()
    suite = tmp_path / f"fractal-client-{VERSION}-tests"
    _prepare_suite(suite)
    junit = tmp_path / "junit.xml"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FRACTAL_", "PYTEST_"))}
    env.update(
        QFRACTAL_SUITE_MOCK_WHEEL=str(mock_wheels.good),
        QFRACTAL_SUITE_MOCK_MANIFEST=str(MOCK_MANIFEST),
        QFRACTAL_SUITE_TASKS_PYTHON=sys.executable,
        QFRACTAL_SUITE_SERVER=server.base_url,
        QFRACTAL_SUITE_TIMEOUT=str(TIMEOUT),
        PYTHONDONTWRITEBYTECODE="1",
    )
    started = time.monotonic()
    run = subprocess.run(
        [
            str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider",
            f"--junitxml={junit}", "-o", "junit_logging=all",
            f"--basetemp={tmp_path / 'basetemp'}", str(suite),
        ],
        cwd=suite,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )  # fmt: skip
    seconds = time.monotonic() - started
    assert junit.exists(), run.stdout[-5000:] + run.stderr[-5000:]
    outcomes = _outcomes(junit)
    table = _table(outcomes, seconds)
    errors = [line for line in server.log().splitlines() if "ERROR" in line]
    if errors:
        table += f"\n\nserver log {server.log_path}: {len(errors)} ERROR lines, the first:\n"
        table += "\n".join(errors[:5])
    with capsys.disabled():
        print("\n" + table)

    listed = EXPECTED_FAILURES.keys()
    unexpected = [
        o for o in outcomes if o.status in ("failed", "error") and o.test_id not in listed
    ]
    assert outcomes, run.stdout[-5000:]
    assert not unexpected, f"{table}\n\n{run.stdout[-10000:]}"
