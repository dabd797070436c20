"""Task calls through an executor: the `--args-json` files, the command lines, the
outcomes and the `--out-json` contents. Task code only ever runs in the executor's
subprocesses.

A call's standard output and error go to its log file; the runner appends to that file
why a call failed when the task itself could not say it (a stop, an invalid output).
"""

import asyncio
import json
import signal
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qfractal.compute.executors.base import Executor, Unit, UnitOutcome
from qfractal.compute.executors.environment import user_code_environment
from qfractal.workflows.runner.errors import JobExecutionError
from qfractal.workflows.runner.task_args import task_command
from qfractal.workflows.runner.unit_files import UnitFiles

STOPPED = "Failed due to job stop."
LOG_TAIL_CHARS = 4_000
"""How much of a failed call's log the job log quotes."""


@dataclass(frozen=True)
class Call:
    """One call to make: its files and its `--args-json` content."""

    files: UnitFiles
    args: Mapping[str, Any]


@dataclass
class CallResult:
    files: UnitFiles
    outcome: UnitOutcome
    output: bytes | None
    """The `--out-json` content of a call that succeeded; None if it wrote none."""
    failure: str | None = None
    """Why the call failed; None if it succeeded."""

    @property
    def failed(self) -> bool:
        return self.failure is not None


def describe(outcome: UnitOutcome) -> str | None:
    """Why a call failed, in a few words; None if it succeeded."""
    if outcome.stopped:
        return STOPPED
    if outcome.error is not None:
        return outcome.error
    code = outcome.returncode
    if code is None or code == 0:
        return None
    if code < 0:
        try:
            return f"killed by signal {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit code {code}"


def append_to_log(working_dir: Path, files: UnitFiles, text: str) -> None:
    path = working_dir / files.log_file
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as log:
        log.write(f"{text.rstrip()}\n")


def log_tail(working_dir: Path, files: UnitFiles) -> str:
    try:
        text = (working_dir / files.log_file).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return text if len(text) <= LOG_TAIL_CHARS else "[...]\n" + text[-LOG_TAIL_CHARS:]


def _units(working_dir: Path, command: str, calls: Sequence[Call]) -> list[Unit]:
    """Write each call's `--args-json` file; the units that run them."""
    units = []
    for call in calls:
        args_file = working_dir / call.files.args_file
        args_file.parent.mkdir(parents=True, exist_ok=True)
        args_file.write_text(json.dumps(call.args, indent=2), encoding="utf-8")
        out_file = working_dir / call.files.metadiff_file
        try:
            argv = task_command(command, args_file=str(args_file), out_file=str(out_file))
        except ValueError as exc:
            raise JobExecutionError(f"Cannot split the task command {command!r}: {exc}") from exc
        # The server's environment minus its settings (fractal-server passes everything);
        # the working directory is the job folder rather than wherever the server started.
        log_path = working_dir / call.files.log_file
        units.append(
            Unit(
                argv=argv,
                cwd=working_dir,
                env=user_code_environment(),
                log_path=log_path,
                files=(args_file, out_file),
            )
        )
    return units


def _results(
    working_dir: Path, calls: Sequence[Call], outcomes: Sequence[UnitOutcome]
) -> list[CallResult]:
    results = []
    for call, outcome in zip(calls, outcomes, strict=True):
        failure = describe(outcome)
        output = None
        if failure is None:
            out_file = working_dir / call.files.metadiff_file
            output = out_file.read_bytes() if out_file.exists() else None
        elif outcome.stopped:
            append_to_log(working_dir, call.files, STOPPED)
        results.append(
            CallResult(files=call.files, outcome=outcome, output=output, failure=failure)
        )
    return results


async def run_calls(
    executor: Executor,
    *,
    working_dir: Path,
    command: str,
    calls: Sequence[Call],
    parallel: int | None,
    stop: asyncio.Event,
    meta: Mapping[str, Any],
) -> list[CallResult]:
    """Make the calls, at most `parallel` at once (None: all); results in call order.
    `meta` is the workflow task's, for the executors that read it (SLURM options).

    Raises ExecutorError if the executor could not run them at all.
    """
    units = await asyncio.to_thread(_units, working_dir, command, calls)
    outcomes = await executor.run_units(units, parallel=parallel, stop=stop, meta=meta)
    return await asyncio.to_thread(_results, working_dir, calls, outcomes)
