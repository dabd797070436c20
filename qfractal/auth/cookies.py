"""The login cookie that fractal-web reads."""

from fastapi import Response

from qfractal.auth.dependencies import COOKIE_NAME
from qfractal.config import Settings


def set_token_cookie(response: Response, token: str, *, max_age: int, settings: Settings) -> None:
    response.set_cookie(
        COOKIE_NAME,
        token,
        max_age=max_age,
        httponly=True,
        secure=settings.cookie_secure,
        samesite="lax",
    )
