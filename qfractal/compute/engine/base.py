"""What the app holds as `app.state.engine`, whichever engine runs the jobs."""

from typing import Protocol


class Engine(Protocol):
    worker_id: str
    """This process's name in `engine_job.worker_id` and in lost-job messages."""

    async def start(self) -> None:
        """Sweep once, then run (or hand over) queued jobs until `stop`."""
        ...

    async def stop(self) -> None: ...

    async def wake(self, engine_job_id: int | None = None) -> None:
        """Call after committing a queued job (give its id) or a stop request (no id).

        The embedded engine looks for work at once; the Celery engine sends the job to
        the broker. Without a wake-up, work is still found at the next poll.
        """
        ...
