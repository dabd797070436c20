"""The local executor with real subprocesses: limits, logs, failures and stops."""

import asyncio
import os
import signal
import sys
import time
from pathlib import Path

import pytest

from qfractal.compute.executors.base import Unit, UnitOutcome
from qfractal.compute.executors.local import LocalExecutor, run_units
from tests.compute.checks import group_is_gone, max_overlap


def python(tmp_path: Path, code: str, name: str) -> Unit:
    return Unit(
        argv=[sys.executable, "-c", code], cwd=tmp_path, env=None, log_path=tmp_path / f"{name}.log"
    )


async def wait_for_file(path: Path, timeout: float = 10) -> str:
    deadline = time.monotonic() + timeout
    while not path.exists() or not path.read_text().strip():
        assert time.monotonic() < deadline, f"{path} never appeared"
        await asyncio.sleep(0.02)
    return path.read_text().strip()


async def test_outcomes_in_order_with_logs_and_exit_codes(tmp_path: Path) -> None:
    units = [
        python(
            tmp_path,
            "import sys, time; time.sleep(0.3); print('out'); print('err', file=sys.stderr)",
            "first",
        ),
        python(tmp_path, "raise SystemExit(3)", "second"),
        Unit(
            argv=["sh", "-c", 'echo "$GREETING from $(pwd)"'],
            cwd=tmp_path,
            env={"GREETING": "hello", "PATH": os.environ["PATH"]},
            log_path=tmp_path / "logs" / "third.log",
        ),
    ]
    (tmp_path / "first.log").write_text("earlier line\n")

    outcomes = await run_units(units, parallel=None, stop=asyncio.Event())

    assert [o.returncode for o in outcomes] == [0, 3, 0]
    assert [o.ok for o in outcomes] == [True, False, True]
    assert not any(o.stopped for o in outcomes)
    assert (tmp_path / "first.log").read_text() == "earlier line\nout\nerr\n"
    assert (tmp_path / "logs" / "third.log").read_text() == f"hello from {tmp_path}\n"


@pytest.mark.parametrize(("parallel", "expected_peak"), [(1, 1), (2, 2), (None, 4)])
async def test_at_most_parallel_units_at_once(
    tmp_path: Path, parallel: int | None, expected_peak: int
) -> None:
    units = [python(tmp_path, "import time; time.sleep(0.4)", f"u{i}") for i in range(4)]

    outcomes = await LocalExecutor().run_units(units, parallel=parallel, stop=asyncio.Event())

    assert all(o.ok for o in outcomes)
    assert max_overlap((o.started_at, o.ended_at) for o in outcomes) == expected_peak
    starts = [o.started_at for o in outcomes]
    assert starts == sorted(starts)  # started in input order


async def test_a_unit_that_cannot_start_is_an_outcome(tmp_path: Path) -> None:
    missing = Unit(
        argv=[str(tmp_path / "no-such-program")],
        cwd=tmp_path,
        env=None,
        log_path=tmp_path / "m.log",
    )
    outcomes = await run_units(
        [missing, python(tmp_path, "print('fine')", "ok")], parallel=1, stop=asyncio.Event()
    )

    assert outcomes[0].returncode is None and not outcomes[0].ok
    assert outcomes[0].error is not None and "no-such-program" in outcomes[0].error
    assert "cannot start" in (tmp_path / "m.log").read_text()
    assert outcomes[1].ok
    assert (tmp_path / "ok.log").read_text() == "fine\n"


async def test_stop_kills_the_whole_process_group(tmp_path: Path) -> None:
    """A unit spawns a child; after stop neither is left, and the next unit never starts."""
    pid_file = tmp_path / "pgid"
    spawner = python(
        tmp_path,
        "import os, subprocess, time; subprocess.Popen(['sleep', '60']); "
        f"open({str(pid_file)!r}, 'w').write(str(os.getpgid(0))); time.sleep(60)",
        "spawner",
    )
    stop = asyncio.Event()
    run = asyncio.create_task(
        run_units([spawner, python(tmp_path, "print('never')", "next")], parallel=1, stop=stop)
    )
    pgid = int(await wait_for_file(pid_file))
    assert not group_is_gone(pgid)

    started = time.monotonic()
    stop.set()
    outcomes = await run

    assert time.monotonic() - started < 5
    assert group_is_gone(pgid)
    assert outcomes[0].stopped and outcomes[0].returncode == -signal.SIGTERM
    assert outcomes[1] == UnitOutcome(returncode=None, stopped=True, started_at=None, ended_at=None)
    assert not (tmp_path / "next.log").exists()
    assert "stopped" in (tmp_path / "spawner.log").read_text()


async def test_a_group_that_ignores_sigterm_is_killed_after_the_grace(tmp_path: Path) -> None:
    pid_file = tmp_path / "pgid"
    stubborn = Unit(
        argv=["sh", "-c", f"echo $$ > {pid_file}; trap '' TERM; sleep 60 & wait"],
        cwd=tmp_path,
        env=None,
        log_path=tmp_path / "stubborn.log",
    )
    stop = asyncio.Event()
    run = asyncio.create_task(run_units([stubborn], parallel=None, stop=stop, kill_grace=0.5))
    pgid = int(await wait_for_file(pid_file))

    stop.set()
    [outcome] = await run

    assert outcome.stopped and outcome.returncode == -signal.SIGKILL
    assert group_is_gone(pgid)


async def test_cancelling_the_call_kills_the_units(tmp_path: Path) -> None:
    pid_file = tmp_path / "pgid"
    unit = python(
        tmp_path,
        f"import os, time; open({str(pid_file)!r}, 'w').write(str(os.getpgid(0))); time.sleep(60)",
        "long",
    )
    run = asyncio.create_task(run_units([unit], parallel=None, stop=asyncio.Event()))
    pgid = int(await wait_for_file(pid_file))

    run.cancel()
    with pytest.raises(asyncio.CancelledError):
        await run

    assert group_is_gone(pgid)
