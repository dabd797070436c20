"""Who is calling: token → user, with the checks each kind of route needs."""

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyCookie, OAuth2PasswordBearer

from qfractal.auth import service
from qfractal.auth.models import User
from qfractal.auth.tokens import InvalidToken, TokenClaims, TokenCodec
from qfractal.config import Settings
from qfractal.db.session import SessionDep
from qfractal.errors import Forbidden, Unauthorized

COOKIE_NAME = "fastapiusersauth"  # the name fractal-web expects

_bearer = OAuth2PasswordBearer(tokenUrl="/auth/token/login/", auto_error=False)
_cookie = APIKeyCookie(name=COOKIE_NAME, auto_error=False)


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_token_codec(request: Request) -> TokenCodec:
    return request.app.state.token_codec


SettingsDep = Annotated[Settings, Depends(get_settings)]
TokenCodecDep = Annotated[TokenCodec, Depends(get_token_codec)]


@dataclass(frozen=True)
class Authenticated:
    user: User
    claims: TokenClaims


async def authenticate_request(
    session: SessionDep,
    codec: TokenCodecDep,
    bearer: Annotated[str | None, Depends(_bearer)],
    cookie: Annotated[str | None, Depends(_cookie)],
) -> Authenticated:
    """401 unless the request carries a valid, unrevoked token of an active user."""
    token = bearer or cookie
    if not token:
        raise Unauthorized("Unauthorized")
    try:
        claims = codec.decode(token)
    except InvalidToken as exc:
        raise Unauthorized("Unauthorized") from exc
    user = await session.get(User, claims.user_id)
    if user is None or not user.is_active or await service.is_revoked(session, claims.jti):
        raise Unauthorized("Unauthorized")
    return Authenticated(user=user, claims=claims)


AuthenticatedDep = Annotated[Authenticated, Depends(authenticate_request)]


async def current_user(auth: AuthenticatedDep) -> User:
    return auth.user


async def current_superuser(auth: AuthenticatedDep) -> User:
    if not auth.user.is_superuser:
        raise Forbidden("Forbidden")
    return auth.user


CurrentUser = Annotated[User, Depends(current_user)]
Superuser = Annotated[User, Depends(current_superuser)]
