"""The engine handler of kind `workflow_job`: run a submitted job's workflow tasks over
its dataset (fractal-server 2.17, §2.4 and §2.6).

The job folder must not exist yet; the job logs to `{folder}/workflow.log`, which becomes
the job's `log` when it ends. Tasks run in order; each one's output type filters add to
those of the next. A stop (`context.stop`) kills the running calls and starts no other
task: the job fails "stopped by user". At the end the folder is zipped to
`<folder>.zip` and removed.
"""

import asyncio
import contextlib
import logging
from pathlib import Path

from qfractal.compute.engine import queue
from qfractal.compute.engine.handlers import RunContext
from qfractal.compute.engine.worker import STOPPED_BY_USER
from qfractal.compute.executors.base import Executor
from qfractal.compute.executors.local import LocalExecutor
from qfractal.workflows.jobs.schemas import JobStatus
from qfractal.workflows.jobs.submission import WORKFLOW_JOB_KIND
from qfractal.workflows.models import Job
from qfractal.workflows.runner.archive import archive_job_folder
from qfractal.workflows.runner.errors import JobExecutionError
from qfractal.workflows.runner.execute import JobRun, execute_task
from qfractal.workflows.runner.job_end import end_job, job_error, unknown_error
from qfractal.workflows.runner.job_log import JobLog
from qfractal.workflows.runner.job_setup import JobSetup, load_job_setup

logger = logging.getLogger(__name__)

STOPPED_BY_ENGINE = "stopped by the job engine (its worker shut down or lost its lease)"


class JobStopped(Exception):
    """`context.stop` was set: no further task starts."""


def executor_for(setup: JobSetup) -> Executor:
    if setup.resource_type == "local":
        return LocalExecutor()
    raise JobExecutionError(
        f'Resource "{setup.resource_name}" is of type {setup.resource_type}: this server runs '
        "jobs on local resources only, so far."
    )


async def _stop_reason(context: RunContext, job_id: int) -> str:
    async with context.sessionmaker() as session:
        engine_job = await queue.find(session, kind=WORKFLOW_JOB_KIND, ref_id=job_id)
    if engine_job is not None and engine_job.stop_requested:
        return STOPPED_BY_USER
    return STOPPED_BY_ENGINE


async def _run_tasks(setup: JobSetup, context: RunContext, log: JobLog) -> None:
    job = JobRun(
        setup=setup,
        executor=executor_for(setup),
        sessionmaker=context.sessionmaker,
        stop=context.stop,
        log=log,
    )
    current_type_filters = dict(setup.type_filters)
    for index, task in enumerate(setup.tasks):
        if context.stop.is_set():
            raise JobStopped
        await execute_task(job, task, current_type_filters=current_type_filters, first=index == 0)
        current_type_filters.update(task.output_types)


async def _run_logged(setup: JobSetup, context: RunContext, log: JobLog) -> JobStatus:
    """Run the tasks; log how the job ends and say how."""
    log.info(
        f'START workflow "{setup.workflow_name}" (job {setup.job_id}, dataset '
        f"{setup.dataset_id}): {len(setup.tasks)} task(s)"
    )
    try:
        await _run_tasks(setup, context, log)
    except asyncio.CancelledError:
        log.error(job_error(setup.job_id, "cancelled (the worker running it shut down)"))
        raise
    except (JobExecutionError, JobStopped) as error:
        # Calls killed by a stop fail their task: the stop is the reason to give.
        message = await _stop_reason(context, setup.job_id) if context.stop.is_set() else str(error)
        log.error(job_error(setup.job_id, message))
        return JobStatus.FAILED
    except Exception as error:
        logger.exception("job %d failed", setup.job_id)
        log.error(unknown_error(setup.job_id, error))
        return JobStatus.FAILED
    log.info(f'END workflow "{setup.workflow_name}"')
    return JobStatus.DONE


class WorkflowJobHandler:
    """Runs `jobv2` rows for the job engine."""

    kind = WORKFLOW_JOB_KIND

    async def _end(self, context: RunContext, job_id: int, status: JobStatus, log: str) -> None:
        async with context.sessionmaker() as session, session.begin():
            if not await end_job(session, job_id, status=status, log=log):
                logger.warning("job %d was ended by someone else first", job_id)

    async def _setup(self, job_id: int, context: RunContext) -> JobSetup | None:
        """The job's setup; None if it is not to run (not submitted, or failed now)."""
        async with context.sessionmaker() as session:
            job = await session.get(Job, job_id)
            if job is None or job.status != JobStatus.SUBMITTED:
                return None
            try:
                return await load_job_setup(session, job)
            except JobExecutionError as error:
                problem = error.message
        await self._end(context, job_id, JobStatus.FAILED, job_error(job_id, problem))
        return None

    async def run(self, ref_id: int, context: RunContext) -> None:
        try:
            await self._run(ref_id, context)
        except Exception as error:
            # Outside the tasks (reading the job, its folder, its end): fail the job if
            # that still works, so that it does not stay submitted; the engine job fails.
            logger.exception("job %d failed", ref_id)
            with contextlib.suppress(Exception):
                await self._end(context, ref_id, JobStatus.FAILED, unknown_error(ref_id, error))
            raise

    async def _run(self, ref_id: int, context: RunContext) -> None:
        setup = await self._setup(ref_id, context)
        if setup is None:
            return
        folder = setup.working_dir
        try:
            await asyncio.to_thread(folder.mkdir, parents=True)
        except OSError as error:
            message = f"Cannot create the job folder {folder}: {error.strerror or error}."
            await self._end(context, ref_id, JobStatus.FAILED, job_error(ref_id, message))
            return
        log = JobLog(folder, name=setup.log_name)
        try:
            status = await _run_logged(setup, context, log)
        finally:
            log.close()
        text = await asyncio.to_thread(log.text)
        # Zip before the job is seen as ended, so that a download right after `done`
        # finds the archive rather than a folder being archived.
        await asyncio.to_thread(archive_job_folder, folder)
        await self._end(context, ref_id, status, text)

    async def lost(self, ref_id: int, reason: str, context: RunContext) -> None:
        """Fail the job if it is still submitted, with `reason` last in its log (and in
        `workflow.log`, if its folder is still there)."""
        async with context.sessionmaker() as session, session.begin():
            job = await session.get(Job, ref_id)
            if job is None or job.status != JobStatus.SUBMITTED:
                return
            text = await asyncio.to_thread(_append_to_workflow_log, job, reason)
            await end_job(session, ref_id, status=JobStatus.FAILED, log=text)


def _append_to_workflow_log(job: Job, reason: str) -> str:
    """The job's log with `reason` appended: `workflow.log` if there is one, else only
    the reason."""
    message = job_error(job.id, reason)
    if job.working_dir is None or not (folder := Path(job.working_dir)).is_dir():
        return message
    log = JobLog(folder, name=f"WF{job.workflow_id}_job{job.id}")
    try:
        log.error(message)
    finally:
        log.close()
    return log.text()
