"""Run untrusted Python source in a child process, never in the server.

`run_in_sandbox` spawns `python -I -B bootstrap.py` (a fresh interpreter, not a fork of
the server) in its own session, with an empty working folder and an environment built
from scratch, sends it the request on stdin and watches it: the wall-clock limit, the
size of what it writes, its exit. Whatever happens, and when the caller is cancelled,
the child's process group and every process of its sandbox user are killed and the
working folder is removed. The walls inside the child are the bootstrap's work; see
`Isolation` and `Limits` for what they are.
"""

import asyncio
import base64
import binascii
import contextlib
import functools
import json
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from qfractal.compute.sandbox.environment import import_roots, minimal_environment
from qfractal.compute.sandbox.isolation import (
    BOOTSTRAP,
    Walls,
    choose_walls,
    kill_user_processes,
    probe_isolation,
    sandbox_users,
)
from qfractal.compute.sandbox.outcome import (
    AppliedIsolation,
    SandboxOutcome,
    SandboxSetupError,
    SandboxStatus,
)
from qfractal.compute.sandbox.pipes import CHUNK, pipe_reader
from qfractal.compute.sandbox.spec import (
    DEFAULT_PRELOAD,
    Isolation,
    Limits,
    SandboxEntry,
    split_import_path,
)

SANDBOX_ENVIRONMENT = {
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "RAYON_NUM_THREADS": "1",
}
"""One thread per numeric library: threads count against the process limit."""

_DRAIN_SECONDS = 2.0
_STATUSES = {
    "ok": SandboxStatus.OK,
    "user_error": SandboxStatus.USER_ERROR,
    "memory": SandboxStatus.MEMORY,
    "missing_variable": SandboxStatus.MISSING_VARIABLE,
    "invalid_value": SandboxStatus.INVALID_VALUE,
    "output_too_large": SandboxStatus.OUTPUT_TOO_LARGE,
}


async def run_in_sandbox(
    source: str,
    *,
    entry: SandboxEntry,
    limits: Limits | None = None,
    isolation: Isolation | None = None,
) -> SandboxOutcome:
    """Run `source` in a sandboxed child, then `entry`'s collector on its variable.

    Raises:
        SandboxSetupError: the sandbox failed (not the program): the child did not
            start, a preload or the collector could not be imported, a `strict` wall
            is unavailable.
    """
    limits = limits or Limits()
    isolation = isolation or Isolation()
    support = await asyncio.to_thread(probe_isolation)
    walls = choose_walls(isolation, support)
    uid = sandbox_users.acquire(isolation) if walls.drop_privileges else None
    workdir = Path(tempfile.mkdtemp(prefix="qfractal-sandbox-"))
    try:
        if uid is not None:
            os.chown(workdir, uid, uid)
        request = _request(source, entry, limits, isolation, walls, uid)
        applied = AppliedIsolation(walls.network, walls.private_tmp, uid)
        return await _Child(limits, workdir, applied).run(request)
    finally:
        if uid is not None:
            await kill_user_processes(uid)
            sandbox_users.release(uid)
        shutil.rmtree(workdir, ignore_errors=True)


def run_in_sandbox_blocking(
    source: str,
    *,
    entry: SandboxEntry,
    limits: Limits | None = None,
    isolation: Isolation | None = None,
) -> SandboxOutcome:
    """`run_in_sandbox` for synchronous callers (a `PythonRunner`): the run gets an
    event loop of its own in a helper thread, so it works from any thread, but it
    blocks the calling one (call it through `asyncio.to_thread` from async code)."""
    outcome: list[SandboxOutcome] = []
    failure: list[BaseException] = []

    def target() -> None:
        try:
            run = run_in_sandbox(source, entry=entry, limits=limits, isolation=isolation)
            outcome.append(asyncio.run(run))
        except BaseException as exc:
            failure.append(exc)

    thread = threading.Thread(target=target, name="qfractal-sandbox")
    thread.start()
    thread.join()
    if failure:
        raise failure[0]
    return outcome[0]


def _request(
    source: str,
    entry: SandboxEntry,
    limits: Limits,
    isolation: Isolation,
    walls: Walls,
    uid: int | None,
) -> dict[str, Any]:
    module, _ = split_import_path(entry.collector)
    return {
        "source": source,
        "variable": entry.variable,
        "collector": entry.collector,
        "preload": list(dict.fromkeys((*DEFAULT_PRELOAD, *entry.preload))),
        "import_paths": _import_paths((module, *entry.preload)),
        "limits": asdict(limits),
        "network": walls.network,
        "private_tmp": walls.private_tmp,
        "hidden": [str(path) for path in isolation.hidden_paths],
        "uid": uid,
    }


@functools.lru_cache(maxsize=64)
def _import_paths(modules: tuple[str, ...]) -> list[str]:
    try:
        return import_roots(modules)
    except ValueError as exc:
        raise SandboxSetupError(f"a module of the sandbox entry: {exc}") from exc


class _Child:
    """One child process and the pipes it writes."""

    def __init__(self, limits: Limits, workdir: Path, applied: AppliedIsolation) -> None:
        self.limits = limits
        self.workdir = workdir
        self.applied = applied
        self.results = bytearray()
        self.output = bytearray()
        self.started = asyncio.Event()
        self.overflow: asyncio.Event = asyncio.Event()
        self.overflowing: str | None = None

    async def run(self, request: dict[str, Any]) -> SandboxOutcome:
        spawned = time.monotonic()
        # Pipes of our own, see `pipes`: a detached process cannot hold the wait off.
        pipes = [os.pipe(), os.pipe()]
        try:
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-I",
                "-B",
                str(BOOTSTRAP),
                stdin=asyncio.subprocess.PIPE,
                stdout=pipes[0][1],
                stderr=pipes[1][1],
                cwd=self.workdir,
                env=minimal_environment(home=self.workdir, extra=SANDBOX_ENVIRONMENT),
                start_new_session=True,
            )
        except OSError as exc:
            for read_end, _ in pipes:
                os.close(read_end)
            raise SandboxSetupError(f"the sandbox child cannot start: {exc}") from exc
        finally:
            for _, write_end in pipes:
                os.close(write_end)
        assert process.stdin
        results, results_pipe = await pipe_reader(pipes[0][0])
        output, output_pipe = await pipe_reader(pipes[1][0])
        readers = [
            asyncio.create_task(self._read_results(results)),
            asyncio.create_task(self._read_output(output)),
        ]
        exited = asyncio.create_task(process.wait())
        try:
            with contextlib.suppress(ConnectionError):
                process.stdin.write(json.dumps(request).encode())
                await process.stdin.drain()
                process.stdin.close()
            await _first(exited, self.started.wait(), timeout=self.limits.startup_seconds)
            if exited.done() and not self.started.is_set():  # the line may still be in the pipe
                await _first(readers[0], timeout=_DRAIN_SECONDS)
            began = time.monotonic()
            if not self.started.is_set():
                self._kill(process)
                await exited
                raise SandboxSetupError(self._setup_failure(process.returncode))
            done = await _first(exited, self.overflow.wait(), timeout=self.limits.wall_seconds)
            ended = time.monotonic()
        finally:
            self._kill(process)
            if self.applied.uid is not None:
                await kill_user_processes(self.applied.uid)
            await exited
            await _drain(readers)
            results_pipe.close()
            output_pipe.close()
        outcome = self._outcome(timed_out=not done, returncode=process.returncode)
        return SandboxOutcome(
            **outcome,
            output=self.output[: self.limits.output_bytes].decode(errors="replace"),
            seconds=ended - began,
            setup_seconds=began - spawned,
            isolation=self.applied,
        )

    @staticmethod
    def _kill(process: asyncio.subprocess.Process) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)

    async def _read_results(self, stream: asyncio.StreamReader) -> None:
        limit = self.limits.result_bytes * 6 + CHUNK  # JSON escapes: 6 bytes per char
        while chunk := await stream.read(CHUNK):
            if not self.started.is_set() and b"\n" in chunk:
                first = (self.results + chunk).split(b"\n", 1)[0]
                if _parse(first) == {"event": "started"}:
                    self.started.set()
            self.results += chunk
            if len(self.results) > limit:
                self._overflowed(f"the result is larger than {self.limits.result_bytes} bytes")
                return

    async def _read_output(self, stream: asyncio.StreamReader) -> None:
        while chunk := await stream.read(CHUNK):
            self.output += chunk
            if len(self.output) > self.limits.output_bytes:
                limit = self.limits.output_bytes
                self._overflowed(f"the program printed more than {limit} bytes")
                return

    def _overflowed(self, message: str) -> None:
        if self.overflowing is None:
            self.overflowing = message
        self.overflow.set()

    def _checked(self, final: dict[str, Any]) -> dict[str, Any]:
        value = final.get("value")
        size = len(value.encode() if isinstance(value, str) else value or b"")
        if size > self.limits.result_bytes:
            message = f"the result is larger than {self.limits.result_bytes} bytes"
            return {"status": SandboxStatus.OUTPUT_TOO_LARGE, "message": message}
        if final["status"] is SandboxStatus.MEMORY:
            limit = self.limits.memory_bytes
            message = f"the program ran out of memory (it may add {limit} bytes)"
            return {**final, "message": message}
        return final

    def _setup_failure(self, returncode: int | None) -> str:
        first = _parse(bytes(self.results).split(b"\n", 1)[0])
        if first and first.get("status") == "setup_error":
            return f"the sandbox setup failed: {first.get('message')}"
        if returncode is None or (returncode == -signal.SIGKILL and self.overflowing is None):
            return f"the sandbox did not start within {self.limits.startup_seconds} s"
        return f"the sandbox child ended before starting the program ({_ending(returncode)})"

    def _outcome(self, *, timed_out: bool, returncode: int | None) -> dict[str, Any]:
        if timed_out:
            message = f"the program ran longer than {self.limits.wall_seconds} s"
            return {"status": SandboxStatus.TIMEOUT, "message": message}
        if self.overflowing is not None:
            return {"status": SandboxStatus.OUTPUT_TOO_LARGE, "message": self.overflowing}
        final = _final(self.results)
        if final is not None:
            return self._checked(final)
        if returncode == -signal.SIGXCPU:
            message = f"the program used more than {self.limits.cpu_seconds} s of CPU time"
            return {"status": SandboxStatus.CPU_TIME, "message": message}
        message = f"the program's process ended without a result ({_ending(returncode)})"
        return {"status": SandboxStatus.CRASHED, "message": message}


async def _first(*aws: Any, timeout: float) -> bool:
    """Wait for the first of `aws` (tasks are left running, others cancelled), at most
    `timeout` seconds; whether one finished."""
    tasks = [a if isinstance(a, asyncio.Task) else asyncio.ensure_future(a) for a in aws]
    owned = [task for task, a in zip(tasks, aws, strict=True) if task is not a]
    try:
        done, _ = await asyncio.wait(tasks, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in owned:
            task.cancel()
    return bool(done)


async def _drain(readers: list[asyncio.Task[None]]) -> None:
    """Let the readers reach the end of their pipes; a pipe a stray process still holds
    (the server is not root, so such processes may survive) is abandoned."""
    _, pending = await asyncio.wait(readers, timeout=_DRAIN_SECONDS)
    for task in pending:
        task.cancel()
    await asyncio.gather(*readers, return_exceptions=True)


def _parse(line: bytes) -> dict[str, Any] | None:
    try:
        value = json.loads(line)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _final(results: bytearray) -> dict[str, Any] | None:
    """The outcome fields of the last well-formed final line after `started`."""
    lines = bytes(results).split(b"\n")
    if not lines or _parse(lines[0]) != {"event": "started"}:
        return None
    for line in reversed(lines[1:]):
        message = _parse(line)
        if message is None or message.get("status") not in _STATUSES:
            continue
        fields = _fields(message)
        if fields is not None:
            return fields
    return None


def _fields(message: dict[str, Any]) -> dict[str, Any] | None:
    status = _STATUSES[message["status"]]
    if status is SandboxStatus.OK:
        value = message.get("value")
        if not isinstance(value, str):
            return None
        if message.get("encoding") == "base64":
            try:
                return {"status": status, "value": base64.b64decode(value, validate=True)}
            except binascii.Error:
                return None
        return {"status": status, "value": value} if message.get("encoding") == "text" else None
    fields = {"status": status, "message": _text(message.get("message"))}
    if status in (SandboxStatus.USER_ERROR, SandboxStatus.MEMORY):
        fields["exception_type"] = _text(message.get("exception_type")) or None
        fields["traceback"] = _text(message.get("traceback")) or None
    return fields


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _ending(returncode: int | None) -> str:
    if returncode is None:
        return "still running"
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = f"signal {-returncode}"
        if -returncode == signal.SIGKILL:
            return f"killed by {name}: the CPU limit's hard stop, or out of memory"
        return f"killed by {name}"
    return f"exit status {returncode}"
