"""How a job row ends: `done` or `failed`, with its log and end time.

Only a job that is still `submitted` is ended: an admin may have failed it already, or
the engine may have declared it lost while its run was stopping. A failed job's runs
and units that are still `submitted` fail with it.
"""

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from qfractal.db.types import utc_now
from qfractal.workflows.jobs.schemas import JobStatus
from qfractal.workflows.models import Job
from qfractal.workflows.runner.persist import fail_open_history


def job_error(job_id: int, message: str) -> str:
    """The job log's last entry when a job cannot go on."""
    return f"JOB ERROR in job {job_id}:\n{message}"


def unknown_error(job_id: int, error: BaseException) -> str:
    """The job log's last entry when the server itself failed (the traceback goes to the
    server's log only)."""
    return f"UNKNOWN ERROR in job {job_id}: {type(error).__name__}: {error}"


async def end_job(
    session: AsyncSession,
    job_id: int,
    *,
    status: JobStatus,
    log: str,
    executor_error_log: str | None = None,
) -> bool:
    """End the job if it is still submitted; False if it was not."""
    result = await session.execute(
        update(Job)
        .where(Job.id == job_id, Job.status == JobStatus.SUBMITTED.value)
        .values(
            status=status.value,
            log=log,
            executor_error_log=executor_error_log,
            end_timestamp=utc_now(),
        )
        .returning(Job.id)
    )
    if result.scalar_one_or_none() is None:
        return False
    if status is JobStatus.FAILED:
        await fail_open_history(session, job_id)
    return True


def executor_error_log(errors: list[str]) -> str | None:
    """The job's `executor_error_log`: the first executor failure, and how many followed."""
    if not errors:
        return None
    more = len(errors) - 1
    return errors[0] if more == 0 else f"{errors[0]}\n(and {more} more executor error(s))"
