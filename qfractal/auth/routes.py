"""/auth routes for every user: login, logout, the current user, registration."""

from typing import Annotated

from fastapi import APIRouter, Depends, Response, status
from fastapi.security import OAuth2PasswordRequestForm

from qfractal.auth import service
from qfractal.auth.cookies import set_token_cookie
from qfractal.auth.dependencies import (
    COOKIE_NAME,
    AuthenticatedDep,
    CurrentUser,
    SettingsDep,
    Superuser,
    TokenCodecDep,
)
from qfractal.auth.schemas import (
    BearerResponse,
    UserCreate,
    UserProfileInfo,
    UserRead,
    UserUpdateStrict,
    user_read,
)
from qfractal.db.session import SessionDep

router = APIRouter(prefix="/auth", tags=["Authentication"])

LoginForm = Annotated[OAuth2PasswordRequestForm, Depends()]
_UNAUTHORIZED = {401: {"description": "Missing, invalid or revoked token, or inactive user."}}
_BAD_LOGIN = {400: {"description": "LOGIN_BAD_CREDENTIALS: wrong e-mail/password or inactive."}}


@router.post("/token/login/", response_model=BearerResponse, responses=_BAD_LOGIN)
async def token_login(
    form: LoginForm, session: SessionDep, codec: TokenCodecDep, settings: SettingsDep
) -> BearerResponse:
    """Exchange e-mail (`username`) and password, form-encoded, for a bearer token."""
    user = await service.authenticate(session, email=form.username, password=form.password)
    token, _ = codec.issue(user.id, settings.jwt_expire_seconds)
    return BearerResponse(access_token=token)


@router.post("/token/logout/", status_code=204, responses=_UNAUTHORIZED)
async def token_logout(auth: AuthenticatedDep, session: SessionDep) -> Response:
    """Revoke the token of this request; it is refused from now on."""
    await service.revoke_token(session, jti=auth.claims.jti, expires_at=auth.claims.expires_at)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/login/", status_code=204, responses=_BAD_LOGIN)
async def cookie_login(
    form: LoginForm, session: SessionDep, codec: TokenCodecDep, settings: SettingsDep
) -> Response:
    """Log in a browser: the token is set as an HTTP-only cookie."""
    user = await service.authenticate(session, email=form.username, password=form.password)
    token, _ = codec.issue(user.id, settings.cookie_expire_seconds)
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    set_token_cookie(response, token, max_age=settings.cookie_expire_seconds, settings=settings)
    return response


@router.post("/logout/", status_code=204, responses=_UNAUTHORIZED)
async def cookie_logout(auth: AuthenticatedDep, session: SessionDep) -> Response:
    """Revoke the cookie's token and clear the cookie."""
    await service.revoke_token(session, jti=auth.claims.jti, expires_at=auth.claims.expires_at)
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    response.delete_cookie(COOKIE_NAME)
    return response


@router.post(
    "/register/",
    status_code=201,
    response_model=UserRead,
    responses={400: {"description": "REGISTER_USER_ALREADY_EXISTS or REGISTER_INVALID_PASSWORD"}},
)
async def register(
    data: UserCreate, _admin: Superuser, session: SessionDep, settings: SettingsDep
) -> UserRead:
    """Create a user (superusers only); the user joins the default group."""
    user = await service.create_user(
        session, data=data, default_group_name=settings.default_group_name
    )
    return user_read(user, await service.group_ids_names(session, user.id))


@router.get("/current-user/", response_model=UserRead, responses=_UNAUTHORIZED)
async def get_current_user(
    user: CurrentUser, session: SessionDep, group_ids_names: bool = False
) -> UserRead:
    """The calling user; `group_ids_names=true` adds their groups."""
    names = await service.group_ids_names(session, user.id) if group_ids_names else None
    return user_read(user, names)


@router.patch("/current-user/", response_model=UserRead, responses=_UNAUTHORIZED)
async def patch_current_user(
    data: UserUpdateStrict, user: CurrentUser, session: SessionDep
) -> UserRead:
    """Users may change their own SLURM accounts, nothing else."""
    await service.update_self(session, user, data=data)
    return user_read(user)


@router.get("/current-user/profile-info/", response_model=UserProfileInfo)
async def get_profile_info(user: CurrentUser, session: SessionDep) -> UserProfileInfo:
    """The calling user's compute profile and resource, by name."""
    return await service.profile_info(session, user)


@router.get("/current-user/allowed-viewer-paths/", response_model=list[str])
async def get_allowed_viewer_paths(
    user: CurrentUser, session: SessionDep, settings: SettingsDep
) -> list[str]:
    """Folders a data viewer may show the calling user (see `QFRACTAL_DATA_AUTH_SCHEME`)."""
    return await service.allowed_viewer_paths(session, user, settings=settings)
