"""What every executor (local, slurm_sudo, slurm_ssh) takes and returns."""

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol


class ExecutorError(Exception):
    """The executor cannot run the units at all (bad options, the cluster unreachable,
    refused credentials): the message says why, for the job's log."""


@dataclass(frozen=True)
class Unit:
    """One command to run: no shell, its output (stdout and stderr) appended to `log_path`.

    `env` None means the executor's own environment. `files` are the files the command
    reads or writes besides its log (its arguments, its output): an executor running it
    on another machine sends those that exist and brings them all back.
    """

    argv: list[str]
    cwd: Path
    env: dict[str, str] | None
    log_path: Path
    files: tuple[Path, ...] = ()

    def __post_init__(self) -> None:
        if not self.argv:
            raise ValueError("a unit needs a command")


@dataclass(frozen=True)
class UnitOutcome:
    """How a unit ended.

    `returncode` is the process's exit status (negative: killed by that signal), None
    when no process ran: it could not start (`error` says why) or it was stopped before
    its turn (then it has no timestamps either).
    """

    returncode: int | None
    stopped: bool
    started_at: datetime | None
    ended_at: datetime | None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.stopped and self.error is None


class Executor(Protocol):
    async def run_units(
        self,
        units: Sequence[Unit],
        *,
        parallel: int | None,
        stop: asyncio.Event,
        meta: Mapping[str, Any] | None = None,
    ) -> list[UnitOutcome]:
        """Run `units`, at most `parallel` at once (None: all), outcomes in input order.

        Once `stop` is set, running units are killed and no new unit starts. Cancelling
        the call kills the running units too. `meta` holds options for the executor
        (a workflow task's meta: SLURM resources); an executor ignores what it does not
        use. An outcome's `error` is a failure of the executor, not of the unit's command.
        """
        ...
