"""How a unit of a SLURM job ended, from what its job left behind.

Pure functions of the remote worker's result (None when the worker wrote none), the job's
last SLURM state and the tail of its stderr. Each returns the unit's outcome and the text
to append to its log (None: nothing); the executor reads the files and writes the log.

* A result: the command's exit status and times, or the worker's own error (command not
  found, version mismatch, ...), whose traceback goes to the log.
* A job SLURM killed (a final state other than COMPLETED: TIMEOUT, OUT_OF_MEMORY, NODE_FAIL,
  CANCELLED by someone else, ...): a unit without a result, or whose command died of a
  signal, gets an `error` naming the state, with the job's stderr (SLURM writes why there).
* No result in a job that completed: the worker never ran or died (a wrong
  `python_worker`, ...); the same error, the stderr says why.
* A stop (the executor cancelled the job): units that had ended keep their outcome; the
  others come back stopped, with their command's exit status and times when it ran.
"""

from dataclasses import dataclass, replace
from datetime import datetime

from qfractal.compute.executors.base import UnitOutcome
from qfractal.compute.executors.slurm.remote import RemoteResult
from qfractal.compute.executors.slurm.squeue import FINISHED_STATES

KILLED_STATES = FINISHED_STATES - {"COMPLETED"}
"""Final states in which SLURM (or someone else) killed the job."""
STOPPED = "stopped: its SLURM job was cancelled"
_TERMINATED = "Terminated"
"""The worker's error when the stop came before its command started."""


@dataclass(frozen=True)
class JobEnd:
    """What is known of a SLURM job once it has left the queue."""

    slurm_job_id: int
    state: str | None
    """Its last state in squeue (None: never seen)."""
    stderr: str
    """The tail of its `--error` file ("" if none)."""


def unit_outcome(
    result: RemoteResult | None, job: JobEnd, now: datetime
) -> tuple[UnitOutcome, str | None]:
    """A unit of a job that ended on its own; `now` stamps a unit without a result."""
    if result is None:
        return _killed(None, job, now)
    if result.error_type is not None:
        error = f"the SLURM worker failed: {result.error_type}: {result.message}"
        outcome = UnitOutcome(None, False, result.started_at, result.ended_at, error=error)
        return outcome, f"qfractal: {error}\n{result.traceback or ''}"
    if job.state in KILLED_STATES and (result.returncode or 0) < 0:
        return _killed(result, job, now)
    return _ran(result), None


def stopped_outcome(
    result: RemoteResult | None, job: JobEnd, now: datetime
) -> tuple[UnitOutcome, str | None]:
    """A unit of a job the executor cancelled: its own outcome if it ended before the stop
    (an exit status >= 0, or a worker error other than the stop itself), else stopped."""
    if result is None or result.error_type == _TERMINATED:
        return UnitOutcome(None, True, None, None), None
    if result.error_type is not None or (result.returncode or 0) >= 0:
        return unit_outcome(result, job, now)
    return replace(_ran(result), stopped=True), f"qfractal: {STOPPED}"


def _killed(
    result: RemoteResult | None, job: JobEnd, now: datetime
) -> tuple[UnitOutcome, str | None]:
    what = "without a result for this unit" if result is None else "and killed this unit"
    error = f"SLURM job {job.slurm_job_id} ended ({job.state or 'unknown'}) {what}"
    if job.stderr:
        error = f"{error}; its stderr:\n{job.stderr}"
    if result is None:
        return UnitOutcome(None, False, now, now, error=error), f"qfractal: {error}"
    return replace(_ran(result), error=error), f"qfractal: {error}"


def _ran(result: RemoteResult) -> UnitOutcome:
    return UnitOutcome(result.returncode, False, result.started_at, result.ended_at)
