"""A pool of warm worker processes for trusted, heavy calls (local simulations).

Each worker imports the heavy modules once at its start; a call then only pays for its
own work. One worker runs one call at a time; calls wait their turn when all are busy.
A worker that dies, or that a call leaves in an unknown state (its timeout passed, its
caller was cancelled or stopped it), is killed and replaced, so the pool keeps its size.

Workers run trusted functions (named by import path), as the server's user, with an
environment built from scratch (no `QFRACTAL_*` setting, no credential). Untrusted
Python goes to `qfractal.compute.sandbox`, never here.
"""

import asyncio
import functools
import itertools
import logging
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from qfractal.compute.pool.errors import (
    CallFailed,
    CallStopped,
    CallTimeout,
    PoolClosed,
    WorkerCrashed,
    WorkerStartError,
)
from qfractal.compute.pool.process import WorkerProcess
from qfractal.compute.sandbox.environment import import_roots
from qfractal.compute.sandbox.spec import split_import_path

logger = logging.getLogger(__name__)

START_SECONDS = 120.0
STOP_GRACE_SECONDS = 5.0
_RETRY_SECONDS = (0.5, 1.0, 2.0, 5.0, 10.0, 30.0)


class WorkerPool:
    """`size` warm workers. Start with `await pool.start()` (or `async with`), then
    `await pool.run("package.module:function", payload)`; `await pool.close()` at the end.

    `preload` modules are imported and `initializer` (`"package.module:function"`,
    called without arguments) runs once in each worker at its start. `environment` adds
    variables to the workers' minimal environment (e.g. `OMP_NUM_THREADS`).
    """

    def __init__(
        self,
        size: int,
        *,
        preload: Sequence[str] = (),
        initializer: str | None = None,
        environment: Mapping[str, str] | None = None,
        start_timeout: float = START_SECONDS,
        stop_grace: float = STOP_GRACE_SECONDS,
    ) -> None:
        if size < 1:
            raise ValueError("a pool needs at least one worker")
        if initializer is not None:
            split_import_path(initializer)
        self.size = size
        self.preload = tuple(preload)
        self.initializer = initializer
        self.environment = dict(environment or {})
        self.start_timeout = start_timeout
        self.stop_grace = stop_grace
        self._workers: set[WorkerProcess] = set()
        self._idle: asyncio.Queue[WorkerProcess | None] = asyncio.Queue()
        self._refills: set[asyncio.Task[None]] = set()
        self._reaping: set[asyncio.Task[None]] = set()
        self._home: Path | None = None
        self._started = False
        self._closed = False

    @property
    def pids(self) -> list[int]:
        """Process ids of the live workers."""
        return sorted(worker.pid for worker in self._workers if worker.alive)

    async def start(self) -> None:
        """Start every worker and wait until all are ready.

        Raises:
            WorkerStartError: a worker could not start (the others are stopped).
        """
        if self._started:
            raise RuntimeError("the pool is already started")
        self._started = True
        self._home = Path(tempfile.mkdtemp(prefix="qfractal-pool-"))
        starts = [asyncio.create_task(self._spawn()) for _ in range(self.size)]
        results = await asyncio.gather(*starts, return_exceptions=True)
        workers = [r for r in results if isinstance(r, WorkerProcess)]
        failures = [r for r in results if isinstance(r, BaseException)]
        if failures:
            await asyncio.gather(*(worker.kill() for worker in workers))
            shutil.rmtree(self._home, ignore_errors=True)
            self._closed = True
            raise failures[0]
        for worker in workers:
            self._add(worker)
        seconds = max(worker.ready_seconds for worker in workers)
        logger.info("%d pool workers ready (preloads took %.2f s)", self.size, seconds)

    async def __aenter__(self) -> "WorkerPool":
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def run(
        self,
        function: str,
        payload: Any = None,
        *,
        timeout: float | None = None,
        stop: asyncio.Event | None = None,
    ) -> Any:
        """`function(payload)` on a free worker (waiting for one when all are busy).

        `payload` and the result are `bytes` or JSON-encodable values. `timeout` counts
        from the moment a worker takes the call. Cancelling the caller, or setting
        `stop`, kills the worker running the call; a replacement starts at once.

        Raises:
            CallFailed: the function raised (its worker lives on).
            CallTimeout, CallStopped: the call was cut short; its worker was killed.
            WorkerCrashed: the worker died during the call.
            PoolClosed: the pool is closed, or closed during the call.
            TypeError, ValueError: `payload` cannot be encoded.
        """
        paths = _import_paths(split_import_path(function)[0])
        worker = await self._acquire()
        healthy = False
        try:
            result = await self._call(worker, function, payload, paths, timeout, stop)
            healthy = True
            return result
        except (CallFailed, TypeError, ValueError):
            healthy = True
            raise
        except WorkerCrashed as exc:
            if self._closed:
                raise PoolClosed("the pool closed during the call") from exc
            raise
        finally:
            worker.busy = False
            if healthy and not self._closed and worker.alive:
                self._idle.put_nowait(worker)
            else:
                self._retire(worker)

    async def _call(
        self,
        worker: WorkerProcess,
        function: str,
        payload: Any,
        paths: list[str],
        timeout: float | None,
        stop: asyncio.Event | None,
    ) -> Any:
        call = asyncio.create_task(worker.call(function, payload, paths))
        stopped = asyncio.create_task(stop.wait()) if stop is not None else None
        waiting = {call} if stopped is None else {call, stopped}
        try:
            await asyncio.wait(waiting, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        finally:
            if stopped is not None:
                stopped.cancel()
            if not call.done():
                call.cancel()
                await worker.kill()
                await asyncio.gather(call, return_exceptions=True)
        if not call.cancelled():
            return call.result()
        if stop is not None and stop.is_set():
            raise CallStopped(f"{function} was stopped; its worker (pid {worker.pid}) was killed")
        raise CallTimeout(
            f"{function} ran longer than {timeout} s; its worker (pid {worker.pid}) was killed"
        )

    async def _acquire(self) -> WorkerProcess:
        if not self._started:
            raise RuntimeError("start the pool first")
        while True:
            if self._closed:
                raise PoolClosed("the pool is closed")
            worker = await self._idle.get()
            if worker is None:  # closing: pass the word on to the next waiter
                self._idle.put_nowait(None)
                raise PoolClosed("the pool is closed")
            if worker in self._workers and worker.alive:
                worker.busy = True
                return worker

    async def _spawn(self) -> WorkerProcess:
        assert self._home is not None
        return await WorkerProcess.start(
            preload=self.preload,
            initializer=self.initializer,
            home=self._home,
            environment=self.environment,
            timeout=self.start_timeout,
        )

    def _add(self, worker: WorkerProcess) -> None:
        self._workers.add(worker)
        worker.exited.add_done_callback(lambda _: self._on_exit(worker))
        self._idle.put_nowait(worker)

    def _on_exit(self, worker: WorkerProcess) -> None:
        """A worker ended on its own while idle (an OOM kill): replace it now."""
        if not worker.busy and not self._closed and worker in self._workers:
            logger.warning("pool worker %d died while idle; replacing it", worker.pid)
            self._retire(worker)

    def _retire(self, worker: WorkerProcess) -> None:
        """Kill `worker` (in the background) and, unless closing, start its successor."""
        if worker not in self._workers:
            return
        self._workers.discard(worker)
        _keep(self._reaping, asyncio.create_task(worker.kill()))
        if not self._closed:
            _keep(self._refills, asyncio.create_task(self._refill()))

    async def _refill(self) -> None:
        for attempt in itertools.count():
            try:
                worker = await self._spawn()
            except WorkerStartError as exc:
                delay = _RETRY_SECONDS[min(attempt, len(_RETRY_SECONDS) - 1)]
                logger.error("a replacement pool worker failed (retry in %s s): %s", delay, exc)
                await asyncio.sleep(delay)
                continue
            if self._closed:
                await worker.kill()
            else:
                self._add(worker)
            return

    async def close(self) -> None:
        """Stop every worker: idle ones are asked to end, busy ones are killed (their
        callers get `PoolClosed`). Waiting callers get `PoolClosed` too."""
        if self._closed:
            await asyncio.gather(*self._reaping, return_exceptions=True)
            return
        self._closed = True
        self._idle.put_nowait(None)
        for task in self._refills:
            task.cancel()
        await asyncio.gather(*self._refills, return_exceptions=True)
        workers, self._workers = list(self._workers), set()
        await asyncio.gather(
            *(w.kill() if w.busy else w.stop(grace=self.stop_grace) for w in workers),
            *self._reaping,
            return_exceptions=True,
        )
        if self._home is not None:
            shutil.rmtree(self._home, ignore_errors=True)


@functools.lru_cache(maxsize=256)
def _import_paths(module: str) -> list[str]:
    return import_roots([module])


def _keep(tasks: set[asyncio.Task[None]], task: asyncio.Task[None]) -> None:
    tasks.add(task)
    task.add_done_callback(tasks.discard)
