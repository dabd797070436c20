"""GET /admin/v2/impersonate/{user_id}/: a superuser acts as another user."""

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from qfractal.auth import service
from qfractal.auth.cookies import set_token_cookie
from qfractal.auth.dependencies import SettingsDep, Superuser, TokenCodecDep
from qfractal.db.session import SessionDep
from qfractal.ids import UserId

router = APIRouter(prefix="/admin/v2", tags=["V2 Admin area"])

IMPERSONATION_SECONDS = 2 * 3600
"""Lifetime of an impersonation token (as fractal-server: two hours)."""


@router.get("/impersonate/{user_id}/", responses={404: {"description": "No such user."}})
async def impersonate(
    user_id: UserId,
    _admin: Superuser,
    session: SessionDep,
    codec: TokenCodecDep,
    settings: SettingsDep,
) -> JSONResponse:
    """A two-hour token of another user, as JSON and as the browser cookie."""
    user = await service.get_user(session, user_id)
    token, _ = codec.issue(user.id, IMPERSONATION_SECONDS)
    response = JSONResponse({"access_token": token, "token_type": "bearer"})
    set_token_cookie(response, token, max_age=IMPERSONATION_SECONDS, settings=settings)
    return response
