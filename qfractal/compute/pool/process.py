"""One worker process, seen from the server: start it, call it, stop or kill it.

The worker is a fresh interpreter (`python -I worker.py`), not a fork of the server, in a
session of its own (killing its process group kills whatever it started), with an
environment built from scratch. Requests go on its stdin; replies come on a pipe of our
own (see `qfractal.compute.sandbox.pipes`); what it prints on stderr goes to the log.
"""

import asyncio
import contextlib
import logging
import os
import signal
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from qfractal.compute.pool.errors import CallFailed, WorkerCrashed, WorkerStartError
from qfractal.compute.pool.protocol import (
    encode_frame,
    pack_value,
    read_frame_async,
    unpack_value,
)
from qfractal.compute.sandbox.environment import import_roots, minimal_environment
from qfractal.compute.sandbox.pipes import CHUNK, pipe_reader

logger = logging.getLogger(__name__)

WORKER = Path(__file__).with_name("worker.py")
_CLOSE_SECONDS = 2.0


class WorkerProcess:
    """A started worker; one call at a time (the pool sees to that)."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.pid = process.pid
        self.ready_seconds = 0.0
        self.busy = False
        self.exited: asyncio.Task[int] = asyncio.create_task(process.wait())
        self._replies: asyncio.StreamReader | None = None
        self._pipes: list[asyncio.ReadTransport] = []
        self._log_task: asyncio.Task[None] | None = None

    @classmethod
    async def start(
        cls,
        *,
        preload: Sequence[str],
        initializer: str | None,
        home: Path,
        environment: Mapping[str, str] | None,
        timeout: float,
    ) -> "WorkerProcess":
        """Spawn a worker and wait until it has imported `preload` and run `initializer`.

        Raises:
            WorkerStartError: it could not start, failed, or took longer than `timeout`.
        """
        replies_read, replies_write = os.pipe()
        errors_read, errors_write = os.pipe()
        try:
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-I",
                str(WORKER),
                stdin=asyncio.subprocess.PIPE,
                stdout=replies_write,
                stderr=errors_write,
                cwd=home,
                env=minimal_environment(home=home, extra=environment),
                start_new_session=True,
            )
        except OSError as exc:
            os.close(replies_read)
            os.close(errors_read)
            raise WorkerStartError(f"a worker cannot start: {exc}") from exc
        finally:
            os.close(replies_write)
            os.close(errors_write)
        worker = cls(process)
        try:
            await worker._wait_ready(replies_read, errors_read, preload, initializer, timeout)
        except BaseException:  # a cancelled start too: never leave the process behind
            await asyncio.shield(worker.kill())
            raise
        return worker

    async def _wait_ready(
        self,
        replies_fd: int,
        errors_fd: int,
        preload: Sequence[str],
        initializer: str | None,
        timeout: float,
    ) -> None:
        self._replies, replies_pipe = await pipe_reader(replies_fd)
        errors, errors_pipe = await pipe_reader(errors_fd)
        self._pipes = [replies_pipe, errors_pipe]
        self._log_task = asyncio.create_task(_log_lines(errors, self.pid))
        modules = [*preload, *([initializer.partition(":")[0]] if initializer else [])]
        try:
            paths = import_roots(modules)
        except ValueError as exc:
            raise WorkerStartError(f"a worker cannot import {exc}") from exc
        start = {"preload": list(preload), "initializer": initializer, "import_paths": paths}
        try:
            async with asyncio.timeout(timeout):
                header, _ = await self._exchange(start, b"")
        except (TimeoutError, WorkerCrashed) as exc:
            raise WorkerStartError(f"a worker did not start: {exc or 'timed out'}") from exc
        if not header.get("ready"):
            raise WorkerStartError(f"a worker failed to start:\n{header.get('traceback')}")
        self.ready_seconds = float(header.get("seconds", 0.0))

    @property
    def alive(self) -> bool:
        return not self.exited.done()

    async def call(self, function: str, payload: Any, import_paths: list[str]) -> Any:
        """`function(payload)` in the worker.

        Raises:
            TypeError, ValueError: JSON cannot encode `payload` (nothing was sent).
            CallFailed: the function raised, or its result cannot be encoded.
            WorkerCrashed: the worker died.
        """
        kind, body = pack_value(payload)
        request = {"function": function, "payload": kind, "import_paths": import_paths}
        header, body = await self._exchange(request, body)
        if header.get("ok"):
            return unpack_value(header["result"], body)
        raise CallFailed(
            f"{function} raised {header['error_type']}: {header['message']}",
            error_type=header["error_type"],
            remote_message=header["message"],
            remote_traceback=header["traceback"],
        )

    async def _exchange(self, header: dict[str, Any], body: bytes) -> tuple[dict[str, Any], bytes]:
        assert self.process.stdin and self._replies
        try:
            self.process.stdin.write(encode_frame(header, body))
            await self.process.stdin.drain()
            return await read_frame_async(self._replies)
        except (ConnectionError, asyncio.IncompleteReadError) as exc:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.pid, signal.SIGKILL)
            code = await self.exited
            raise WorkerCrashed(f"the worker (pid {self.pid}) died: {describe_exit(code)}") from exc

    async def stop(self, *, grace: float) -> None:
        """Ask the worker to end (the end of its stdin); kill it after `grace` seconds."""
        if self.process.stdin and not self.process.stdin.is_closing():
            self.process.stdin.close()
        try:
            async with asyncio.timeout(grace):
                await asyncio.shield(self.exited)
        except TimeoutError:
            pass
        await self.kill()

    async def kill(self) -> None:
        """SIGKILL the worker's process group; wait for its end and close its pipes."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, signal.SIGKILL)
        await self.exited
        if self.process.stdin:
            self.process.stdin.close()
        if self._log_task is not None:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(_CLOSE_SECONDS):
                    await asyncio.shield(self._log_task)
            self._log_task.cancel()
        for pipe in self._pipes:
            pipe.close()


async def _log_lines(stream: asyncio.StreamReader, pid: int) -> None:
    """Log what the worker writes on stderr, line by line (long lines cut)."""
    pending = b""
    while chunk := await stream.read(CHUNK):
        *lines, pending = (pending + chunk).split(b"\n")
        for line in lines:
            logger.info("worker %d: %s", pid, line.decode(errors="replace"))
        if len(pending) > CHUNK:
            logger.info("worker %d: %s...", pid, pending[:CHUNK].decode(errors="replace"))
            pending = b""
    if pending:
        logger.info("worker %d: %s", pid, pending.decode(errors="replace"))


def describe_exit(code: int) -> str:
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit status {code}"
