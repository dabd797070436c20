"""Deployments and their programs and jobs, seen only by their owner.

Another user's deployment is not found (404), exactly like a missing one; deleting it
is a no-op (204), like deleting a deployment that is already gone.
"""

from collections.abc import Sequence

from sqlalchemy import Select, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from qfractal.auth.models import User
from qfractal.compute.models import EngineJob
from qfractal.db.types import utc_now
from qfractal.errors import BadRequest, NotFound
from qfractal.quantum.deployments.schemas import DeploymentCreate, ProgramCreate
from qfractal.quantum.enums import ACTIVE_JOB_STATES
from qfractal.quantum.models import QUANTUM_JOB_KIND, Deployment, QuantumJob, QuantumProgram
from qfractal.quantum.paging import Page


def like_pattern(pattern: str) -> str:
    """A user's name pattern as a SQL LIKE pattern with escape character `\\`.

    `%` matches any text; `\\` makes the next character literal (`\\%` is a percent
    sign, `\\\\` a backslash); `_` and every other character match themselves.
    """
    out: list[str] = []
    chars = iter(pattern)
    for char in chars:
        if char == "\\":
            literal = next(chars, "\\")
            out.append("\\" + literal if literal in "%_\\" else literal)
        elif char == "_":
            out.append("\\_")
        else:
            out.append(char)
    return "".join(out)


def _owned(user: User) -> Select[tuple[Deployment]]:
    return (
        select(Deployment)
        .where(Deployment.deployed_by == user.id)
        .options(selectinload(Deployment.programs))
    )


async def list_deployments(
    session: AsyncSession, user: User, *, name: str | None, page: Page
) -> Sequence[Deployment]:
    """The user's deployments by id, one page; `name` is a pattern (see `like_pattern`),
    matched without regard to case on every database."""
    statement = _owned(user)
    if name is not None:
        statement = statement.where(Deployment.name.ilike(like_pattern(name), escape="\\"))
    statement = statement.order_by(Deployment.id).offset(page.offset).limit(page.item_count)
    return page.check((await session.scalars(statement)).all())


async def find_deployment(
    session: AsyncSession, user: User, deployment_id: int, *, for_update: bool = False
) -> Deployment | None:
    statement = _owned(user).where(Deployment.id == deployment_id)
    if for_update:
        statement = statement.with_for_update()
    return await session.scalar(statement)


async def get_deployment(
    session: AsyncSession, user: User, deployment_id: int, *, for_update: bool = False
) -> Deployment:
    """One of the user's deployments, with its programs; 404 otherwise.

    `for_update` locks the row (PostgreSQL) against jobs being added meanwhile.
    """
    deployment = await find_deployment(session, user, deployment_id, for_update=for_update)
    if deployment is None:
        raise NotFound(f"Deployment with id '{deployment_id}' was not found.")
    return deployment


def _programs(data: Sequence[ProgramCreate]) -> list[QuantumProgram]:
    return [
        QuantumProgram(
            quantum_circuit=program.quantum_circuit,
            assembler_language=program.assembler_language.value,
            python_file_path=program.python_file_path,
            python_file_metadata=program.python_file_metadata,
        )
        for program in data
    ]


async def create_deployment(
    session: AsyncSession, user: User, *, data: DeploymentCreate
) -> Deployment:
    deployment = Deployment(
        name=data.name,
        deployed_by=user.id,
        deployed_at=utc_now(),
        programs=_programs(data.programs or []),
    )
    session.add(deployment)
    await session.flush()
    return deployment


async def count_jobs(session: AsyncSession, deployment_id: int) -> int:
    statement = select(func.count()).where(QuantumJob.deployment_id == deployment_id)
    return await session.scalar(statement) or 0


async def update_deployment(
    session: AsyncSession, user: User, deployment_id: int, *, data: DeploymentCreate
) -> Deployment:
    """Rename the deployment and, if `programs` is given, replace its programs (400 while
    it has jobs: their results refer to the programs)."""
    deployment = await get_deployment(session, user, deployment_id, for_update=True)
    deployment.name = data.name
    deployment.deployed_at = utc_now()
    if data.programs is not None:
        jobs = await count_jobs(session, deployment.id)
        if jobs:
            raise BadRequest(
                f"Deployment '{deployment.id}' has {jobs} job(s): its programs cannot be "
                "replaced. Delete the jobs first, or change only the name."
            )
        deployment.programs = _programs(data.programs)
    await session.flush()
    return deployment


async def delete_deployment(session: AsyncSession, user: User, deployment_id: int) -> None:
    """Delete the deployment with its programs; nothing if there is no such deployment
    among the user's; 400 while it has jobs."""
    deployment = await find_deployment(session, user, deployment_id, for_update=True)
    if deployment is None:
        return
    jobs = await count_jobs(session, deployment.id)
    if jobs:
        raise BadRequest(
            f"Deployment '{deployment.id}' is in use by {jobs} job(s); delete them first."
        )
    await session.delete(deployment)
    await session.flush()


async def list_programs(
    session: AsyncSession, user: User, deployment_id: int
) -> Sequence[QuantumProgram]:
    return (await get_deployment(session, user, deployment_id)).programs


async def get_program(
    session: AsyncSession, user: User, deployment_id: int, program_id: int
) -> QuantumProgram:
    for program in await list_programs(session, user, deployment_id):
        if program.id == program_id:
            return program
    raise NotFound(f"Program with id '{program_id}' of deployment '{deployment_id}' was not found.")


def _jobs_of(user: User, deployment_id: int) -> Select[tuple[QuantumJob]]:
    return (
        select(QuantumJob)
        .where(QuantumJob.deployment_id == deployment_id, QuantumJob.executed_by == user.id)
        .order_by(QuantumJob.id)
    )


async def list_deployment_jobs(
    session: AsyncSession, user: User, deployment_id: int
) -> Sequence[QuantumJob]:
    await get_deployment(session, user, deployment_id)
    return (await session.scalars(_jobs_of(user, deployment_id))).all()


async def delete_deployment_jobs(
    session: AsyncSession, user: User, deployment_id: int
) -> Sequence[QuantumJob]:
    """Delete the deployment's jobs with their results and return them; 400 (nothing
    deleted) while one of them may still run (READY or RUNNING: cancel it first)."""
    await get_deployment(session, user, deployment_id, for_update=True)
    jobs = (await session.scalars(_jobs_of(user, deployment_id))).all()
    active = [job.id for job in jobs if job.state in ACTIVE_JOB_STATES]
    if active:
        raise BadRequest(
            f"Job(s) {', '.join(map(str, active))} of deployment '{deployment_id}' may still "
            "run; cancel them first."
        )
    await delete_jobs(session, [job.id for job in jobs])
    return jobs


async def delete_jobs(session: AsyncSession, job_ids: Sequence[int]) -> None:
    """Delete quantum jobs, their results and their finished engine records."""
    if not job_ids:
        return
    await session.execute(
        delete(EngineJob).where(EngineJob.kind == QUANTUM_JOB_KIND, EngineJob.ref_id.in_(job_ids))
    )
    await session.execute(delete(QuantumJob).where(QuantumJob.id.in_(job_ids)))
    await session.flush()
