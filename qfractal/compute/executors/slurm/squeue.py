"""Talking to SLURM's command line: the squeue poll and the answer of `sbatch --parsable`.

Commands are argv lists (no shell); the caller runs them (as the user through sudo, or over
SSH) and hands back stdout and stderr. A job is finished when squeue no longer lists it
(SLURM forgets ended jobs after `MinJobAge`) or lists it in a final state.
"""

import re
from collections.abc import Iterable, Mapping

FINISHED_STATES = frozenset(
    {
        "BOOT_FAIL",
        "CANCELLED",
        "COMPLETED",
        "DEADLINE",
        "FAILED",
        "NODE_FAIL",
        "OUT_OF_MEMORY",
        "PREEMPTED",
        "SPECIAL_EXIT",
        "TIMEOUT",
    }
)
"""Job states after which nothing of the job runs any more."""

_TRANSIENT_ERRORS = ("Socket timed out", "Unable to contact slurm controller")
_SBATCH_ANSWER = re.compile(r"^(\d+)(?:;\S+)?$")


def squeue_argv(job_ids: Iterable[int]) -> list[str]:
    """The squeue command printing `<id> <state>` for each of `job_ids`, any state."""
    ids = [str(int(job_id)) for job_id in job_ids]
    if not ids:
        raise ValueError("squeue needs at least one job id")
    return [
        "squeue",
        "--noheader",
        "--format=%i %T",
        "--states=all",
        f"--jobs={','.join(ids)}",
    ]


def parse_squeue(stdout: str) -> dict[int, str]:
    """{job id: state} from the output of `squeue_argv`'s command.

    Raises:
        ValueError: a line is not `<integer id> <state>` (the message quotes it).
    """
    states = {}
    for line in stdout.splitlines():
        if not line.strip():
            continue
        fields = line.split()
        if len(fields) != 2 or not fields[0].isdecimal():
            raise ValueError(f"unexpected squeue line {line!r}: expected '<job id> <state>'")
        states[int(fields[0])] = fields[1].rstrip("+")
    return states


def finished(job_ids: Iterable[int], states: Mapping[int, str]) -> set[int]:
    """The ids among `job_ids` that squeue no longer lists or lists in a final state."""
    return {
        job_id for job_id in job_ids if job_id not in states or states[job_id] in FINISHED_STATES
    }


def is_transient_failure(stderr: str) -> bool:
    """True when a failed squeue (or sbatch) is worth retrying: the controller was busy
    ("Socket timed out on send/recv operation") or briefly unreachable."""
    return any(message in stderr for message in _TRANSIENT_ERRORS)


def is_invalid_job_id(stderr: str) -> bool:
    """True when squeue failed because it no longer knows a job ("Invalid job id specified"):
    poll the ids one by one; an id that fails alone with this error is finished."""
    return "Invalid job id specified" in stderr


def parse_sbatch(stdout: str) -> int:
    """The job id from `sbatch --parsable`'s output, "123" or "123;cluster".

    Lines before the last one (messages of site plugins) are skipped.

    Raises:
        ValueError: no job id on the last line (the message quotes the whole output).
    """
    lines = [line.strip() for line in stdout.splitlines() if line.strip()]
    match = _SBATCH_ANSWER.match(lines[-1]) if lines else None
    if match is None:
        raise ValueError(f"sbatch printed no job id: {stdout!r}")
    return int(match[1])
