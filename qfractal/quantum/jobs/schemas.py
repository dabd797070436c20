"""Bodies of `/quantum/jobs/` (qunicorn v1.0.4 shape, with the 2023 aliases' bodies)."""

import math
from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, Field, StringConstraints

from qfractal.auth.schemas import no_nul
from qfractal.ids import DbId
from qfractal.quantum.devices.schemas import DeviceRead, Token
from qfractal.quantum.enums import ErrorMitigation, JobState, JobType, ProviderName
from qfractal.quantum.links import Links
from qfractal.quantum.models import Device, QuantumJob, QuantumResult
from qfractal.quantum.results.estimator import Observable
from qfractal.quantum.results.types import ResultType
from qfractal.quantum.schemas import CamelModel, CamelOut, SimpleJob
from qfractal.quantum.transpilers.errors import InvalidProgram

MAX_SHOTS = 100_000
"""Most shots of one job (IBM's backends take at most 100 000 per circuit)."""
MAX_OBSERVABLES = 100
MAX_TERMS = 1000
MAX_PAULI_LENGTH = 64

Name = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=255),
    AfterValidator(no_nul),
]


def _upper(value: Any) -> Any:
    return value.strip().upper() if isinstance(value, str) else value


def _lower(value: Any) -> Any:
    return value.strip().lower() if isinstance(value, str) else value


def _observable(value: Any) -> list[list[Any]]:
    """An observable in any accepted form, as `[[label, coefficient], ...]`."""
    if isinstance(value, list | dict) and len(value) > MAX_TERMS:
        raise ValueError(f"at most {MAX_TERMS} Pauli terms per observable")
    if isinstance(value, bool | int | float) or value is None:
        raise ValueError("must be a Pauli label, a {label: coefficient} object or a list of terms")
    try:
        observable = Observable.parse(value)
    except (InvalidProgram, TypeError, ValueError) as exc:
        raise ValueError(str(exc.detail if isinstance(exc, InvalidProgram) else exc)) from None
    if observable.num_qubits > MAX_PAULI_LENGTH:
        raise ValueError(f"Pauli labels have at most {MAX_PAULI_LENGTH} letters")
    if not all(math.isfinite(term.coefficient) for term in observable.terms):
        raise ValueError("coefficients must be finite numbers")
    return observable.as_list()


ObservableSpec = Annotated[
    Any,
    AfterValidator(_observable),
    Field(
        description='A Pauli label (`"ZZ"`), a `{label: coefficient}` object or a list of '
        "`[label, coefficient]` pairs; the rightmost letter acts on qubit 0.",
        examples=["ZZ", {"ZZ": 1.0, "XX": 0.5}, [["ZI", 0.5], ["IZ", 0.5]]],
    ),
]


class JobRequest(CamelModel):
    """A job: run the programs of one of the user's deployments on a device
    (qunicorn's JobRequestDto).

    The device is found by `deviceName` among the devices of `providerName`. `shots` is
    required. `token` is the user's provider token, needed by cloud devices only; it is
    kept sealed until the job ends and never returned. ESTIMATOR jobs give their
    `observables`.
    """

    name: Name
    provider_name: Annotated[ProviderName, BeforeValidator(_upper)]
    device_name: Name
    shots: Annotated[int, Field(ge=1, le=MAX_SHOTS, description="Shots per program.")]
    token: Token | None = None
    type: Annotated[JobType, BeforeValidator(_upper)] = JobType.RUNNER
    deployment_id: DbId | None = None
    error_mitigation: Annotated[ErrorMitigation, BeforeValidator(_lower)] = ErrorMitigation.NONE
    cut_to_width: Annotated[int, Field(ge=1, le=1000)] | None = None
    observables: Annotated[list[ObservableSpec], Field(max_length=MAX_OBSERVABLES)] | None = None


class JobCommand(CamelModel):
    """`POST /quantum/jobs/{id}/`: `run`, `rerun` (a new job, with `token`) or `cancel`."""

    command: Annotated[Literal["run", "rerun", "cancel"], BeforeValidator(_lower)]
    token: Token | None = None


class TokenBody(CamelModel):
    """The 2023 bodies of `rerun` and `cancel`: `{token}` (optional here)."""

    token: Token | None = None


class RunBody(TokenBody):
    """The 2023 body of `run` (JobExecutionDto); the Python file fields are ignored."""

    python_file_options: dict[str, Any] | None = None
    python_file_inputs: dict[str, Any] | None = None


class ResultRead(CamelOut):
    """One result of one program (qunicorn's ResultDto): COUNTS, PROBABILITIES,
    VALUE_AND_VARIANCE or ERROR."""

    id: int
    result_type: ResultType
    data: dict[str, Any]
    metadata: dict[str, Any]
    self_link: str = Field(alias="self")
    job: str
    program: str | None

    @classmethod
    def of(cls, result: QuantumResult, links: Links, *, deployment_id: int | None) -> "ResultRead":
        program = None
        if result.program_id is not None and deployment_id is not None:
            program = links.program(deployment_id, result.program_id)
        return cls(
            id=result.id,
            result_type=ResultType(result.result_type),
            data=result.data,
            metadata=result.meta,
            self_link=links.result(result.job_id, result.id),
            job=links.job(result.job_id),
            program=program,
        )


class JobRead(CamelOut):
    """A job with its device and results (qunicorn's JobResponseDto). `executedBy` is
    the owner's user id; `progress` the percentage of programs that have a result."""

    id: int
    name: str
    executed_by: str
    executed_on: DeviceRead | None
    progress: int
    state: JobState
    type: JobType
    shots: int
    started_at: datetime | None
    finished_at: datetime | None
    results: list[ResultRead]
    self_link: str = Field(alias="self")
    deplyoment: str | None

    @classmethod
    def of(
        cls,
        job: QuantumJob,
        links: Links,
        *,
        device: Device | None,
        results: Sequence[QuantumResult],
    ) -> "JobRead":
        return cls(
            id=job.id,
            name=job.name,
            executed_by=str(job.executed_by),
            executed_on=None if device is None else DeviceRead.of(device, links),
            progress=job.progress,
            state=JobState(job.state),
            type=JobType(job.type),
            shots=job.shots,
            started_at=job.started_at,
            finished_at=job.finished_at,
            results=[
                ResultRead.of(result, links, deployment_id=job.deployment_id) for result in results
            ],
            self_link=links.job(job.id),
            deplyoment=None if job.deployment_id is None else links.deployment(job.deployment_id),
        )


class QueuedJobs(CamelOut):
    """The user's jobs in the engine's queue: the first of those running, and those
    waiting, in the order the engine takes them."""

    running_job: SimpleJob | None
    queued_jobs: list[SimpleJob]
