"""A unit's outcome from its worker result, its SLURM job's last state and stderr."""

from datetime import UTC, datetime

import pytest

from qfractal.compute.executors.base import UnitOutcome
from qfractal.compute.executors.slurm.outcomes import (
    KILLED_STATES,
    STOPPED,
    JobEnd,
    stopped_outcome,
    unit_outcome,
)
from qfractal.compute.executors.slurm.remote import RemoteResult

STARTED = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
ENDED = datetime(2025, 1, 2, 3, 5, 0, tzinfo=UTC)
NOW = datetime(2025, 1, 2, 4, 0, 0, tzinfo=UTC)
TIME_LIMIT = "*** JOB 7 ON node1 CANCELLED AT 2025-01-02T03:05:00 DUE TO TIME LIMIT ***"


def ran(returncode: int) -> RemoteResult:
    return RemoteResult(returncode == 0, returncode, STARTED, ENDED)


def worker_failed(error_type: str, message: str) -> RemoteResult:
    return RemoteResult(False, None, STARTED, ENDED, error_type, message, "Traceback ...\n")


def job(state: str | None, stderr: str = "") -> JobEnd:
    return JobEnd(7, state, stderr)


@pytest.mark.parametrize("state", ["COMPLETED", "TIMEOUT", "FAILED", None])
@pytest.mark.parametrize("returncode", [0, 3])
def test_a_command_that_exited_keeps_its_status(state: str | None, returncode: int) -> None:
    outcome, note = unit_outcome(ran(returncode), job(state, TIME_LIMIT), NOW)

    assert outcome == UnitOutcome(returncode, False, STARTED, ENDED)
    assert note is None


def test_the_workers_own_error_goes_to_the_outcome_and_its_traceback_to_the_log() -> None:
    result = worker_failed("FileNotFoundError", "[Errno 2] No such file: '/x'")

    outcome, note = unit_outcome(result, job("COMPLETED"), NOW)

    error = "the SLURM worker failed: FileNotFoundError: [Errno 2] No such file: '/x'"
    assert outcome == UnitOutcome(None, False, STARTED, ENDED, error=error)
    assert note == f"qfractal: {error}\nTraceback ...\n"


def test_a_command_killed_with_its_job_names_the_slurm_state() -> None:
    outcome, note = unit_outcome(ran(-15), job("TIMEOUT", TIME_LIMIT), NOW)

    error = f"SLURM job 7 ended (TIMEOUT) and killed this unit; its stderr:\n{TIME_LIMIT}"
    assert outcome == UnitOutcome(-15, False, STARTED, ENDED, error=error)
    assert note == f"qfractal: {error}"


def test_a_signal_in_a_completed_job_is_the_commands_own_death() -> None:
    outcome, note = unit_outcome(ran(-9), job("COMPLETED"), NOW)

    assert outcome == UnitOutcome(-9, False, STARTED, ENDED)
    assert note is None


@pytest.mark.parametrize(
    ("state", "stderr", "error"),
    [
        (
            "TIMEOUT",
            TIME_LIMIT,
            f"(TIMEOUT) without a result for this unit; its stderr:\n{TIME_LIMIT}",
        ),
        ("COMPLETED", "execve(): /bad/python: No such file", "(COMPLETED) without a result"),
        (None, "", "(unknown) without a result for this unit"),
    ],
)
def test_no_result_is_an_error_naming_the_state(state: str | None, stderr: str, error: str) -> None:
    outcome, note = unit_outcome(None, job(state, stderr), NOW)

    assert outcome.error is not None and outcome.error.startswith(f"SLURM job 7 ended {error}")
    assert stderr in outcome.error
    assert (outcome.returncode, outcome.stopped, outcome.started_at) == (None, False, NOW)
    assert note == f"qfractal: {outcome.error}"


def test_killed_states_are_the_final_states_but_completed() -> None:
    assert {"TIMEOUT", "OUT_OF_MEMORY", "CANCELLED", "NODE_FAIL"} <= KILLED_STATES
    assert "COMPLETED" not in KILLED_STATES and "RUNNING" not in KILLED_STATES


# -- after a stop -----------------------------------------------------------------------


def test_units_that_ended_before_the_stop_keep_their_outcome() -> None:
    cancelled = job("CANCELLED", "*** JOB 7 CANCELLED ***")
    assert stopped_outcome(ran(0), cancelled, NOW) == (UnitOutcome(0, False, STARTED, ENDED), None)
    assert stopped_outcome(ran(3), cancelled, NOW)[0] == UnitOutcome(3, False, STARTED, ENDED)
    failed, _ = stopped_outcome(worker_failed("VersionMismatch", "9.9.9"), cancelled, NOW)
    assert failed.error == "the SLURM worker failed: VersionMismatch: 9.9.9"


def test_a_killed_unit_is_stopped_with_its_status_and_times() -> None:
    outcome, note = stopped_outcome(ran(-15), job("CANCELLED"), NOW)

    assert outcome == UnitOutcome(-15, True, STARTED, ENDED)
    assert note == f"qfractal: {STOPPED}"


@pytest.mark.parametrize(
    "result", [None, worker_failed("Terminated", "received SIGTERM before the command started")]
)
def test_a_unit_that_never_started_is_stopped_without_times(result: RemoteResult | None) -> None:
    assert stopped_outcome(result, job("CANCELLED"), NOW) == (
        UnitOutcome(None, True, None, None),
        None,
    )
