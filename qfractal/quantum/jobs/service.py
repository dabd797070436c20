"""Quantum jobs: submit, list, read, cancel, rerun and delete, seen only by their owner.

A job is recorded READY and queued for the job engine in the request's transaction; the
engine's handler (`handler`) runs it after the commit. Nothing runs in the request. State
changes that race with the handler (cancel) are conditional updates, so the one that
commits first wins and the other sees it.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Select, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from qfractal.auth.models import User
from qfractal.compute.engine import queue
from qfractal.compute.models import EngineJob
from qfractal.db.types import utc_now
from qfractal.errors import BadRequest, NotFound
from qfractal.quantum.deployments import service as deployments
from qfractal.quantum.enums import ACTIVE_JOB_STATES, JobState, JobType, ProviderName
from qfractal.quantum.errors import FieldError, NotSupported
from qfractal.quantum.jobs.schemas import JobRequest
from qfractal.quantum.models import (
    QUANTUM_JOB_KIND,
    Deployment,
    Device,
    Provider,
    QuantumJob,
    QuantumResult,
)
from qfractal.quantum.paging import Page
from qfractal.quantum.secrets import seal_token

_ACTIVE = [state.value for state in ACTIVE_JOB_STATES]


@dataclass(frozen=True)
class Submission:
    """A job just recorded, and its engine job: wake the engine with it after the commit."""

    job: QuantumJob
    engine_job_id: int | None


@dataclass(frozen=True)
class JobView:
    """A job with what its full description shows."""

    job: QuantumJob
    device: Device | None
    results: Sequence[QuantumResult]


def not_found(job_id: int) -> NotFound:
    return NotFound(f"Job with id '{job_id}' was not found.")


def _owned(user: User) -> Select[tuple[QuantumJob]]:
    return select(QuantumJob).where(QuantumJob.executed_by == user.id)


async def find_job(session: AsyncSession, user: User, job_id: int) -> QuantumJob | None:
    return await session.scalar(_owned(user).where(QuantumJob.id == job_id))


async def get_job(session: AsyncSession, user: User, job_id: int) -> QuantumJob:
    """One of the user's jobs; 404 otherwise (another user's job included)."""
    job = await find_job(session, user, job_id)
    if job is None:
        raise not_found(job_id)
    return job


async def view(session: AsyncSession, job: QuantumJob) -> JobView:
    device = None
    if job.executed_on_id is not None:
        device = await session.scalar(
            select(Device)
            .where(Device.id == job.executed_on_id)
            .options(selectinload(Device.provider).selectinload(Provider.languages))
        )
    return JobView(job, device, await results_of(session, job.id))


async def results_of(session: AsyncSession, job_id: int) -> Sequence[QuantumResult]:
    statement = select(QuantumResult).where(QuantumResult.job_id == job_id)
    return (await session.scalars(statement.order_by(QuantumResult.id))).all()


async def find_device(session: AsyncSession, provider: ProviderName, name: str) -> Device:
    """The device called `name` among `provider`'s; 422 naming `deviceName` otherwise."""
    device = await session.scalar(
        select(Device)
        .join(Provider, Device.provider_id == Provider.id)
        .where(Provider.name == provider.value, Device.name == name)
    )
    if device is None:
        raise FieldError("deviceName", f"provider {provider.value} has no device '{name}'")
    return device


def _check_type(data: JobRequest, provider: ProviderName) -> None:
    job_type = data.type
    if job_type in (JobType.IBM_RUNNER, JobType.IBM_UPLOAD):
        raise NotSupported(f"{job_type.value} jobs (IBM Runtime programs) are not supported.")
    if data.cut_to_width is not None:
        raise NotSupported("Circuit cutting (cutToWidth) is not available on this server.")
    if job_type is JobType.ESTIMATOR:
        if provider is not ProviderName.IBM:
            raise FieldError("type", "ESTIMATOR jobs run on IBM devices only")
        if not data.observables:
            raise FieldError("observables", "an ESTIMATOR job needs at least one observable")
    elif data.observables is not None:
        raise FieldError("observables", "only ESTIMATOR jobs take observables")


async def _deployment(session: AsyncSession, user: User, deployment_id: int | None) -> Deployment:
    if deployment_id is None:
        raise FieldError("deploymentId", "required, in the body or as ?deployment=")
    deployment = await deployments.get_deployment(session, user, deployment_id, for_update=True)
    if not deployment.programs:
        raise FieldError("deploymentId", f"deployment '{deployment_id}' has no programs")
    return deployment


def _sealed(token: str | None, device: Device, secret: str) -> str | None:
    """The token sealed for the handler; local devices need none, so none is kept."""
    if not token or device.is_local:
        return None
    return seal_token(secret, token)


async def _record(session: AsyncSession, job: QuantumJob) -> Submission:
    session.add(job)
    await session.flush()
    engine_job = await queue.enqueue(session, kind=QUANTUM_JOB_KIND, ref_id=job.id)
    return Submission(job, engine_job.id)


async def create_job(
    session: AsyncSession,
    user: User,
    *,
    data: JobRequest,
    deployment_id: int | None,
    secret: str,
) -> Submission:
    """Record a READY job on one of the user's deployments and queue it for the engine.

    `deployment_id` (the `?deployment=` parameter) wins over `data.deploymentId`.
    `secret` seals the provider token.

    Raises:
        FieldError: unknown device, missing deployment id, a deployment without
            programs, a type that does not fit the device or the observables.
        NotFound: no such deployment among the user's.
        NotSupported: IBM_RUNNER/IBM_UPLOAD jobs, circuit cutting.
    """
    device = await find_device(session, data.provider_name, data.device_name)
    _check_type(data, data.provider_name)
    deployment = await _deployment(session, user, deployment_id or data.deployment_id)
    job = QuantumJob(
        name=data.name,
        executed_by=user.id,
        executed_on_id=device.id,
        deployment_id=deployment.id,
        state=JobState.READY.value,
        progress=0,
        shots=data.shots,
        type=data.type.value,
        error_mitigation=data.error_mitigation.value,
        cut_to_width=data.cut_to_width,
        created_at=utc_now(),
        observables=data.observables,
        provider_token_sealed=_sealed(data.token, device, secret),
    )
    return await _record(session, job)


async def list_jobs(
    session: AsyncSession,
    user: User,
    *,
    state: JobState | None,
    deployment_id: int | None,
    device_id: int | None,
    page: Page,
) -> Sequence[QuantumJob]:
    """The user's jobs by id, filtered, one page (404 for an empty page after the first)."""
    statement = _owned(user)
    if state is not None:
        statement = statement.where(QuantumJob.state == state.value)
    if deployment_id is not None:
        statement = statement.where(QuantumJob.deployment_id == deployment_id)
    if device_id is not None:
        statement = statement.where(QuantumJob.executed_on_id == device_id)
    statement = statement.order_by(QuantumJob.id).offset(page.offset).limit(page.item_count)
    return page.check((await session.scalars(statement)).all())


async def delete_job(session: AsyncSession, user: User, job_id: int) -> None:
    """Delete the job with its results; nothing if the user has no such job; 400 while
    it is READY or RUNNING (cancel it first)."""
    job = await find_job(session, user, job_id)
    if job is None:
        return
    if job.state in _ACTIVE:
        raise BadRequest(f"Job '{job_id}' is {job.state}; cancel it first.")
    await deployments.delete_jobs(session, [job.id])


async def cancel_job(session: AsyncSession, user: User, job_id: int) -> QuantumJob:
    """Cancel a READY or RUNNING job: it is CANCELED at once (its results so far are
    kept) and the engine is asked to stop it, which kills its simulation. Canceling a
    CANCELED job changes nothing; a FINISHED or ERROR job is 400."""
    job = await get_job(session, user, job_id)
    result = await session.execute(
        update(QuantumJob)
        .where(QuantumJob.id == job.id, QuantumJob.state.in_(_ACTIVE))
        .values(state=JobState.CANCELED.value, finished_at=utc_now(), provider_token_sealed=None)
        .returning(QuantumJob.id)
        .execution_options(synchronize_session=False)
    )
    canceled = result.first() is not None
    await session.refresh(job)
    if canceled:
        await queue.request_stop(session, kind=QUANTUM_JOB_KIND, ref_id=job.id)
    elif job.state != JobState.CANCELED.value:
        raise BadRequest(
            f"Job '{job_id}' is {job.state}; only READY or RUNNING jobs can be canceled."
        )
    return job


async def rerun_job(
    session: AsyncSession, user: User, job_id: int, *, token: str | None, secret: str
) -> Submission:
    """A new READY job like this one, owned by the user, with the new `token`.

    Raises:
        NotFound: no such job among the user's.
        BadRequest: the job's deployment or device is gone, or has no programs.
    """
    old = await get_job(session, user, job_id)
    if old.deployment_id is None:
        raise BadRequest(f"The deployment of job '{job_id}' was deleted; it cannot run again.")
    device = None
    if old.executed_on_id is not None:
        device = await session.get(Device, old.executed_on_id)
    if device is None:
        raise BadRequest(f"The device of job '{job_id}' no longer exists; it cannot run again.")
    deployment = await deployments.get_deployment(session, user, old.deployment_id, for_update=True)
    if not deployment.programs:
        raise BadRequest(f"Deployment '{deployment.id}' has no programs left to run.")
    job = QuantumJob(
        name=old.name,
        executed_by=user.id,
        executed_on_id=device.id,
        deployment_id=deployment.id,
        state=JobState.READY.value,
        progress=0,
        shots=old.shots,
        type=old.type,
        error_mitigation=old.error_mitigation,
        cut_to_width=old.cut_to_width,
        created_at=utc_now(),
        observables=old.observables,
        provider_token_sealed=_sealed(token, device, secret),
    )
    return await _record(session, job)


async def run_job(session: AsyncSession, user: User, job_id: int) -> Submission:
    """`run`: a READY job is already queued (queued again if its engine record is gone);
    a job that ran is 400 (use `rerun`)."""
    job = await get_job(session, user, job_id)
    if job.state != JobState.READY.value:
        raise BadRequest(f"Job '{job_id}' is {job.state}; use the command 'rerun' to run it again.")
    engine_job = await queue.find(session, kind=QUANTUM_JOB_KIND, ref_id=job.id)
    if engine_job is None:
        engine_job = await queue.enqueue(session, kind=QUANTUM_JOB_KIND, ref_id=job.id)
    return Submission(job, engine_job.id)


async def get_result(
    session: AsyncSession, user: User, job_id: int, result_id: int
) -> tuple[QuantumJob, QuantumResult]:
    job = await get_job(session, user, job_id)
    result = await session.scalar(
        select(QuantumResult).where(QuantumResult.job_id == job.id, QuantumResult.id == result_id)
    )
    if result is None:
        raise NotFound(f"Result with id '{result_id}' of job '{job_id}' was not found.")
    return job, result


async def queue_state(
    session: AsyncSession, user: User
) -> tuple[QuantumJob | None, Sequence[QuantumJob]]:
    """The user's first running job (the one that started first) and their jobs waiting
    in the engine's queue, in the order the engine claims them."""
    joined = (
        select(QuantumJob)
        .join(EngineJob, (EngineJob.ref_id == QuantumJob.id) & (EngineJob.kind == QUANTUM_JOB_KIND))
        .where(QuantumJob.executed_by == user.id, EngineJob.stop_requested.is_(False))
    )
    running = await session.scalar(
        joined.where(EngineJob.status == "running", QuantumJob.state == JobState.RUNNING.value)
        .order_by(EngineJob.started_at, EngineJob.id)
        .limit(1)
    )
    queued = await session.scalars(
        joined.where(
            EngineJob.status == "queued", QuantumJob.state == JobState.READY.value
        ).order_by(EngineJob.id)
    )
    return running, queued.all()
