"""Path parameter types shared by every router."""

from typing import Annotated

from fastapi import Path

MAX_ID = 2**31 - 1
"""IDs are 32-bit on every database; larger values are refused with 422, not a 500."""


def id_path(description: str) -> object:
    return Path(le=MAX_ID, description=description)


UserId = Annotated[int, id_path("ID of a user")]
GroupId = Annotated[int, id_path("ID of a user group")]
ResourceId = Annotated[int, id_path("ID of a compute resource")]
ProfileId = Annotated[int, id_path("ID of a profile")]
