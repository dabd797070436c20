"""The engine handler of kind `workflow_job`: run a submitted job's workflow tasks over
its dataset (fractal-server 2.17, §2.4 and §2.6).

The job folder must not exist yet (unless the job resumes: on a SLURM resource, a job
whose server stopped or died carries on when the engine runs it again, skipping the tasks
it had done and following the SLURM jobs it had submitted; its log says RESUME). The job
logs to `{folder}/workflow.log`, which becomes the job's `log` when it ends. Tasks run in
order; each one's output type filters add to those of the next. A stop (`context.stop`)
kills the running calls and starts no other task: the job fails "stopped by user". At
the end the folder is zipped to `<folder>.zip` and removed.
"""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path

from sqlalchemy import select

from qfractal.compute.engine import queue
from qfractal.compute.engine.handlers import RunContext
from qfractal.compute.engine.worker import STOPPED_BY_USER
from qfractal.compute.models import Resource
from qfractal.workflows.jobs.schemas import JobStatus
from qfractal.workflows.jobs.submission import WORKFLOW_JOB_KIND
from qfractal.workflows.models import Job, Project
from qfractal.workflows.runner import persist
from qfractal.workflows.runner.archive import archive_job_folder
from qfractal.workflows.runner.errors import JobExecutionError
from qfractal.workflows.runner.execute import JobRun, execute_task
from qfractal.workflows.runner.executors import open_executor
from qfractal.workflows.runner.job_end import (
    end_job,
    executor_error_log,
    job_error,
    unknown_error,
)
from qfractal.workflows.runner.job_log import JobLog
from qfractal.workflows.runner.job_setup import JobSetup, load_job_setup

logger = logging.getLogger(__name__)

STOPPED_BY_ENGINE = "stopped by the job engine (its worker shut down or lost its lease)"
LEFT_FOR_RESUME = "The server stopped; the SLURM jobs go on, and the job resumes later."


class JobStopped(Exception):
    """`context.stop` was set: no further task starts."""


class JobLeft(Exception):
    """The worker shuts down or lost the job while it runs on a SLURM resource: the job is
    left as it is (SLURM jobs running, status submitted) for the run that resumes it."""


async def _stop_reason(context: RunContext, job_id: int) -> str:
    async with context.sessionmaker() as session:
        engine_job = await queue.find(session, kind=WORKFLOW_JOB_KIND, ref_id=job_id)
    if engine_job is not None and engine_job.stop_requested:
        return STOPPED_BY_USER
    return STOPPED_BY_ENGINE


@contextlib.asynccontextmanager
async def _executor_stop(setup: JobSetup, context: RunContext) -> AsyncIterator[asyncio.Event]:
    """What stops the executor's units: `context.stop` on a local resource (the processes
    die with the worker anyway). On a SLURM resource, only a stop the user asked for: when
    the worker shuts down or loses the job, `context.stop` is set too, but the SLURM jobs
    must go on for the server that resumes the job (cancelling them would fail it)."""
    if setup.cluster is None:
        yield context.stop
        return
    user_stop = asyncio.Event()

    async def watch() -> None:
        await context.stop.wait()
        if await _stop_reason(context, setup.job_id) == STOPPED_BY_USER:
            user_stop.set()

    watcher = asyncio.create_task(watch())
    try:
        yield user_stop
    finally:
        watcher.cancel()
        await asyncio.wait({watcher})


async def _check_stop(setup: JobSetup, context: RunContext) -> None:
    """Before a task: raise JobStopped if the job was stopped (JobLeft if the stop means
    that another run will resume it)."""
    if not context.stop.is_set():
        return
    if setup.cluster is not None and await _stop_reason(context, setup.job_id) != STOPPED_BY_USER:
        raise JobLeft
    raise JobStopped


async def _run_tasks(
    setup: JobSetup, context: RunContext, log: JobLog, executor_errors: list[str]
) -> None:
    async with (
        open_executor(setup, context.sessionmaker) as executor,
        _executor_stop(setup, context) as stop,
    ):
        job = JobRun(
            setup=setup,
            executor=executor,
            sessionmaker=context.sessionmaker,
            stop=stop,
            log=log,
            executor_errors=executor_errors,
        )
        async with context.sessionmaker() as session:
            previous = await persist.job_runs(session, setup.job_id)
        current_type_filters = dict(setup.type_filters)
        for index, task in enumerate(setup.tasks):
            await _check_stop(setup, context)
            run_id, status = previous.get(task.wftask_id, (None, None))
            if status == "done":
                log.info(f'Task {task.order} "{task.name}" was done before a restart: skipped')
            else:
                await execute_task(
                    job,
                    task,
                    current_type_filters=current_type_filters,
                    first=index == 0,
                    resume_run_id=run_id if status == "submitted" else None,
                )
            current_type_filters.update(task.output_types)


async def _run_logged(
    setup: JobSetup,
    context: RunContext,
    log: JobLog,
    executor_errors: list[str],
    *,
    resumed: bool,
) -> JobStatus | None:
    """Run the tasks; log how the job ends and say how (None: left for a resume, see
    JobLeft). Failures of the executor itself are added to `executor_errors`. `resumed`:
    the job ran before (its folder is there)."""
    if resumed:
        log.warning(
            f"RESUME job {setup.job_id} after a restart of the server: tasks done before are "
            "skipped, SLURM jobs submitted before are followed (not submitted again)"
        )
    log.info(
        f'START workflow "{setup.workflow_name}" (job {setup.job_id}, dataset '
        f"{setup.dataset_id}): {len(setup.tasks)} task(s)"
    )
    try:
        await _run_tasks(setup, context, log, executor_errors)
    except asyncio.CancelledError:
        if setup.cluster is not None:
            log.warning(LEFT_FOR_RESUME)
        else:
            log.error(job_error(setup.job_id, "cancelled (the worker running it shut down)"))
        raise
    except JobLeft:
        log.warning(LEFT_FOR_RESUME)
        return None
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

    async def _end(
        self,
        context: RunContext,
        job_id: int,
        status: JobStatus,
        log: str,
        executor_errors: list[str] | None = None,
    ) -> None:
        error_log = executor_error_log(executor_errors or [])
        async with context.sessionmaker() as session, session.begin():
            ended = await end_job(
                session, job_id, status=status, log=log, executor_error_log=error_log
            )
            if not ended:
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
        resumable = setup.cluster is not None  # the folder of a resumed run is there
        resumed = resumable and await asyncio.to_thread(folder.is_dir)
        try:
            await asyncio.to_thread(folder.mkdir, parents=True, exist_ok=resumable)
        except OSError as error:
            message = f"Cannot create the job folder {folder}: {error.strerror or error}."
            await self._end(context, ref_id, JobStatus.FAILED, job_error(ref_id, message))
            return
        log = JobLog(folder, name=setup.log_name)
        executor_errors: list[str] = []
        try:
            status = await _run_logged(setup, context, log, executor_errors, resumed=resumed)
        finally:
            log.close()
        if status is None:
            return  # the folder and the job stay as they are, for the run that resumes it
        text = await asyncio.to_thread(log.text)
        # Zip before the job is seen as ended, so that a download right after `done`
        # finds the archive rather than a folder being archived.
        await asyncio.to_thread(archive_job_folder, folder)
        await self._end(context, ref_id, status, text, executor_errors)

    async def resumable(self, ref_id: int, context: RunContext) -> bool:
        """Jobs on a SLURM resource are, while submitted and not stopped: their units run
        on the cluster, whatever happened to the server. Local jobs are not: their
        processes died with their worker."""
        async with context.sessionmaker() as session:
            resource_type = await session.scalar(
                select(Resource.type)
                .join(Project, Project.resource_id == Resource.id)
                .join(Job, Job.project_id == Project.id)
                .where(Job.id == ref_id, Job.status == JobStatus.SUBMITTED.value)
            )
            engine_job = await queue.find(session, kind=WORKFLOW_JOB_KIND, ref_id=ref_id)
        stopped = engine_job is None or engine_job.stop_requested
        return resource_type in ("slurm_sudo", "slurm_ssh") and not stopped

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
