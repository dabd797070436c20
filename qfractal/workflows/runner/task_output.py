"""What a task writes to its `--out-json` file, parsed and checked.

A compute call (non-parallel, parallel, or the compute part of a compound task) writes a
`TaskOutput`; the init call of a compound task writes an `InitTaskOutput`. A missing file
and a file holding JSON `null` both mean "no output" (an empty one). Anything else that
is not a valid output makes that unit fail with a `TaskOutputError`.
"""

import json
from collections import Counter
from collections.abc import Iterable
from typing import Annotated, Any, Self, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from qfractal.workflows.images.filters import AttributeValue, ImageTypes, clean_keys
from qfractal.workflows.images.schemas import ZarrPath
from qfractal.workflows.runner.errors import JobExecutionError, TaskOutputError

Output = TypeVar("Output", bound=BaseModel)

MAX_PARALLELIZATION_LIST_SIZE = 20_000
"""The most calls one parallel step may make: images of a parallel task, items of a
compound task's parallelization list."""

AttributesUpdate = Annotated[dict[str, AttributeValue | None], AfterValidator(clean_keys)]
"""Attributes to set on an image; `None` unsets the key."""


class ImageUpdate(BaseModel):
    """An image a task created or changed (fractal-server's SingleImageTaskOutput).

    Unknown keys are ignored here, as in fractal-server, so that tasks written for it
    keep working; the output itself refuses them.
    """

    zarr_url: ZarrPath
    origin: ZarrPath | None = None
    """The image this one was made from: a new image inherits its attributes and types."""
    attributes: AttributesUpdate = Field(default_factory=dict)
    types: ImageTypes = Field(default_factory=dict)


def duplicate_zarr_urls(updates: Iterable[ImageUpdate], removals: Iterable[str]) -> list[str]:
    """zarr_urls named more than once across `updates` and `removals`, in first-seen order."""
    counts = Counter([update.zarr_url for update in updates] + list(removals))
    return [zarr_url for zarr_url, count in counts.items() if count > 1]


class TaskOutput(BaseModel):
    """The images a compute call created, changed or removed."""

    model_config = ConfigDict(extra="forbid")

    image_list_updates: list[ImageUpdate] = Field(default_factory=list)
    image_list_removals: list[ZarrPath] = Field(default_factory=list)

    @model_validator(mode="after")
    def _zarr_urls_unique(self) -> Self:
        duplicates = duplicate_zarr_urls(self.image_list_updates, self.image_list_removals)
        if duplicates:
            raise ValueError(
                "each zarr_url may appear once in image_list_updates and image_list_removals"
                f" together; repeated: {', '.join(duplicates)}"
            )
        return self


class ParallelizationItem(BaseModel):
    """One compute call of a compound task: the image it works on and what init passes it."""

    model_config = ConfigDict(extra="forbid")

    zarr_url: ZarrPath
    init_args: dict[str, Any] = Field(default_factory=dict)


def json_key(value: Any) -> str:
    """A text equal for equal JSON values (and different for `true` and `1`)."""
    return json.dumps(value, sort_keys=True)


class InitTaskOutput(BaseModel):
    """What the init call of a compound task returns: the compute calls to make."""

    model_config = ConfigDict(extra="forbid")

    parallelization_list: list[ParallelizationItem] = Field(default_factory=list)

    @field_validator("parallelization_list")
    @classmethod
    def _deduplicate(cls, items: list[ParallelizationItem]) -> list[ParallelizationItem]:
        """The same item twice is one call (the first one stays in place)."""
        seen: set[str] = set()
        unique = []
        for item in items:
            key = json_key(item.model_dump())
            if key not in seen:
                seen.add(key)
                unique.append(item)
        return unique


def _where(location: tuple[int | str, ...]) -> str:
    parts = [f"[{part}]" if isinstance(part, int) else f".{part}" for part in location]
    return "".join(parts).lstrip(".") or "(top level)"


def describe_validation_error(error: ValidationError) -> str:
    """One line per problem, each starting with where it is."""
    return "\n".join(
        f"{_where(problem['loc'])}: {problem['msg'].removeprefix('Value error, ')}"
        for problem in error.errors(include_url=False)
    )


def _parse(model: type[Output], text: str | bytes | None, what: str) -> Output:
    if text is None:
        return model()
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise TaskOutputError(f"The {what} is not valid JSON: {error}") from None
    if data is None:
        return model()
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise TaskOutputError(
            f"The {what} is not valid:\n{describe_validation_error(error)}"
        ) from None


def parse_task_output(text: str | bytes | None) -> TaskOutput:
    """The output of a compute call from its `--out-json` content (`None`: no file).

    Raises TaskOutputError naming each problem.
    """
    return _parse(TaskOutput, text, "task output")


def parse_init_task_output(text: str | bytes | None) -> InitTaskOutput:
    """The output of a compound task's init call from its `--out-json` content
    (`None`: no file), its parallelization list without repeated items.

    Raises TaskOutputError naming each problem.
    """
    return _parse(InitTaskOutput, text, "init task output")


def check_parallelization_size(count: int) -> None:
    """Raise JobExecutionError if a parallel step would make more than
    MAX_PARALLELIZATION_LIST_SIZE calls."""
    if count > MAX_PARALLELIZATION_LIST_SIZE:
        raise JobExecutionError(
            f"Too many parallelization items: {count} "
            f"(at most {MAX_PARALLELIZATION_LIST_SIZE} are allowed)."
        )
