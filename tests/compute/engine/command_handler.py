"""Real job handlers for the engine tests, which report through files.

A test writes the commands of job `ref_id` into `<data_dir>/engine-tests/<ref_id>.json`;
`run` runs them with the local executor (stopped by `context.stop`) and writes
`<ref_id>.done`; `lost` appends its reason to `<ref_id>.lost`. Files, so that a real
`qfractal worker` process reports back too: it imports this module through
QFRACTAL_ENGINE_HANDLER_MODULES, the tests import it directly.
"""

import asyncio
import json
from pathlib import Path

from qfractal.compute.engine.handlers import RunContext, register
from qfractal.compute.executors.base import Unit
from qfractal.compute.executors.local import run_units
from qfractal.config import Settings

KIND = "test.command"
STUBBORN_KIND = "test.stubborn"
"""Its `run` ignores `context.stop` and only ends when cancelled."""


def folder(settings: Settings) -> Path:
    path = settings.data_dir / "engine-tests"
    path.mkdir(parents=True, exist_ok=True)
    return path


def write_commands(settings: Settings, ref_id: int, *commands: list[str]) -> None:
    (folder(settings) / f"{ref_id}.json").write_text(json.dumps(list(commands)))


def report(settings: Settings, ref_id: int, name: str) -> str | None:
    """The content of `<ref_id>.<name>` (started, done, lost, cancelled), None if absent."""
    path = folder(settings) / f"{ref_id}.{name}"
    return path.read_text() if path.exists() else None


def _write(context: RunContext, ref_id: int, name: str, text: str) -> None:
    with (folder(context.settings) / f"{ref_id}.{name}").open("a") as file:
        file.write(text)


class CommandHandler:
    kind = KIND

    async def run(self, ref_id: int, context: RunContext) -> None:
        base = folder(context.settings)
        commands = json.loads((base / f"{ref_id}.json").read_text())
        units = [
            Unit(argv=argv, cwd=base, env=None, log_path=base / f"{ref_id}-{index}.log")
            for index, argv in enumerate(commands)
        ]
        _write(context, ref_id, "started", context.worker_id)
        outcomes = await run_units(units, parallel=None, stop=context.stop, kill_grace=1)
        failed = [index for index, outcome in enumerate(outcomes) if not outcome.ok]
        if failed:
            raise RuntimeError(f"units {failed} of job {ref_id} failed")
        _write(context, ref_id, "done", "")

    async def lost(self, ref_id: int, reason: str, context: RunContext) -> None:
        _write(context, ref_id, "lost", reason + "\n")

    async def resumable(self, ref_id: int, context: RunContext) -> bool:
        """True once a test called `make_resumable` for the job."""
        return (folder(context.settings) / f"{ref_id}.resumable").exists()


def make_resumable(settings: Settings, ref_id: int) -> None:
    """Let job `ref_id` be queued again when its worker shuts down or dies."""
    (folder(settings) / f"{ref_id}.resumable").touch()


class StubbornHandler:
    kind = STUBBORN_KIND

    async def run(self, ref_id: int, context: RunContext) -> None:
        _write(context, ref_id, "started", context.worker_id)
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            _write(context, ref_id, "cancelled", "")
            raise

    async def lost(self, ref_id: int, reason: str, context: RunContext) -> None:
        _write(context, ref_id, "lost", reason + "\n")

    async def resumable(self, ref_id: int, context: RunContext) -> bool:
        return False


register(CommandHandler())
register(StubbornHandler())
