"""squeue's command and answers, finished jobs, transient failures, sbatch --parsable."""

import pytest

from qfractal.compute.executors.slurm.squeue import (
    FINISHED_STATES,
    finished,
    is_invalid_job_id,
    is_transient_failure,
    parse_sbatch,
    parse_squeue,
    squeue_argv,
)


def test_squeue_argv() -> None:
    assert squeue_argv([12, 7, 300]) == [
        "squeue",
        "--noheader",
        "--format=%i %T",
        "--states=all",
        "--jobs=12,7,300",
    ]
    with pytest.raises(ValueError, match="at least one job id"):
        squeue_argv([])


def test_parse_squeue() -> None:
    stdout = "12 RUNNING\n7 PENDING\n\n300 COMPLETED\n  8 CANCELLED+  \n"

    assert parse_squeue(stdout) == {12: "RUNNING", 7: "PENDING", 300: "COMPLETED", 8: "CANCELLED"}
    assert parse_squeue("") == {}


@pytest.mark.parametrize("line", ["12", "12 RUNNING extra", "12_3 RUNNING", "x PENDING"])
def test_parse_squeue_refuses_unexpected_lines(line: str) -> None:
    with pytest.raises(ValueError, match="unexpected squeue line") as caught:
        parse_squeue(f"1 RUNNING\n{line}\n")
    assert repr(line) in str(caught.value)


def test_finished_jobs_are_absent_or_in_a_final_state() -> None:
    states = {1: "RUNNING", 2: "PENDING", 3: "COMPLETED", 4: "OUT_OF_MEMORY", 5: "COMPLETING"}

    assert finished([1, 2, 3, 4, 5, 6], states) == {3, 4, 6}
    assert finished([], states) == set()
    assert all(finished([1], {1: state}) == {1} for state in FINISHED_STATES)
    assert len(FINISHED_STATES) == 10


@pytest.mark.parametrize(
    ("stderr", "transient", "invalid"),
    [
        ("slurm_load_jobs error: Socket timed out on send/recv operation\n", True, False),
        ("error: Unable to contact slurm controller (connect failure)", True, False),
        ("slurm_load_jobs error: Invalid job id specified\n", False, True),
        ("squeue: error: Invalid user: nobody\n", False, False),
        ("", False, False),
    ],
)  # fmt: skip
def test_failures(stderr: str, transient: bool, invalid: bool) -> None:
    assert is_transient_failure(stderr) is transient
    assert is_invalid_job_id(stderr) is invalid


@pytest.mark.parametrize(
    ("stdout", "job_id"),
    [("123\n", 123), ("123;cluster\n", 123), ("  9 ", 9), ("site notice\n45;c1\n", 45)],
)
def test_parse_sbatch(stdout: str, job_id: int) -> None:
    assert parse_sbatch(stdout) == job_id


@pytest.mark.parametrize("stdout", ["", "\n", "Submitted batch job 5\n", "12a", "12;", "-3"])
def test_parse_sbatch_refuses_other_output(stdout: str) -> None:
    with pytest.raises(ValueError, match="sbatch printed no job id") as caught:
        parse_sbatch(stdout)
    assert repr(stdout) in str(caught.value)
