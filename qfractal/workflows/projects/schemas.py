"""Bodies of /api/v2/project/ (fractal-server 2.17)."""

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from qfractal.auth.schemas import NonEmptyStr


class ProjectCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: NonEmptyStr


class ProjectUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: NonEmptyStr | None = None


class ProjectRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    timestamp_created: datetime
