"""Provider tokens at rest: sealed (encrypted and authenticated) while a job needs them.

A job that runs on a cloud device needs the user's provider token in the worker, which may
be another process (Celery). The token travels through the database, sealed with Fernet
(AES-128-CBC + HMAC-SHA256) under a key derived from the server's signing secret with
HKDF, so a database dump alone does not reveal it. The job clears it when it ends.
"""

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_INFO = b"qfractal quantum provider token v1"


class UnreadableToken(Exception):
    """A sealed token cannot be opened: the server secret changed, or it was tampered with."""


def _fernet(server_secret: str) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(
        server_secret.encode()
    )
    return Fernet(base64.urlsafe_b64encode(key))


def seal_token(server_secret: str, token: str) -> str:
    """`token` encrypted and authenticated, as text for a database column."""
    return _fernet(server_secret).encrypt(token.encode()).decode("ascii")


def open_token(server_secret: str, sealed: str) -> str:
    """The token sealed by `seal_token` under the same secret.

    Raises:
        UnreadableToken: wrong secret or altered text.
    """
    try:
        return _fernet(server_secret).decrypt(sealed.encode("ascii")).decode()
    except (InvalidToken, UnicodeError, ValueError) as exc:
        raise UnreadableToken("the stored provider token cannot be decrypted") from exc
