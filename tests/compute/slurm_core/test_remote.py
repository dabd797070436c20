"""The remote worker run for real: `python -m qfractal.compute.executors.slurm.remote`."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

import qfractal
from qfractal.compute.executors.slurm.remote import (
    RemoteResult,
    ResultError,
    input_document,
    parse_result,
    read_result,
)
from tests.compute.checks import group_is_gone

MODULE = "qfractal.compute.executors.slurm.remote"


def worker_argv(folder: Path, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        MODULE,
        "--input-file",
        str(folder / "input.json"),
        "--output-file",
        str(folder / "output.json"),
        *extra,
    ]


def prepare(folder: Path, document: dict[str, Any] | str) -> None:
    text = document if isinstance(document, str) else json.dumps(document)
    (folder / "input.json").write_text(text)


def python_unit(folder: Path, code: str, *args: str) -> dict[str, Any]:
    return input_document(
        argv=[sys.executable, "-c", code, *args], cwd=str(folder), log_path=str(folder / "log.txt")
    )


def run(folder: Path, document: dict[str, Any] | str) -> RemoteResult:
    prepare(folder, document)
    done = subprocess.run(worker_argv(folder), capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert sorted(os.listdir(folder)) == sorted({"input.json", "output.json", *_logs(folder)})
    return read_result(folder / "output.json")


def _logs(folder: Path) -> list[str]:
    return [name for name in os.listdir(folder) if name.startswith("log")]


def wait_for(path: Path, timeout: float = 20) -> str:
    deadline = time.monotonic() + timeout
    while not path.exists() or not path.read_text().strip():
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.02)
    return path.read_text().strip()


def test_success_with_log_cwd_and_no_stdin(tmp_path: Path) -> None:
    (tmp_path / "log.txt").write_text("earlier\n")
    code = (
        "import os, sys; print('out', os.getcwd()); print('err', file=sys.stderr);"
        " print('stdin', repr(sys.stdin.read()))"
    )

    result = run(tmp_path, python_unit(tmp_path, code))

    assert (result.ok, result.returncode, result.error_type) == (True, 0, None)
    assert result.started_at.tzinfo is not None
    assert result.started_at <= result.ended_at
    log = (tmp_path / "log.txt").read_text()
    assert log.startswith("earlier\n")
    assert f"out {tmp_path}\n" in log and "err\n" in log and "stdin ''\n" in log


def test_non_zero_exit(tmp_path: Path) -> None:
    result = run(tmp_path, python_unit(tmp_path, "raise SystemExit(3)"))

    assert (result.ok, result.returncode, result.error_type) == (False, 3, None)


def test_killed_by_a_signal(tmp_path: Path) -> None:
    code = "import os, signal; os.kill(os.getpid(), signal.SIGKILL)"

    result = run(tmp_path, python_unit(tmp_path, code))

    assert (result.ok, result.returncode) == (False, -signal.SIGKILL)


def test_command_not_found(tmp_path: Path) -> None:
    document = input_document(
        argv=["/no/such/command", "x"], cwd=str(tmp_path), log_path=str(tmp_path / "log.txt")
    )

    result = run(tmp_path, document)

    assert (result.ok, result.returncode, result.error_type) == (False, None, "FileNotFoundError")
    assert result.traceback is not None and "FileNotFoundError" in result.traceback
    assert "cannot start /no/such/command" in (tmp_path / "log.txt").read_text()


def test_version_mismatch_names_both_versions(tmp_path: Path) -> None:
    document = python_unit(tmp_path, "open('ran', 'w')")
    document["qfractal_version"] = "0.0.1-other"

    result = run(tmp_path, document)

    assert (result.ok, result.error_type) == (False, "VersionMismatch")
    assert result.message is not None
    assert "'0.0.1-other'" in result.message and repr(qfractal.__version__) in result.message
    assert not (tmp_path / "ran").exists()


@pytest.mark.parametrize(
    ("document", "error_type"),
    [
        ("not json", "JSONDecodeError"),
        ("[1, 2]", "InputError"),
        ({"qfractal_version": qfractal.__version__, "argv": ["true"]}, "InputError"),
        ({"qfractal_version": qfractal.__version__, "argv": [], "cwd": "/", "log_path": "/x"},
         "InputError"),
        ({"qfractal_version": qfractal.__version__, "argv": ["true"], "cwd": "/",
          "log_path": "/x", "env": {}}, "InputError"),
    ],
)  # fmt: skip
def test_bad_input_is_reported(
    tmp_path: Path, document: dict[str, Any] | str, error_type: str
) -> None:
    result = run(tmp_path, document)

    assert (result.ok, result.returncode, result.error_type) == (False, None, error_type)
    assert result.traceback


def test_a_missing_input_file_is_reported(tmp_path: Path) -> None:
    done = subprocess.run(worker_argv(tmp_path), capture_output=True, text=True, timeout=60)

    assert done.returncode == 0
    assert read_result(tmp_path / "output.json").error_type == "FileNotFoundError"


def start_sleeper(tmp_path: Path, *extra: str, ignore_term: bool = False) -> subprocess.Popen:
    """A worker whose command starts a grandchild and sleeps; returns once both run."""
    code = (
        "import os, pathlib, signal, subprocess, sys, time\n"
        f"if {ignore_term}: signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        "sleeper = subprocess.Popen(['sleep', '120'])\n"
        "pathlib.Path(sys.argv[1]).write_text(f'{os.getpid()} {sleeper.pid}')\n"
        "time.sleep(120)\n"
    )
    prepare(tmp_path, python_unit(tmp_path, code, str(tmp_path / "pids")))
    return subprocess.Popen(worker_argv(tmp_path, *extra))


def assert_gone(pids: list[int], timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not all(group_is_gone(pid) for pid in pids[:1]) or not all(_gone(p) for p in pids):
        assert time.monotonic() < deadline, f"processes {pids} are still there"
        time.sleep(0.05)


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    status = Path(f"/proc/{pid}/stat")
    return status.exists() and status.read_text().split(") ", 1)[1].startswith("Z")


def test_sigterm_is_forwarded_to_the_command(tmp_path: Path) -> None:
    worker = start_sleeper(tmp_path)
    try:
        pids = [int(pid) for pid in wait_for(tmp_path / "pids").split()]
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=30) == 0
    finally:
        worker.kill()

    result = read_result(tmp_path / "output.json")
    assert (result.ok, result.returncode) == (False, -signal.SIGTERM)
    assert_gone(pids)


def test_a_command_ignoring_sigterm_gets_sigkill_after_the_grace(tmp_path: Path) -> None:
    worker = start_sleeper(tmp_path, "--kill-grace", "0.5", ignore_term=True)
    try:
        pids = [int(pid) for pid in wait_for(tmp_path / "pids").split()]
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=30) == 0
    finally:
        worker.kill()

    assert read_result(tmp_path / "output.json").returncode == -signal.SIGKILL
    assert_gone(pids)


def test_the_output_file_is_replaced_atomically(tmp_path: Path) -> None:
    output = tmp_path / "output.json"
    output.write_text("old")
    old_inode = output.stat().st_ino
    prepare(tmp_path, python_unit(tmp_path, "import time; time.sleep(1)"))

    worker = subprocess.Popen(worker_argv(tmp_path))
    seen = set()
    while worker.poll() is None:
        text = output.read_text()
        seen.add("old" if text == "old" else parse_result(text).ok)
    worker.wait()

    assert output.stat().st_ino != old_inode  # renamed over, never rewritten in place
    assert parse_result(output.read_text()).ok
    assert "old" in seen and seen <= {"old", True}
    assert sorted(os.listdir(tmp_path)) == ["input.json", "log.txt", "output.json"]


def test_version_flag() -> None:
    done = subprocess.run(
        [sys.executable, "-m", MODULE, "--version"], capture_output=True, text=True, timeout=60
    )

    assert (done.returncode, done.stdout.strip()) == (0, qfractal.__version__)


def test_the_worker_imports_only_the_standard_library_and_qfractal() -> None:
    code = (
        "import json, sys\n"
        "before = set(sys.modules)\n"
        f"import {MODULE}\n"
        "print(json.dumps(sorted(set(sys.modules) - before)))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)

    imported = json.loads(done.stdout)
    assert MODULE in imported
    tops = {name.split(".")[0] for name in imported}
    assert tops - set(sys.stdlib_module_names) == {"qfractal"}
    ours = sorted(name for name in imported if name.startswith("qfractal"))
    assert ours == [
        "qfractal",
        "qfractal.compute",
        "qfractal.compute.executors",
        "qfractal.compute.executors.slurm",
        MODULE,
    ]


@pytest.mark.parametrize(
    "text",
    [
        "",
        "[]",
        '{"ok": true}',
        '{"ok": true, "returncode": 3, "started_at": "2025-01-01T00:00:00+00:00",'
        ' "ended_at": "2025-01-01T00:00:01+00:00"}',
        '{"ok": false, "started_at": "2025-01-01T00:00:00+00:00",'
        ' "ended_at": "2025-01-01T00:00:01+00:00"}',
        '{"ok": 1, "returncode": 0, "started_at": "x", "ended_at": "y"}',
    ],
)
def test_parse_result_refuses_what_the_worker_never_writes(text: str) -> None:
    with pytest.raises(ResultError, match="not a worker output file"):
        parse_result(text)
