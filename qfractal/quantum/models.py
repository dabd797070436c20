"""Tables of the quantum face: providers and devices, deployments of programs, jobs, results.

Columns follow qunicorn v1.0.4's model, with these changes:

- owners are qfractal users (`deployed_by`, `executed_by`: foreign keys, not JWT `sub`
  strings), and there are no public (ownerless) objects;
- enums are stored as their values and checked by the database;
- a job's engine work is the `engine_job` row with `kind = QUANTUM_JOB_KIND` and
  `ref_id = quantum_job.id` (no `celery_id` column);
- a provider token is never stored in plain text: `provider_token_sealed` holds it
  encrypted (`qfractal.quantum.secrets`) while the job may still need it, and is cleared
  when the job ends; it is never returned by the API;
- ids of deployments, programs, jobs and results are never reused on SQLite either
  (AUTOINCREMENT), so a deleted object's URL never names a new one.
"""

from datetime import datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qfractal.db.base import Base
from qfractal.db.types import JSONType, utc_now
from qfractal.quantum.enums import ErrorMitigation, JobState, JobType, ProviderName
from qfractal.quantum.results.types import ResultType
from qfractal.quantum.transpilers.languages import Language

QUANTUM_JOB_KIND = "quantum_job"
"""The `engine_job.kind` of quantum jobs (`engine_job.ref_id` is the quantum job's id)."""

NAME_LENGTH = 255


def _one_of(column: str, values: type[Any]) -> str:
    return f"{column} IN ({', '.join(repr(member.value) for member in values)})"


class Provider(Base):
    """A quantum computing provider: IBM, AWS, RIGETTI or QMWARE (one row each)."""

    __tablename__ = "quantum_provider"
    __table_args__ = (CheckConstraint(_one_of("name", ProviderName), name="name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(32), unique=True)
    with_token: Mapped[bool] = mapped_column(default=False)
    """Whether the provider's cloud devices need a token from the user."""

    languages: Mapped[list["ProviderAssemblerLanguage"]] = relationship(
        lazy="raise", order_by="ProviderAssemblerLanguage.id", passive_deletes=True
    )


class ProviderAssemblerLanguage(Base):
    """A language that a provider's pilot takes without conversion."""

    __tablename__ = "quantum_provider_language"
    __table_args__ = (
        CheckConstraint(_one_of("language", Language), name="language"),
        UniqueConstraint("provider_id", "language", name="uq_quantum_provider_language"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(
        ForeignKey("quantum_provider.id", ondelete="CASCADE"), index=True
    )
    language: Mapped[str] = mapped_column(String(32))


class Device(Base):
    """A simulator or QPU of a provider. `num_qubits = -1` means no fixed limit."""

    __tablename__ = "quantum_device"
    __table_args__ = (
        CheckConstraint("num_qubits >= -1", name="num_qubits"),
        UniqueConstraint("provider_id", "name", name="uq_quantum_device_provider_name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(
        ForeignKey("quantum_provider.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    num_qubits: Mapped[int] = mapped_column(default=-1)
    is_simulator: Mapped[bool] = mapped_column(default=False)
    is_local: Mapped[bool] = mapped_column(default=False)
    """Runs in qfractal's own processes (Aer, Braket's and pyQuil's local simulators)."""

    provider: Mapped[Provider] = relationship(lazy="raise")


class Deployment(Base):
    """A named list of quantum programs, owned by the user who deployed it."""

    __tablename__ = "quantum_deployment"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    deployed_by: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    deployed_at: Mapped[datetime] = mapped_column(default=utc_now)

    programs: Mapped[list["QuantumProgram"]] = relationship(
        lazy="raise",
        order_by="QuantumProgram.id",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )


class QuantumProgram(Base):
    """One program of a deployment, in the language it was deployed in (stored as text)."""

    __tablename__ = "quantum_program"
    __table_args__ = (
        CheckConstraint(_one_of("assembler_language", Language), name="assembler_language"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    deployment_id: Mapped[int] = mapped_column(
        ForeignKey("quantum_deployment.id", ondelete="CASCADE"), index=True
    )
    quantum_circuit: Mapped[str] = mapped_column(Text)
    assembler_language: Mapped[str] = mapped_column(String(32))
    """A `Language` value (`QISKIT-PYTHON`); the API shows its name (`QISKIT_PYTHON`)."""
    python_file_path: Mapped[str | None] = mapped_column(String(500))
    python_file_metadata: Mapped[str | None] = mapped_column(String(500))
    python_file_options: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    python_file_inputs: Mapped[dict[str, Any] | None] = mapped_column(JSONType)


class QuantumProgramForm(Base):
    """A form of a program made by an earlier run (qunicorn's TranslatedProgram): a text
    form on a route to a pilot's language or, under the program's own language, the
    circuit the sandbox collected from a `*_PYTHON` program (`data` when it is bytes).
    See `qfractal.quantum.jobs.forms_store`."""

    __tablename__ = "quantum_program_form"
    __table_args__ = (
        CheckConstraint(_one_of("language", Language), name="language"),
        UniqueConstraint("program_id", "language", name="uq_quantum_program_form_language"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("quantum_program.id", ondelete="CASCADE"))
    language: Mapped[str] = mapped_column(String(32))
    converters: Mapped[str] = mapped_column(String(64))
    """`forms_store.converters_stamp()` of the server that made the form."""
    text: Mapped[str | None] = mapped_column(Text)
    data: Mapped[bytes | None] = mapped_column(LargeBinary)
    steps: Mapped[int] = mapped_column(default=0)
    """Conversion steps from the program's source."""


class QuantumJob(Base):
    """A run of a deployment's programs on a device (qunicorn's Job)."""

    __tablename__ = "quantum_job"
    __table_args__ = (
        CheckConstraint(_one_of("state", JobState), name="state"),
        CheckConstraint(_one_of("type", JobType), name="type"),
        CheckConstraint(_one_of("error_mitigation", ErrorMitigation), name="error_mitigation"),
        CheckConstraint("progress BETWEEN 0 AND 100", name="progress"),
        CheckConstraint("shots >= 1", name="shots"),
        CheckConstraint("cut_to_width IS NULL OR cut_to_width >= 1", name="cut_to_width"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    executed_by: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    executed_on_id: Mapped[int | None] = mapped_column(
        ForeignKey("quantum_device.id", ondelete="SET NULL"), index=True
    )
    deployment_id: Mapped[int | None] = mapped_column(
        ForeignKey("quantum_deployment.id", ondelete="SET NULL"), index=True
    )
    """Set while the deployment exists; a deployment with jobs cannot be deleted."""
    state: Mapped[str] = mapped_column(String(16), default=JobState.READY.value, index=True)
    progress: Mapped[int] = mapped_column(default=0)
    """Percent of the programs that have a result."""
    shots: Mapped[int]
    type: Mapped[str] = mapped_column(String(16), default=JobType.RUNNER.value)
    error_mitigation: Mapped[str] = mapped_column(String(64), default=ErrorMitigation.NONE.value)
    cut_to_width: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    started_at: Mapped[datetime | None]
    """When a worker began running it (READY → RUNNING)."""
    finished_at: Mapped[datetime | None]
    """When it ended FINISHED, ERROR or CANCELED."""
    error_message: Mapped[str | None] = mapped_column(Text)
    provider_specific_id: Mapped[str | None] = mapped_column(String(NAME_LENGTH))
    """The provider's id of the cloud job (to poll or cancel it)."""
    provider_token_sealed: Mapped[str | None] = mapped_column(Text)
    """The user's provider token, encrypted; cleared when the job ends. Never returned."""
    observables: Mapped[list[Any] | None] = mapped_column(JSONType)
    """ESTIMATOR jobs: the observables to estimate, each a list of `[pauli label,
    coefficient]` terms (`[[["ZZ", 1.0]], [["XX", 0.5], ["YY", 0.5]]]`); None otherwise."""


class QuantumResult(Base):
    """One result of one program of a job: COUNTS, PROBABILITIES, ..., or ERROR."""

    __tablename__ = "quantum_result"
    __table_args__ = (
        CheckConstraint(_one_of("result_type", ResultType), name="result_type"),
        Index("ix_quantum_result_job_id_id", "job_id", "id"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("quantum_job.id", ondelete="CASCADE"))
    program_id: Mapped[int | None] = mapped_column(
        ForeignKey("quantum_program.id", ondelete="SET NULL"), index=True
    )
    result_type: Mapped[str] = mapped_column(String(32))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    meta: Mapped[dict[str, Any]] = mapped_column(default=dict)
    """The wire's `metadata` (a reserved attribute name in SQLAlchemy models)."""
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
