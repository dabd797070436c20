"""Errors of a job run, as the job log shows them."""


class JobExecutionError(Exception):
    """The job cannot go on: the runner fails it and writes `message` in its log
    (fractal-server's "JOB ERROR")."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class TaskOutputError(ValueError):
    """A unit's `--out-json` file is not a valid output: that unit fails with this
    message, the other units of the task are not affected."""
