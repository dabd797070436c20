"""Request and response bodies of /auth (fractal-server 2.17 wire format, 2.18 accepted)."""

import os
from datetime import datetime
from typing import Annotated, Any, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from qfractal.ids import DbId


def no_nul(text: str) -> str:
    """Refuse the NUL character, which PostgreSQL cannot store in text or JSONB."""
    if "\x00" in text:
        raise ValueError("must not contain the NUL character (\\u0000)")
    return text


NonEmptyStr = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1), AfterValidator(no_nul)
]
"""Non-blank text that every database can store (PostgreSQL refuses NUL characters)."""

_FORBIDDEN_PATH_CHARS = set("`#$&*()|[]{};<>?!\\\"'\n\r\t")


def _clean_absolute_path(value: str) -> str:
    value = value.strip()
    if not value.startswith("/"):
        raise ValueError(f"must be an absolute path, got {value!r}")
    bad = sorted(set(value) & _FORBIDDEN_PATH_CHARS)
    if bad:
        raise ValueError(f"must not contain the characters {''.join(bad)!r}")
    return os.path.normpath(value)


AbsolutePath = Annotated[str, AfterValidator(_clean_absolute_path)]


def _lower(value: str) -> str:
    return value.lower()


Email = Annotated[EmailStr, AfterValidator(_lower)]


class OAuthAccountRead(BaseModel):
    id: int
    account_email: str
    oauth_name: str


class UserRead(BaseModel):
    id: int
    email: str
    is_active: bool
    is_superuser: bool
    is_verified: bool
    group_ids_names: list[tuple[int, str]] | None = None
    oauth_accounts: list[OAuthAccountRead] = Field(default_factory=list)
    profile_id: int | None
    project_dir: str | None
    """The first project folder, for fractal-client 2.17."""
    project_dirs: list[str]
    slurm_accounts: list[str]


class _ProjectDirsMixin(BaseModel):
    """Accept `project_dir` (fractal-client 2.17) or `project_dirs` (2.18)."""

    project_dir: AbsolutePath | None = None
    project_dirs: Annotated[list[AbsolutePath], Field(min_length=1)] | None = None

    @model_validator(mode="after")
    def _one_way_to_say_it(self) -> Self:
        if self.project_dir is not None and self.project_dirs is not None:
            raise ValueError("give either project_dir or project_dirs, not both")
        return self

    def merged_project_dirs(self) -> list[str] | None:
        if self.project_dir is not None:
            return [self.project_dir]
        if self.project_dirs is not None:
            return list(dict.fromkeys(self.project_dirs))
        return None


class UserCreate(_ProjectDirsMixin):
    email: Email
    password: str
    is_active: bool = True
    is_superuser: bool = False
    is_verified: bool = False
    profile_id: DbId | None = None
    slurm_accounts: list[NonEmptyStr] = Field(default_factory=list)

    @model_validator(mode="after")
    def _project_dir_required(self) -> Self:
        if self.project_dir is None and self.project_dirs is None:
            raise ValueError("project_dir (or project_dirs) is required")
        return self


class UserUpdate(_ProjectDirsMixin):
    model_config = ConfigDict(extra="forbid")

    password: Annotated[str, Field(min_length=1)] | None = None
    email: Email | None = None
    is_active: bool | None = None
    is_superuser: bool | None = None
    is_verified: bool | None = None
    profile_id: DbId | None = None
    slurm_accounts: list[NonEmptyStr] | None = None

    @model_validator(mode="after")
    def _no_null_flags(self) -> Self:
        for name in ("password", "email", "is_active", "is_superuser", "is_verified"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null")
        return self


class UserUpdateStrict(BaseModel):
    """What users may change about themselves."""

    model_config = ConfigDict(extra="forbid")

    slurm_accounts: list[NonEmptyStr] | None = None


class UserUpdateGroups(BaseModel):
    model_config = ConfigDict(extra="forbid")

    group_ids: Annotated[list[DbId], Field(min_length=1)]

    @field_validator("group_ids")
    @classmethod
    def _no_repeats(cls, group_ids: list[int]) -> list[int]:
        repeated = sorted({g for g in group_ids if group_ids.count(g) > 1})
        if repeated:
            raise ValueError(f"group ids must not repeat: {repeated}")
        return group_ids


class UserProfileInfo(BaseModel):
    has_profile: bool
    resource_name: str | None = None
    profile_name: str | None = None
    username: str | None = None


class UserGroupCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: NonEmptyStr
    viewer_paths: list[AbsolutePath] = Field(default_factory=list)


class UserGroupUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    viewer_paths: list[AbsolutePath] | None = None


class UserGroupRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    timestamp_created: datetime
    user_ids: list[int] | None = None
    viewer_paths: list[str]


class BearerResponse(BaseModel):
    access_token: str
    token_type: str = "bearer"


def user_read(user: Any, group_ids_names: list[tuple[int, str]] | None = None) -> UserRead:
    return UserRead(
        id=user.id,
        email=user.email,
        is_active=user.is_active,
        is_superuser=user.is_superuser,
        is_verified=user.is_verified,
        group_ids_names=group_ids_names,
        profile_id=user.profile_id,
        project_dir=user.project_dirs[0] if user.project_dirs else None,
        project_dirs=list(user.project_dirs),
        slurm_accounts=list(user.slurm_accounts),
    )
