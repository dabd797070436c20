"""The remote worker: runs one unit's command on a SLURM node and reports how it ended.

    python -m qfractal.compute.executors.slurm.remote --input-file IN --output-file OUT
    python -m qfractal.compute.executors.slurm.remote --version

It runs under the resource's `jobs_slurm_python_worker`, a Python with qfractal and nothing
else, so this module uses the standard library only (and `qfractal.__version__`).

Input file, JSON written by the server (`input_document` builds it):

    {"qfractal_version": "0.1.0", "argv": ["/venv/bin/python", "task.py", "--args-json", "a.json"],
     "cwd": "/abs/dir", "log_path": "/abs/dir/unit-log.txt"}

The version must be the worker's own. `argv` runs without a shell, in `cwd`, with stdin from
/dev/null and stdout and stderr appended to `log_path`, in its own process group.

Output file, JSON, written atomically (a temporary file in the same folder, then renamed),
so a reader sees either no file or a complete one:

    {"ok": true, "returncode": 0, "started_at": "<ISO UTC>", "ended_at": "<ISO UTC>"}

when the command ran (`ok` is `returncode == 0`; a negative returncode is the signal that
killed it), or, when the worker itself failed (unreadable input, version mismatch, command
not found, ...):

    {"ok": false, "error_type": "VersionMismatch", "message": "...", "traceback": "...",
     "started_at": "...", "ended_at": "..."}

SIGTERM (scancel, time limit) and SIGINT are forwarded to the command's process group, and
SIGKILL follows `--kill-grace` seconds (default `KILL_GRACE_SECONDS`) later if it is still
there; the worker then writes the output file (SLURM leaves it `KillWait`, 30 s by default,
before its own SIGKILL). The worker exits 0 once the output file is written, whatever the
command did.

`parse_result` / `read_result` read an output file back on the server side.
"""

import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import traceback
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from qfractal import __version__

KILL_GRACE_SECONDS = 10.0
"""Time the command's processes get after a forwarded signal, before SIGKILL."""

_INPUT_KEYS = frozenset({"qfractal_version", "argv", "cwd", "log_path"})
_FORWARDED = (signal.SIGTERM, signal.SIGINT)


class InputError(ValueError):
    """The input file is not what the server writes."""


class VersionMismatch(RuntimeError):
    """The server and this worker run different qfractal versions."""


class Terminated(RuntimeError):
    """The worker was told to stop before the command started."""


class ResultError(ValueError):
    """An output file that the worker cannot have written."""


@dataclass(frozen=True)
class RemoteResult:
    """An output file, read back. `returncode` is None when the worker itself failed."""

    ok: bool
    returncode: int | None
    started_at: datetime
    ended_at: datetime
    error_type: str | None = None
    message: str | None = None
    traceback: str | None = None


def input_document(*, argv: list[str], cwd: str, log_path: str) -> dict[str, Any]:
    """The input file's content for a unit, with the running qfractal's version."""
    return {"qfractal_version": __version__, "argv": list(argv), "cwd": cwd, "log_path": log_path}


def main(args: list[str] | None = None) -> int:
    """Run one unit as the input file says and write the output file; 0 once it is written."""
    parser = argparse.ArgumentParser(
        prog="python -m qfractal.compute.executors.slurm.remote",
        description="Run one qfractal unit on a SLURM node.",
    )
    parser.add_argument("--version", action="version", version=__version__)
    parser.add_argument("--input-file", required=True, type=Path)
    parser.add_argument("--output-file", required=True, type=Path)
    parser.add_argument(
        "--kill-grace",
        type=float,
        default=KILL_GRACE_SECONDS,
        metavar="SECONDS",
        help="time between a forwarded SIGTERM and SIGKILL (default: %(default)s)",
    )
    options = parser.parse_args(args)

    started = _now()
    forwarder = _SignalForwarder(options.kill_grace)
    forwarder.install()
    try:  # a cancelled job's step gets SIGTERM more than once: keep it handled until written
        try:
            returncode = _run(_read_input(options.input_file), forwarder)
            result: dict[str, Any] = {"ok": returncode == 0, "returncode": returncode}
        except Exception as exc:
            result = {
                "ok": False,
                "error_type": type(exc).__name__,
                "message": str(exc),
                "traceback": traceback.format_exc(),
            }
        result |= {"started_at": started, "ended_at": _now()}
        _write_atomically(options.output_file, result)
    finally:
        forwarder.uninstall()
    return 0


def parse_result(text: str) -> RemoteResult:
    """An output file's content as a `RemoteResult`.

    Raises:
        ResultError: not JSON, or not one of the two documented shapes.
    """
    try:
        data = json.loads(text)
        ok, started, ended = data["ok"], data["started_at"], data["ended_at"]
        result = RemoteResult(
            ok=ok,
            returncode=data.get("returncode"),
            started_at=datetime.fromisoformat(started),
            ended_at=datetime.fromisoformat(ended),
            error_type=data.get("error_type"),
            message=data.get("message"),
            traceback=data.get("traceback"),
        )
    except (ValueError, TypeError, KeyError) as exc:
        raise ResultError(f"not a worker output file ({exc!r}): {text[:200]!r}") from None
    ran = isinstance(result.returncode, int) and result.ok == (result.returncode == 0)
    failed = result.returncode is None and not result.ok and isinstance(result.error_type, str)
    if not isinstance(result.ok, bool) or not (ran or failed):
        raise ResultError(f"not a worker output file: {text[:200]!r}")
    return result


def read_result(path: str | Path) -> RemoteResult:
    """`parse_result` of a local file (FileNotFoundError when the worker wrote none)."""
    return parse_result(Path(path).read_text())


def _read_input(path: Path) -> dict[str, Any]:
    data = json.loads(path.read_text())
    if not isinstance(data, dict):
        raise InputError(f"{path}: expected a JSON object")
    if data.get("qfractal_version") != __version__:
        raise VersionMismatch(
            f"the server runs qfractal {data.get('qfractal_version')!r}, this worker "
            f"({sys.executable}) has qfractal {__version__!r}: install the same version"
        )
    if set(data) != _INPUT_KEYS:
        raise InputError(f"{path}: expected exactly the keys {sorted(_INPUT_KEYS)}")
    argv = data["argv"]
    if not isinstance(argv, list) or not argv or not all(isinstance(a, str) for a in argv):
        raise InputError(f"{path}: argv must be a non-empty list of strings")
    if not isinstance(data["cwd"], str) or not isinstance(data["log_path"], str):
        raise InputError(f"{path}: cwd and log_path must be strings")
    return data


def _run(spec: dict[str, Any], forwarder: "_SignalForwarder") -> int:
    log_path = Path(spec["log_path"])
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log:
        if forwarder.received is not None:
            raise Terminated(f"received {forwarder.received.name} before the command started")
        try:
            process = subprocess.Popen(
                spec["argv"],
                cwd=spec["cwd"],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        except OSError as exc:
            log.write(f"qfractal: cannot start {spec['argv'][0]}: {exc}\n".encode())
            raise
        forwarder.attach(process)
        return process.wait()


class _SignalForwarder:
    """Passes SIGTERM/SIGINT on to the command's process group, SIGKILL after a grace."""

    def __init__(self, kill_grace: float) -> None:
        self.kill_grace = kill_grace
        self.received: signal.Signals | None = None
        self._group: int | None = None
        self._killer: threading.Timer | None = None
        self._previous: dict[signal.Signals, Any] = {}

    def install(self) -> None:
        for sig in _FORWARDED:
            self._previous[sig] = signal.signal(sig, self._handle)

    def uninstall(self) -> None:
        if self._killer is not None:
            self._killer.cancel()
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)

    def attach(self, process: subprocess.Popen[bytes]) -> None:
        self._group = process.pid
        if self.received is not None:
            self._forward()

    def _handle(self, signum: int, frame: object) -> None:
        self.received = signal.Signals(signum)
        self._forward()

    def _forward(self) -> None:
        if self._group is None or self.received is None:
            return
        _signal_group(self._group, self.received)
        if self._killer is None:
            self._killer = threading.Timer(
                self.kill_grace, _signal_group, (self._group, signal.SIGKILL)
            )
            self._killer.daemon = True
            self._killer.start()


def _signal_group(group: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(group, sig)


def _write_atomically(path: Path, document: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with temporary.open("w") as file:
            json.dump(document, file, default=str)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def _now() -> str:
    return datetime.now(UTC).isoformat()


if __name__ == "__main__":
    sys.exit(main())
