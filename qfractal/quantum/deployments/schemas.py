"""Bodies of `/quantum/deployments/` (qunicorn v1.0.4 shape)."""

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints

from qfractal.auth.schemas import no_nul
from qfractal.quantum.links import Links
from qfractal.quantum.models import Deployment, QuantumProgram
from qfractal.quantum.schemas import MAX_TEXT, CamelModel, CamelOut, LanguageName
from qfractal.quantum.transpilers.languages import Language

MAX_PROGRAMS = 1000

DeploymentName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=255),
    AfterValidator(no_nul),
]
Circuit = Annotated[
    str, StringConstraints(min_length=1, max_length=MAX_TEXT), AfterValidator(no_nul)
]
FileName = Annotated[str, Field(max_length=500), AfterValidator(no_nul)]


def _not_blank(text: str) -> str:
    if not text.strip():
        raise ValueError("must not be blank")
    return text


class ProgramCreate(CamelModel):
    """One program: its text and language (qunicorn's QuantumProgramRequestDto).

    The language must be known; the text is stored as given and parsed when a job runs it
    (a program that does not parse gives that job an ERROR result). Python source
    (`*_PYTHON`) is never run here, only by jobs, in a sandbox.
    """

    quantum_circuit: Annotated[Circuit, AfterValidator(_not_blank)]
    assembler_language: LanguageName
    python_file_path: FileName | None = None
    python_file_metadata: FileName | None = None


class DeploymentCreate(CamelModel):
    """A deployment (qunicorn's DeploymentUpdateDto, for POST and PUT).

    PUT replaces the name and, when `programs` is given, the programs.
    """

    name: DeploymentName
    programs: Annotated[list[ProgramCreate], Field(max_length=MAX_PROGRAMS)] | None = None


class ProgramLink(CamelOut):
    id: int
    assembler_language: LanguageName
    self_link: str = Field(alias="self")

    @classmethod
    def of(cls, program: QuantumProgram, links: Links) -> "ProgramLink":
        return cls(
            id=program.id,
            assembler_language=Language(program.assembler_language),
            self_link=links.program(program.deployment_id, program.id),
        )


class DeploymentSimple(CamelOut):
    """A deployment in lists (SimpleDeploymentDto)."""

    id: int
    name: str
    programs: list[ProgramLink]
    self_link: str = Field(alias="self")

    @classmethod
    def of(cls, deployment: Deployment, links: Links) -> "DeploymentSimple":
        return cls(
            id=deployment.id,
            name=deployment.name,
            programs=[ProgramLink.of(program, links) for program in deployment.programs],
            self_link=links.deployment(deployment.id),
        )


class ProgramRead(CamelOut):
    id: int
    quantum_circuit: str
    assembler_language: LanguageName
    python_file_path: str | None
    python_file_metadata: str | None
    self_link: str = Field(alias="self")

    @classmethod
    def fields_of(cls, program: QuantumProgram, links: Links) -> dict[str, object]:
        return {
            "id": program.id,
            "quantum_circuit": program.quantum_circuit,
            "assembler_language": Language(program.assembler_language),
            "python_file_path": program.python_file_path,
            "python_file_metadata": program.python_file_metadata,
            "self_link": links.program(program.deployment_id, program.id),
        }

    @classmethod
    def of(cls, program: QuantumProgram, links: Links) -> "ProgramRead":
        return cls(**cls.fields_of(program, links))


class ProgramDetail(ProgramRead):
    """A program on its own, with a link to its deployment."""

    deployment: str

    @classmethod
    def of(cls, program: QuantumProgram, links: Links) -> "ProgramDetail":
        return cls(
            **cls.fields_of(program, links), deployment=links.deployment(program.deployment_id)
        )


class DeploymentRead(CamelOut):
    """A deployment with its programs (DeploymentDto). `deployedBy` is the owner's user id."""

    id: int
    name: str
    deployed_at: datetime
    deployed_by: str
    programs: list[ProgramRead]
    self_link: str = Field(alias="self")
    jobs: str
    """Link to the deployment's jobs."""

    @classmethod
    def of(cls, deployment: Deployment, links: Links) -> "DeploymentRead":
        return cls(
            id=deployment.id,
            name=deployment.name,
            deployed_at=deployment.deployed_at,
            deployed_by=str(deployment.deployed_by),
            programs=[ProgramRead.of(program, links) for program in deployment.programs],
            self_link=links.deployment(deployment.id),
            jobs=links.deployment_jobs(deployment.id),
        )
