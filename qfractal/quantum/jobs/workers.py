"""Where a job's programs are simulated: the warm worker pool, never the server's thread.

One `qfractal.compute.pool.WorkerPool` per process (per event loop, strictly: a pool
belongs to the loop that started it), created at the first simulation, with
`settings.engine_workers` workers (each engine worker runs one program at a time), whose
interpreters imported the simulators once. `simulate(task, stop=...)` runs
`execution.run_program` there; setting `stop` (a cancel) or cancelling the call kills
the worker running it, and the pool starts a replacement.

A second pool of one worker (`query_pool`) runs the providers' device queries, so that
they never wait behind the simulations.
"""

import asyncio
import logging
from typing import Any

from qfractal.compute.pool import (
    CallFailed,
    CallStopped,
    PoolClosed,
    WorkerCrashed,
    WorkerPool,
    WorkerPoolError,
)
from qfractal.config import Settings
from qfractal.quantum.jobs.execution import ProgramOutcome, ProgramTask, outcome_from_json

logger = logging.getLogger(__name__)

PRELOAD = (
    "qfractal.quantum.jobs.execution",
    "qiskit",
    "qiskit_aer",
    "qiskit.qasm2",
    "qiskit.qasm3",
    "qiskit.qpy",
    "braket.circuits",
    "braket.devices",
    "pyquil",
    "pyquil.simulation",
)
"""Imported once by each worker, so that a simulation pays only for itself."""
RUN_PROGRAM = "qfractal.quantum.jobs.execution:run_program"

SIMULATIONS, QUERIES = "simulation", "device query"
_pools: dict[tuple[asyncio.AbstractEventLoop, str], WorkerPool] = {}
_starting: dict[tuple[asyncio.AbstractEventLoop, str], asyncio.Future[WorkerPool]] = {}


class SimulationStopped(Exception):
    """The stop event was set: the simulation's worker was killed."""


class SimulationFailed(Exception):
    """The worker died or failed outside the program's own errors. The message (with a
    traceback, if any) is for the server's log; `user_message` for the job's result."""

    def __init__(self, message: str, *, user_message: str) -> None:
        super().__init__(message)
        self.user_message = user_message


_FAILED = "the simulation failed unexpectedly (details in the server log)"


async def worker_pool(settings: Settings) -> WorkerPool:
    """This loop's simulation pool (`settings.engine_workers` workers, the SDKs
    imported), started at the first call (concurrent first calls share it)."""
    return await _pool(SIMULATIONS, settings.engine_workers, PRELOAD)


async def query_pool() -> WorkerPool:
    """This loop's pool for the providers' device queries (status, calibration,
    refresh): one worker, apart from the simulations, so that a query never waits for a
    long simulation to end."""
    return await _pool(QUERIES, 1, ())


async def _pool(name: str, size: int, preload: tuple[str, ...]) -> WorkerPool:
    key = (asyncio.get_running_loop(), name)
    pool = _pools.get(key)
    if pool is not None:
        return pool
    starting = _starting.get(key)
    if starting is None:
        starting = key[0].create_future()
        _starting[key] = starting
        try:
            pool = WorkerPool(size, preload=preload)
            await pool.start()
        except BaseException as exc:
            del _starting[key]
            starting.set_exception(exc)
            starting.exception()  # retrieved: no "never retrieved" warning
            raise
        _pools[key] = pool
        del _starting[key]
        starting.set_result(pool)
        logger.info("quantum %s pool started: %d worker(s)", name, pool.size)
        return pool
    return await asyncio.shield(starting)


def current_pool() -> WorkerPool | None:
    """This loop's simulation pool, if it was started."""
    return _pools.get((asyncio.get_running_loop(), SIMULATIONS))


async def close_pool() -> None:
    """Stop this loop's pools (their workers end); the next call starts new ones.
    Worker processes also end on their own when the server process ends."""
    loop = asyncio.get_running_loop()
    for name in (SIMULATIONS, QUERIES):
        pool = _pools.pop((loop, name), None)
        if pool is not None:
            await pool.close()


async def simulate(
    task: ProgramTask, *, settings: Settings, stop: asyncio.Event | None = None
) -> ProgramOutcome:
    """Run one program in a pool worker.

    Raises:
        SimulationStopped: `stop` was set first; the worker was killed.
        SimulationFailed: the worker died or failed (for the log).
    """
    try:
        pool = await worker_pool(settings)
        result: Any = await pool.run(RUN_PROGRAM, task.to_json(), stop=stop)
    except CallStopped as exc:
        raise SimulationStopped(str(exc)) from exc
    except CallFailed as exc:
        raise SimulationFailed(f"{exc}\n{exc.remote_traceback}", user_message=_FAILED) from exc
    except WorkerCrashed as exc:
        raise SimulationFailed(
            str(exc), user_message="the simulation's process died (out of memory?)"
        ) from exc
    except PoolClosed as exc:
        raise SimulationFailed(str(exc), user_message="the server is shutting down") from exc
    except WorkerPoolError as exc:
        raise SimulationFailed(f"{type(exc).__name__}: {exc}", user_message=_FAILED) from exc
    return outcome_from_json(result)
