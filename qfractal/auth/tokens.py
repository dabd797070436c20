"""Signed access tokens (JWT, HS256)."""

import os
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import jwt

from qfractal.config import Settings
from qfractal.db.types import utc_now

AUDIENCE = "qfractal:auth"
ALGORITHM = "HS256"


@dataclass(frozen=True)
class TokenClaims:
    user_id: int
    jti: str
    expires_at: datetime


class InvalidToken(Exception):
    pass


class TokenCodec:
    def __init__(self, secret: str) -> None:
        self._secret = secret

    def issue(self, user_id: int, lifetime_seconds: int) -> tuple[str, TokenClaims]:
        now = utc_now()
        claims = TokenClaims(
            user_id=user_id,
            jti=secrets.token_hex(16),
            expires_at=now + timedelta(seconds=lifetime_seconds),
        )
        payload = {
            "sub": str(user_id),
            "aud": AUDIENCE,
            "iat": now,
            "exp": claims.expires_at,
            "jti": claims.jti,
        }
        return jwt.encode(payload, self._secret, algorithm=ALGORITHM), claims

    def decode(self, token: str) -> TokenClaims:
        try:
            payload = jwt.decode(
                token,
                self._secret,
                algorithms=[ALGORITHM],
                audience=AUDIENCE,
                options={"require": ["sub", "exp", "jti"]},
            )
            return TokenClaims(
                user_id=int(payload["sub"]),
                jti=str(payload["jti"]),
                expires_at=datetime.fromtimestamp(payload["exp"], tz=utc_now().tzinfo),
            )
        except (jwt.PyJWTError, ValueError) as exc:
            raise InvalidToken(str(exc)) from exc


def load_secret(settings: Settings) -> str:
    """The configured signing key, else one kept in the data directory (created once)."""
    if settings.jwt_secret is not None:
        return settings.jwt_secret.get_secret_value()
    path: Path = settings.data_dir / "jwt-secret"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        draft = path.with_name(f".jwt-secret.{os.getpid()}")
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(secrets.token_urlsafe(48))
        try:
            os.link(draft, path)  # atomic: the first process to get here wins
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    return path.read_text(encoding="ascii").strip()
