"""The warm worker pool with real worker processes."""

import asyncio
import os
import signal
from pathlib import Path

import pytest

from qfractal.compute.pool import (
    CallFailed,
    CallStopped,
    CallTimeout,
    PoolClosed,
    WorkerCrashed,
    WorkerPool,
    WorkerStartError,
)

CALLS = "tests.compute.pool.calls"
SIMULATE = "tests.compute.pool.simulations:bell_counts"
AER_PRELOAD = ["qiskit", "qiskit_aer", "tests.compute.pool.simulations"]


async def test_an_aer_simulation_runs_in_a_worker_that_imported_the_sdk_once() -> None:
    async with WorkerPool(1, preload=AER_PRELOAD) as pool:
        # preloaded at start, before any call asked for them
        assert await pool.run(f"{CALLS}:loaded", ["qiskit", "qiskit_aer"]) == [
            "qiskit",
            "qiskit_aer",
        ]
        first = await pool.run(SIMULATE, {"shots": 1000, "seed": 7}, timeout=120)
        assert set(first["counts"]) == {"0x0", "0x3"}
        assert sum(first["counts"].values()) == first["shots"] == 1000
        second = await pool.run(SIMULATE, {"shots": 1000, "seed": 7}, timeout=120)
        assert second["counts"] == first["counts"]  # same seed, same counts
        assert second["pid"] == first["pid"]  # the same warm process


async def test_values_go_and_come_back_as_json_or_bytes() -> None:
    async with WorkerPool(1) as pool:
        assert await pool.run(f"{CALLS}:echo", {"a": [1, 2.5, None, "x"]}) == {
            "a": [1, 2.5, None, "x"]
        }
        assert await pool.run(f"{CALLS}:echo", b"\x00\xffqpy") == b"\x00\xffqpy"
        assert await pool.run(f"{CALLS}:echo") is None
        with pytest.raises(TypeError):
            await pool.run(f"{CALLS}:echo", object())
        assert await pool.run(f"{CALLS}:echo", "still fine") == "still fine"


async def test_n_calls_run_in_parallel_on_n_workers() -> None:
    async with WorkerPool(2) as pool:
        spans = await asyncio.gather(*(pool.run(f"{CALLS}:span", 1.0) for _ in range(2)))
        (pid_a, start_a, end_a), (pid_b, start_b, end_b) = spans
        assert sorted([pid_a, pid_b]) == pool.pids
        assert start_a < end_b and start_b < end_a  # they overlapped


async def test_calls_wait_their_turn_when_all_workers_are_busy() -> None:
    async with WorkerPool(1) as pool:
        pids = await asyncio.gather(*(pool.run(f"{CALLS}:sleep", 0.2) for _ in range(3)))
        assert set(pids) == set(pool.pids)


async def test_cancelling_a_call_kills_its_worker_and_the_pool_goes_on() -> None:
    async with WorkerPool(1) as pool:
        (pid,) = pool.pids
        call = asyncio.create_task(pool.run(f"{CALLS}:sleep", 60))
        await asyncio.sleep(0.3)
        call.cancel()
        with pytest.raises(asyncio.CancelledError):
            await call
        await _gone(pid)
        assert await pool.run(f"{CALLS}:pid") not in (pid, None)
        assert len(pool.pids) == 1


async def test_a_timeout_kills_the_worker() -> None:
    async with WorkerPool(1) as pool:
        (pid,) = pool.pids
        with pytest.raises(CallTimeout, match=r"longer than 0\.5 s"):
            await pool.run(f"{CALLS}:sleep", 60, timeout=0.5)
        await _gone(pid)
        assert await pool.run(f"{CALLS}:echo", 1) == 1


async def test_a_stop_event_kills_the_worker() -> None:
    async with WorkerPool(1) as pool:
        (pid,) = pool.pids
        stop = asyncio.Event()
        asyncio.get_running_loop().call_later(0.3, stop.set)
        with pytest.raises(CallStopped):
            await pool.run(f"{CALLS}:sleep", 60, stop=stop)
        await _gone(pid)
        assert await pool.run(f"{CALLS}:echo", 2) == 2


async def test_a_crashing_worker_is_replaced() -> None:
    async with WorkerPool(1) as pool:
        (pid,) = pool.pids
        with pytest.raises(WorkerCrashed, match="exit status 3"):
            await pool.run(f"{CALLS}:exit_now", 3)
        with pytest.raises(WorkerCrashed, match="SIGSEGV"):
            await pool.run(f"{CALLS}:segfault")
        assert await pool.run(f"{CALLS}:pid") != pid
        assert len(pool.pids) == 1


async def test_a_worker_killed_while_idle_is_replaced() -> None:
    async with WorkerPool(1) as pool:
        (pid,) = pool.pids
        os.kill(pid, signal.SIGKILL)
        await _gone(pid)
        for _ in range(200):
            if pool.pids and pool.pids != [pid]:
                break
            await asyncio.sleep(0.05)
        assert await pool.run(f"{CALLS}:pid") != pid


async def test_an_exception_in_the_function_keeps_the_worker() -> None:
    async with WorkerPool(1) as pool:
        (pid,) = pool.pids
        with pytest.raises(CallFailed, match="no good") as failure:
            await pool.run(f"{CALLS}:fail", "no good")
        assert failure.value.error_type == "ValueError"
        assert failure.value.remote_message == "no good"
        assert "fail" in failure.value.remote_traceback
        with pytest.raises(CallFailed) as failure:
            await pool.run(f"{CALLS}:unencodable")
        assert failure.value.error_type == "TypeError"
        with pytest.raises(CallFailed) as failure:
            await pool.run(f"{CALLS}:no_such_function")
        assert failure.value.error_type == "AttributeError"
        assert pool.pids == [pid]


async def test_workers_get_a_minimal_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QFRACTAL_SECRET", "hunter2")
    pool = WorkerPool(1, initializer=f"{CALLS}:initialize", environment={"OMP_NUM_THREADS": "2"})
    async with pool:
        seen = await pool.run(f"{CALLS}:environment")
    assert "QFRACTAL_SECRET" not in seen
    assert seen["POOL_INITIALIZED"] == "yes"
    assert seen["OMP_NUM_THREADS"] == "2"
    assert seen["HOME"] != os.path.expanduser("~")
    assert set(seen) <= {
        "PATH",
        "LANG",
        "HOME",
        "TMPDIR",
        "OMP_NUM_THREADS",
        "POOL_INITIALIZED",
        "LC_CTYPE",
    }


async def test_close_leaves_no_process_and_refuses_calls() -> None:
    pool = WorkerPool(2)
    await pool.start()
    pids = pool.pids
    busy = asyncio.create_task(pool.run(f"{CALLS}:sleep", 60))
    await asyncio.sleep(0.2)
    waiting = [asyncio.create_task(pool.run(f"{CALLS}:sleep", 60)) for _ in range(2)]
    await asyncio.sleep(0.2)
    await pool.close()
    for task in (busy, *waiting):
        with pytest.raises(PoolClosed):
            await task
    for pid in pids:
        await _gone(pid)
    assert pool.pids == []
    with pytest.raises(PoolClosed):
        await pool.run(f"{CALLS}:echo", 1)


async def test_close_kills_a_replacement_worker_that_is_still_starting(tmp_path: Path) -> None:
    marker = tmp_path / "slow"
    pool = WorkerPool(
        1,
        initializer=f"{CALLS}:initialize_slowly_once_marked",
        environment={"SLOW_START_MARKER": str(marker)},
    )
    await pool.start()
    (first,) = pool.pids
    marker.touch()
    os.kill(first, signal.SIGKILL)
    replacement_pid = Path(f"{marker}.pid")
    for _ in range(400):
        if replacement_pid.exists() and replacement_pid.read_text():
            break
        await asyncio.sleep(0.05)
    replacement = int(replacement_pid.read_text())
    await pool.close()
    await _gone(replacement)


async def test_a_worker_that_cannot_start_fails_the_start() -> None:
    with pytest.raises(WorkerStartError, match="no_such_module"):
        await WorkerPool(1, preload=["no_such_module"]).start()
    failing = WorkerPool(2, initializer=f"{CALLS}:fail_to_initialize")
    with pytest.raises(WorkerStartError, match="ValueError"):
        await failing.start()


async def _gone(pid: int) -> None:
    """Wait until `pid` is no more (reaped, or at least a zombie)."""
    for _ in range(200):
        status = Path(f"/proc/{pid}/status")
        if not status.exists() or "State:\tZ" in status.read_text():
            return
        await asyncio.sleep(0.025)
    raise AssertionError(f"process {pid} is still running")
