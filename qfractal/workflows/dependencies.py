"""Who may use /api/v2: an active, verified user with a compute profile."""

from typing import Annotated

from fastapi import Depends

from qfractal.auth.dependencies import CurrentUser
from qfractal.auth.models import User
from qfractal.errors import Forbidden


async def workflows_user(user: CurrentUser) -> User:
    """403 for unverified users and users without a profile (as fractal-server answers)."""
    if not user.is_verified:
        raise Forbidden("Forbidden: the user is not verified.")
    if user.profile_id is None:
        raise Forbidden(f"Forbidden: user {user.email} has no compute profile.")
    return user


WorkflowsUser = Annotated[User, Depends(workflows_user)]
