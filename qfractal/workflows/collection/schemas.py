"""Requests of task collection, validated before any command sees their values."""

import re
from typing import Annotated, Self

from packaging.utils import InvalidWheelFilename, canonicalize_name, parse_wheel_filename
from packaging.version import InvalidVersion, Version
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from qfractal.auth.schemas import AbsolutePath, NonEmptyStr
from qfractal.compute.schemas import PythonVersion
from qfractal.workflows.collection.manifest import Manifest

_NAME = re.compile(r"^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$", re.IGNORECASE)
"""A distribution name as PEP 508 allows it."""

_MODULE = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$")

MAX_WHEEL_BYTES = 500 * 1024 * 1024


def _package_name(value: str) -> str:
    value = value.strip()
    if not _NAME.match(value):
        raise ValueError(f"{value!r} is not a valid package name (PEP 508)")
    return value


def _version(value: str) -> str:
    try:
        return str(Version(value.strip()))
    except InvalidVersion as exc:
        raise ValueError(f"{value!r} is not a valid version (PEP 440)") from exc


def _extras(value: str) -> str:
    extras = [extra.strip() for extra in value.split(",")]
    for extra in extras:
        _package_name(extra)
    return ",".join(extras)


def _module_name(value: str) -> str:
    if not _MODULE.match(value):
        raise ValueError(f"{value!r} is not an importable package name")
    return value


PackageName = Annotated[str, AfterValidator(_package_name)]
PackageVersion = Annotated[str, AfterValidator(_version)]
Extras = Annotated[str, AfterValidator(_extras)]
Pins = dict[PackageName, PackageVersion]


class WheelFile(BaseModel):
    """An uploaded wheel: a plain file name that parses as a wheel's, and its bytes."""

    filename: str
    content: bytes = Field(repr=False, max_length=MAX_WHEEL_BYTES)

    @model_validator(mode="after")
    def _valid_filename(self) -> Self:
        if any(char in self.filename for char in "/\\;\0") or self.filename.startswith("."):
            raise ValueError(f"invalid wheel file name {self.filename!r}")
        try:
            parse_wheel_filename(self.filename)
        except InvalidWheelFilename as exc:
            raise ValueError(f"invalid wheel file name {self.filename!r}: {exc}") from exc
        return self

    @property
    def name(self) -> str:
        return canonicalize_name(parse_wheel_filename(self.filename)[0])

    @property
    def version(self) -> str:
        return str(parse_wheel_filename(self.filename)[1])


class PipCollect(BaseModel):
    """The multipart form of POST /api/v2/task/collect/pip/, JSON pins already decoded."""

    package: PackageName | None = None
    package_version: PackageVersion | None = None
    package_extras: Extras | None = None
    python_version: PythonVersion | None = None
    pinned_package_versions_pre: Pins = Field(default_factory=dict)
    pinned_package_versions_post: Pins = Field(default_factory=dict)
    file: WheelFile | None = None

    @model_validator(mode="after")
    def _package_or_file(self) -> Self:
        if self.file is None and self.package is None:
            raise ValueError("give either `package` (a name) or `file` (a wheel)")
        if self.file is not None and self.package is not None:
            raise ValueError("give either `package` or `file`, not both")
        if self.file is not None and self.package_version is not None:
            raise ValueError("`package_version` cannot be set with `file`: the wheel has one")
        return self

    @property
    def pkg_name(self) -> str:
        """The normalized distribution name (lower case, `-` separators)."""
        return self.file.name if self.file else canonicalize_name(self.package or "")

    def requirement(self, archive_path: str | None, version: str) -> str:
        """The argument of `pip install`: `name[extras]==version` or `wheel[extras]`."""
        extras = f"[{self.package_extras}]" if self.package_extras else ""
        if archive_path is not None:
            return f"{archive_path}{extras}"
        return f"{self.package}{extras}=={version}"


def pin_requirements(pins: dict[str, str]) -> list[str]:
    return [f"{name}=={version}" for name, version in pins.items()]


class TaskCollectCustom(BaseModel):
    """Tasks of a package already installed somewhere on the resource (nothing is installed)."""

    model_config = ConfigDict(extra="forbid")

    manifest: Manifest
    python_interpreter: AbsolutePath
    label: NonEmptyStr
    package_root: AbsolutePath | None = None
    package_name: Annotated[NonEmptyStr, AfterValidator(_module_name)] | None = None
    version: NonEmptyStr | None = None

    @model_validator(mode="after")
    def _root_or_name(self) -> Self:
        if (self.package_root is None) == (self.package_name is None):
            raise ValueError("give exactly one of `package_root` and `package_name`")
        return self
