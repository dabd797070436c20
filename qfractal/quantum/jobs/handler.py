"""The engine handler of kind `quantum_job`: run a job's programs on its device.

READY → RUNNING (`startedAt`) → FINISHED, ERROR or CANCELED (`finishedAt` always set).
Each program, in deployment order:

1. a `*_PYTHON` program runs in the sandbox first, which hands back its circuit
   (`python_programs`); its source never runs in this process;
2. in a warm worker process of the pool (`workers`), the program is converted along
   the fewest-step route to the simulator's (or cloud pilot's) language, starting from
   the forms earlier runs stored (`forms_store`; a `*_PYTHON` program's stored circuit
   spares the sandbox), and simulated, or sent to the provider's cloud with the
   request's token or the server's credentials (`execution`, `pilots`);
3. its results are saved at once with the forms the run made, and `progress` becomes
   the percentage of programs with results.

A program that fails gets an ERROR result with a message (tracebacks of unexpected
errors go to the server log only) and the job ends ERROR; the other programs still run.
A stop asked by the user (cancel) kills the running simulation (or the wait for a
cloud provider, whose own job is not cancelled); the job is CANCELED. A job cut short by
its worker's end is resumable: it runs again later, skipping the programs that have
results. The provider token is decrypted only here and cleared when the job ends.
"""

import asyncio
import logging
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from qfractal.auth.tokens import load_secret
from qfractal.compute.engine import queue
from qfractal.compute.engine.handlers import RunContext
from qfractal.compute.engine.worker import STOPPED_BY_USER
from qfractal.db.types import utc_now
from qfractal.errors import QfractalError
from qfractal.quantum.enums import JobState, JobType, ProviderName
from qfractal.quantum.jobs.execution import ProgramTask, error_result
from qfractal.quantum.jobs.forms_store import StoredForms, keep_forms, read_forms
from qfractal.quantum.jobs.python_programs import ProgramFailed, collect_circuit
from qfractal.quantum.jobs.workers import SimulationFailed, SimulationStopped, simulate
from qfractal.quantum.models import (
    QUANTUM_JOB_KIND,
    Device,
    Provider,
    QuantumJob,
    QuantumProgram,
    QuantumResult,
)
from qfractal.quantum.pilots.cloud import cloud_access
from qfractal.quantum.results.simulators import LocalSimulator
from qfractal.quantum.results.types import ResultData, ResultType
from qfractal.quantum.secrets import UnreadableToken, open_token
from qfractal.quantum.transpilers import Language

logger = logging.getLogger(__name__)

T = TypeVar("T")

LOCAL_SIMULATORS: dict[tuple[str, str], LocalSimulator] = {
    (ProviderName.IBM.value, "aer_simulator"): LocalSimulator.AER,
    (ProviderName.AWS.value, "local_simulator"): LocalSimulator.BRAKET,
}
"""Local devices and their simulators; RIGETTI's `Nq-qvm` devices run on pyQuil's."""

_ACTIVE = (JobState.READY.value, JobState.RUNNING.value)


def local_simulator(provider: str, device: Device) -> LocalSimulator | None:
    """The simulator that runs a local device here; None for cloud devices."""
    if not device.is_local:
        return None
    if provider == ProviderName.RIGETTI.value:
        return LocalSimulator.PYQUIL
    return LOCAL_SIMULATORS.get((provider, device.name))


@dataclass(frozen=True)
class _Program:
    id: int
    language: Language
    source: str
    stored: StoredForms
    """Its forms made by earlier runs."""


@dataclass(frozen=True)
class _Plan:
    """What a run needs, read once at its start."""

    job_id: int
    job_type: JobType
    shots: int
    observables: tuple[Any, ...]
    provider: str
    device_name: str
    max_qubits: int
    simulator: LocalSimulator | None
    token_sealed: str | None
    programs: tuple[_Program, ...]
    done: frozenset[int] = field(default_factory=frozenset)
    """Programs that already have results (a resumed run skips them)."""


async def _until_stopped(work: Awaitable[T], stop: asyncio.Event) -> T:
    """`work`, cancelled (and SimulationStopped raised) once `stop` is set."""
    task = asyncio.ensure_future(work)
    stopped = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({task, stopped}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopped.cancel()
        if not task.done():
            task.cancel()
            await asyncio.wait({task})
    if task.cancelled():
        raise SimulationStopped("stopped")
    return task.result()


class QuantumJobHandler:
    """Runs `quantum_job` rows for the job engine."""

    kind = QUANTUM_JOB_KIND

    async def run(self, ref_id: int, context: RunContext) -> None:
        plan = await self._start(ref_id, context)
        if plan is None:
            return
        logger.info(
            "quantum job %d: %d program(s) on %s", ref_id, len(plan.programs), plan.device_name
        )
        done = len(plan.done)
        try:
            for program in plan.programs:
                if program.id in plan.done:
                    continue
                if context.stop.is_set():
                    break
                results, made = await self._results(plan, program, context)
                done += 1
                if not await self._save(context, plan, program, results, made, done=done):
                    return  # canceled or deleted meanwhile: nothing more to write
        except SimulationStopped:
            pass
        except Exception:
            logger.exception("quantum job %d failed", ref_id)
            await self._fail(ref_id, context, "the job failed unexpectedly (see the server log)")
            raise
        await self._end(plan, context)

    async def _fail(self, ref_id: int, context: RunContext, message: str) -> None:
        async with context.sessionmaker() as session, session.begin():
            if await self._set_end(session, ref_id, JobState.ERROR, error=message):
                session.add(_row(ref_id, None, error_result(message)))

    async def lost(self, ref_id: int, reason: str, context: RunContext) -> None:
        """The job cannot run to its end: CANCELED if the user stopped it, else ERROR
        with an ERROR result that says why (only if it has not ended yet)."""
        canceled = reason.startswith(STOPPED_BY_USER)
        state = JobState.CANCELED if canceled else JobState.ERROR
        async with context.sessionmaker() as session, session.begin():
            ended = await self._set_end(session, ref_id, state, error=reason)
            if ended and not canceled:
                session.add(
                    _row(ref_id, None, error_result(f"the job could not run to its end: {reason}"))
                )

    async def resumable(self, ref_id: int, context: RunContext) -> bool:
        """A job whose worker ended runs again later, from the programs without results."""
        async with context.sessionmaker() as session:
            state = await session.scalar(select(QuantumJob.state).where(QuantumJob.id == ref_id))
        return state in _ACTIVE

    async def _start(self, ref_id: int, context: RunContext) -> _Plan | None:
        """READY (or RUNNING, when resumed) → RUNNING, and what the run needs; None if
        the job is not to run (canceled, deleted, or it cannot run: then it is ERROR)."""
        async with context.sessionmaker() as session, session.begin():
            started = await session.execute(
                update(QuantumJob)
                .where(QuantumJob.id == ref_id, QuantumJob.state.in_(_ACTIVE))
                .values(
                    state=JobState.RUNNING.value,
                    started_at=func.coalesce(QuantumJob.started_at, utc_now()),
                )
                .returning(QuantumJob.id)
                .execution_options(synchronize_session=False)
            )
            if started.first() is None:
                logger.info("quantum job %d is not READY any more: not run", ref_id)
                return None
            job = await session.get_one(QuantumJob, ref_id)
            plan = await _plan(session, job)
            if plan is None or not plan.programs:
                message = "the job's device or deployment no longer exists"
                if plan is not None:
                    message = "the job's deployment has no programs"
                session.add(_row(ref_id, None, error_result(message)))
                await self._set_end(session, ref_id, JobState.ERROR, error=message)
                return None
            return plan

    async def _results(
        self, plan: _Plan, program: _Program, context: RunContext
    ) -> tuple[list[ResultData], StoredForms]:
        """The results of one program (ERROR results for its failures), and the forms
        the run made that the program had not stored yet.

        Raises:
            SimulationStopped: `context.stop` was set; the simulation was killed.
        """
        made = StoredForms()
        cloud = None
        if plan.simulator is None:
            token = self._provider_token(plan, context)
            cloud = cloud_access(plan.provider, token=token, settings=context.settings)
        try:
            collected = program.stored.collected
            if program.language.is_python and collected is None:
                collected = await _until_stopped(
                    collect_circuit(program.language, program.source, settings=context.settings),
                    context.stop,
                )
                made.collected = collected
            task = ProgramTask(
                language=program.language,
                source=program.source,
                simulator=plan.simulator,
                device_name=plan.device_name,
                max_qubits=plan.max_qubits,
                job_type=plan.job_type,
                shots=plan.shots,
                observables=plan.observables,
                cached_forms={} if program.language.is_python else program.stored.text,
                collected=collected,
                cloud=cloud,
            )
            outcome = await simulate(task, settings=context.settings, stop=context.stop)
        except ProgramFailed as exc:
            extra = {"traceback": exc.traceback} if exc.traceback else {}
            return [error_result(str(exc.detail), **extra)], made
        except QfractalError as exc:
            return [error_result(str(exc.detail))], made
        except SimulationFailed as exc:
            logger.error("quantum job %d, program %d: %s", plan.job_id, program.id, exc)
            return [error_result(exc.user_message)], made
        if outcome.failure is not None:
            logger.error(
                "quantum job %d, program %d failed:\n%s", plan.job_id, program.id, outcome.failure
            )
        if not program.language.is_python:
            made.text = {
                language: form
                for language, form in outcome.text_forms.items()
                if language not in program.stored.text
            }
        return outcome.results, made

    def _provider_token(self, plan: _Plan, context: RunContext) -> str | None:
        """The token of the job request, decrypted (for the cloud pilots)."""
        if plan.token_sealed is None:
            return None
        try:
            return open_token(load_secret(context.settings), plan.token_sealed)
        except UnreadableToken:
            logger.warning("quantum job %d: the provider token cannot be decrypted", plan.job_id)
            return None

    async def _save(
        self,
        context: RunContext,
        plan: _Plan,
        program: _Program,
        results: Sequence[ResultData],
        made: StoredForms,
        *,
        done: int,
    ) -> bool:
        """Save a program's results, the forms the run made of it, and the progress;
        False if the job is not RUNNING any more (canceled or deleted): then nothing is
        saved."""
        progress = done * 100 // len(plan.programs)
        async with context.sessionmaker() as session, session.begin():
            saved = await session.execute(
                update(QuantumJob)
                .where(QuantumJob.id == plan.job_id, QuantumJob.state == JobState.RUNNING.value)
                .values(progress=progress)
                .returning(QuantumJob.id)
                .execution_options(synchronize_session=False)
            )
            if saved.first() is None:
                return False
            session.add_all(_row(plan.job_id, program.id, result) for result in results)
            if made:
                await keep_forms(session, program.id, program.language, made)
        return True

    async def _end(self, plan: _Plan, context: RunContext) -> None:
        if context.stop.is_set():
            if await _stopped_by_user(context, plan.job_id):
                async with context.sessionmaker() as session, session.begin():
                    await self._set_end(session, plan.job_id, JobState.CANCELED, error=None)
            return  # else the worker shuts down or lost the job: the engine decides
        async with context.sessionmaker() as session, session.begin():
            first_error = await session.scalar(
                select(QuantumResult.data)
                .where(
                    QuantumResult.job_id == plan.job_id,
                    QuantumResult.result_type == ResultType.ERROR.value,
                )
                .order_by(QuantumResult.id)
                .limit(1)
            )
            state = JobState.FINISHED if first_error is None else JobState.ERROR
            message = None if first_error is None else str(first_error.get("exception_message"))
            await self._set_end(session, plan.job_id, state, error=message, progress=100)
        logger.info("quantum job %d ended %s", plan.job_id, state.value)

    @staticmethod
    async def _set_end(
        session: AsyncSession,
        job_id: int,
        state: JobState,
        *,
        error: str | None,
        progress: int | None = None,
    ) -> bool:
        """End a job that is READY or RUNNING; False if it had ended already."""
        values: dict[str, Any] = {
            "state": state.value,
            "finished_at": utc_now(),
            "provider_token_sealed": None,
            "error_message": error,
        }
        if progress is not None:
            values["progress"] = progress
        result = await session.execute(
            update(QuantumJob)
            .where(QuantumJob.id == job_id, QuantumJob.state.in_(_ACTIVE))
            .values(**values)
            .returning(QuantumJob.id)
            .execution_options(synchronize_session=False)
        )
        return result.first() is not None


async def _stopped_by_user(context: RunContext, job_id: int) -> bool:
    async with context.sessionmaker() as session:
        engine_job = await queue.find(session, kind=QUANTUM_JOB_KIND, ref_id=job_id)
    return engine_job is not None and engine_job.stop_requested


def _row(job_id: int, program_id: int | None, result: ResultData) -> QuantumResult:
    return QuantumResult(
        job_id=job_id,
        program_id=program_id,
        result_type=result.result_type.value,
        data=result.data,
        meta=result.metadata,
        created_at=utc_now(),
    )


async def _plan(session: AsyncSession, job: QuantumJob) -> _Plan | None:
    if job.executed_on_id is None or job.deployment_id is None:
        return None
    device = await session.get(Device, job.executed_on_id)
    if device is None:
        return None
    provider = await session.get_one(Provider, device.provider_id)
    programs = [
        (program, Language(program.assembler_language))
        for program in await session.scalars(
            select(QuantumProgram)
            .where(QuantumProgram.deployment_id == job.deployment_id)
            .order_by(QuantumProgram.id)
        )
    ]
    stored = await read_forms(session, [(program.id, language) for program, language in programs])
    done = await session.scalars(
        select(QuantumResult.program_id).where(
            QuantumResult.job_id == job.id, QuantumResult.program_id.is_not(None)
        )
    )
    return _Plan(
        job_id=job.id,
        job_type=JobType(job.type),
        shots=job.shots,
        observables=tuple(job.observables or ()),
        provider=provider.name,
        device_name=device.name,
        max_qubits=device.num_qubits,
        simulator=local_simulator(provider.name, device),
        token_sealed=job.provider_token_sealed,
        programs=tuple(
            _Program(program.id, language, program.quantum_circuit, stored[program.id])
            for program, language in programs
        ),
        done=frozenset(done),
    )
