"""The command runner of collection: argument lists, errors with output, timeouts."""

import asyncio
import sys
from pathlib import Path

import pytest

from qfractal.workflows.collection import commands


async def test_output_and_failure() -> None:
    ok = await commands.run([sys.executable, "-c", "print('hello')"])
    assert ok.returncode == 0 and ok.stdout == "hello\n"
    script = "import sys; print('to stdout'); sys.exit('to stderr')"
    with pytest.raises(commands.CommandFailed) as failure:
        await commands.run([sys.executable, "-c", script])
    message = str(failure.value)
    assert "exit code 1" in message and "to stderr" in message and "to stdout" in message
    unchecked = await commands.run([sys.executable, "-c", script], check=False)
    assert unchecked.returncode == 1


async def test_arguments_are_never_interpreted(tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    result = await commands.run(["echo", f"$(touch {marker}); rm -rf /"])
    assert result.stdout == f"$(touch {marker}); rm -rf /\n"
    assert not marker.exists()


async def test_timeout_and_cancellation_kill_the_process() -> None:
    sleeper = [sys.executable, "-c", "import time; time.sleep(60)"]
    with pytest.raises(commands.CommandFailed, match="timed out"):
        await commands.run(sleeper, timeout=0.5)
    task = asyncio.create_task(commands.run(sleeper))
    await asyncio.sleep(0.3)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_missing_program() -> None:
    with pytest.raises(commands.CommandFailed, match="Cannot run"):
        await commands.run(["/no/such/program"])


def test_pip_cache_option() -> None:
    assert commands.pip_install("/v/python", ["a==1"], cache_dir="/cache") == [
        "/v/python", "-m", "pip", "install", "--disable-pip-version-check",
        "--cache-dir", "/cache", "a==1",
    ]  # fmt: skip
    assert "--no-cache-dir" in commands.pip_install("/v/python", ["a"], cache_dir=None)
    resolve = commands.pip_resolve("/py", "pkg", cache_dir=None)
    assert resolve[-3:] == ["--report", "-", "pkg"] and "--dry-run" in resolve
