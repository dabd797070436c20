"""The local executor: each unit a subprocess in its own process group, stoppable.

A unit runs in a new session (`start_new_session=True`), so its process id is also the
id of a process group holding everything it spawns. Stopping sends SIGTERM to that group,
then SIGKILL to whatever is left after the grace period: no orphan keeps running.
"""

import asyncio
import contextlib
import os
import signal
import subprocess
from collections.abc import Mapping, Sequence
from typing import Any

from qfractal.compute.executors.base import Unit, UnitOutcome
from qfractal.db.types import utc_now

KILL_GRACE_SECONDS = 5.0
"""Time a stopped unit's processes get to exit after SIGTERM, before SIGKILL."""

_GROUP_POLL_SECONDS = 0.05
_REAP_SECONDS = 5.0


class LocalExecutor:
    """`run_units` as an `Executor`, for callers that choose an executor per resource."""

    def __init__(self, *, kill_grace: float = KILL_GRACE_SECONDS) -> None:
        self.kill_grace = kill_grace

    async def run_units(
        self,
        units: Sequence[Unit],
        *,
        parallel: int | None,
        stop: asyncio.Event,
        meta: Mapping[str, Any] | None = None,
    ) -> list[UnitOutcome]:
        """`run_units` below; `meta` has nothing for this executor."""
        return await run_units(units, parallel=parallel, stop=stop, kill_grace=self.kill_grace)


async def run_units(
    units: Sequence[Unit],
    *,
    parallel: int | None,
    stop: asyncio.Event,
    kill_grace: float = KILL_GRACE_SECONDS,
) -> list[UnitOutcome]:
    """Run `units` as subprocesses, at most `parallel` at once (None: all at once).

    Units start in input order; outcomes come back in input order. Once `stop` is set,
    running units are killed and the others never start. Cancelling the call kills the
    running units before the cancellation goes on.
    """
    if parallel is not None and parallel < 1:
        raise ValueError("parallel must be at least 1")
    slots = asyncio.Semaphore(parallel or max(len(units), 1))

    async def one(unit: Unit) -> UnitOutcome:
        async with slots:
            if stop.is_set():
                return UnitOutcome(returncode=None, stopped=True, started_at=None, ended_at=None)
            return await _run(unit, stop, kill_grace)

    return list(await asyncio.gather(*(one(unit) for unit in units)))


async def _run(unit: Unit, stop: asyncio.Event, kill_grace: float) -> UnitOutcome:
    started = utc_now()
    try:
        unit.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = unit.log_path.open("ab")
    except OSError as exc:
        return UnitOutcome(None, False, started, utc_now(), error=f"cannot open the log: {exc}")
    with log:
        try:
            process = await asyncio.create_subprocess_exec(
                *unit.argv,
                cwd=unit.cwd,
                env=unit.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        except OSError as exc:
            error = f"cannot start {unit.argv[0]}: {exc}"
            log.write(f"qfractal: {error}\n".encode())
            return UnitOutcome(None, False, started, utc_now(), error=error)
        stopped = await _wait_or_stop(process, stop, kill_grace)
        if stopped:
            log.write(b"qfractal: stopped, process group killed\n")
        return UnitOutcome(process.returncode, stopped, started, utc_now())


async def _wait_or_stop(
    process: asyncio.subprocess.Process, stop: asyncio.Event, kill_grace: float
) -> bool:
    """Wait for the process to exit; kill its group if `stop` comes first. True if stopped."""
    exited = asyncio.ensure_future(process.wait())
    stopping = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({exited, stopping}, return_when=asyncio.FIRST_COMPLETED)
    except asyncio.CancelledError:
        await _kill_group(process, kill_grace)
        raise
    finally:
        stopping.cancel()
    if exited.done():
        return False
    await _kill_group(process, kill_grace)
    return True


async def _kill_group(process: asyncio.subprocess.Process, grace: float) -> None:
    """SIGTERM the process's group, SIGKILL what is left after `grace` seconds, reap it."""
    group = process.pid
    _signal_group(group, signal.SIGTERM)
    await _until_gone(group, grace)
    _signal_group(group, signal.SIGKILL)
    await process.wait()
    await _until_gone(group, _REAP_SECONDS)  # killed members still have to exit


async def _until_gone(group: int, seconds: float) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while _group_exists(group) and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(_GROUP_POLL_SECONDS)


def _signal_group(group: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(group, sig)


def _group_exists(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    return True
