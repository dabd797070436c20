"""Wire pieces shared by the quantum routes (qunicorn v1.0.4 shape).

Bodies are camelCase; request bodies also accept the snake_case names that the 2023
routes used. Enums travel as NAMEs (`QISKIT_PYTHON`), links are absolute URLs.
"""

from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    WithJsonSchema,
)
from pydantic.alias_generators import to_camel

from qfractal.quantum.enums import JobState
from qfractal.quantum.links import Links
from qfractal.quantum.models import QuantumJob
from qfractal.quantum.transpilers.languages import Language

SEED_LANGUAGE_NAMES = {"BASIQ": Language.QUIL}
"""Language names of the 2023 API that were renamed since."""


def parse_language(value: Any) -> Language:
    """A language from its API name (`QISKIT_PYTHON`), its stored value (`QISKIT-PYTHON`)
    or its 2023 name (`BASIQ`), in any case."""
    if isinstance(value, Language):
        return value
    if not isinstance(value, str):
        raise ValueError(f"must be a language name, not {type(value).__name__}")
    seed = SEED_LANGUAGE_NAMES.get(value.strip().upper())
    return seed if seed is not None else Language.parse(value)


LanguageName = Annotated[
    Language,
    BeforeValidator(parse_language),
    PlainSerializer(lambda language: language.name, return_type=str),
    WithJsonSchema({"type": "string", "enum": [language.name for language in Language]}),
]
"""A `Language` on the wire: its NAME."""

MAX_TEXT = 2**20
"""Longest program text (1 MiB of characters) accepted in a deployment."""


class CamelModel(BaseModel):
    """Request bodies: camelCase keys, snake_case accepted too, unknown keys ignored."""

    model_config = ConfigDict(
        alias_generator=to_camel, validate_by_name=True, validate_by_alias=True, extra="ignore"
    )


class CamelOut(BaseModel):
    """Response bodies: camelCase keys (FastAPI serializes by alias)."""

    model_config = ConfigDict(alias_generator=to_camel, validate_by_name=True)


class Root(CamelOut):
    title: str
    jobs: str
    devices: str
    deployments: str
    provider: str
    api_spec: str
    swagger_ui: str
    redoc: str

    @classmethod
    def of(cls, links: Links) -> "Root":
        return cls(
            title="QUNICORN_API",
            jobs=links.jobs(),
            devices=links.devices(),
            deployments=links.deployments(),
            provider=links.providers(),
            api_spec=links.absolute("/openapi.json"),
            swagger_ui=links.absolute("/docs"),
            redoc=links.absolute("/redoc"),
        )


class SimpleJob(CamelOut):
    """A job in lists: qunicorn's SimpleJobDto, with its `deplyoment` spelling."""

    id: int
    name: str
    state: JobState
    self_link: str = Field(alias="self")
    deplyoment: str | None
    """Link to the job's deployment (qunicorn's misspelt key, kept for the wire)."""

    @classmethod
    def of(cls, job: QuantumJob, links: Links) -> "SimpleJob":
        return cls(
            id=job.id,
            name=job.name,
            state=JobState(job.state),
            self_link=links.job(job.id),
            deplyoment=None if job.deployment_id is None else links.deployment(job.deployment_id),
        )


class ErrorBody(BaseModel):
    """Every error under `/quantum`; `errors` only on 422 (where → field → messages)."""

    code: int
    status: str
    message: str
    errors: dict[str, dict[str, list[str]]] | None = None


_DESCRIPTIONS = {
    400: "The object is in a state that does not allow this.",
    401: "Not logged in.",
    404: "No such object among those the user may see.",
    422: "Invalid parameters or body; `errors` names the fields.",
    501: "The provider or this server does not support this yet.",
    502: "The provider's cloud failed or refused the call (the message says why).",
}


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` for these error codes (401 and 422 are always possible)."""
    return {
        code: {"model": ErrorBody, "description": _DESCRIPTIONS[code]}
        for code in sorted({401, 422, *codes})
    }
