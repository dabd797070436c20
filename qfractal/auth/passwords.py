"""Password hashing (argon2id)."""

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_PASSWORD_LENGTH = 4
MAX_PASSWORD_LENGTH = 100
DEFAULT_MEMORY_KIB = 65536


class _Hashing:
    """The process's hasher; its memory cost comes from the settings (see `configure`)."""

    def __init__(self, memory_kib: int | None = None) -> None:
        self.hasher = (
            PasswordHasher() if memory_kib is None else PasswordHasher(memory_cost=memory_kib)
        )
        # Verified against when the e-mail is unknown, so both cases take the same time.
        self.dummy_hash = self.hasher.hash("qfractal-timing-equaliser")


_hashing = _Hashing()


def configure(memory_kib: int) -> None:
    """Hash new passwords with this argon2 memory cost (existing hashes keep theirs)."""
    global _hashing
    if _hashing.hasher.memory_cost != memory_kib:
        _hashing = _Hashing(memory_kib)


def hash_password(password: str) -> str:
    return _hashing.hasher.hash(password)


def verify_password(password: str, hashed: str | None) -> bool:
    try:
        verified = _hashing.hasher.verify(hashed or _hashing.dummy_hash, password)
        return verified and hashed is not None
    except (VerificationError, InvalidHashError):
        return False


def password_problem(password: str) -> str | None:
    """Why a new password is refused, or None if it is acceptable."""
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        return (
            f"Password must be between {MIN_PASSWORD_LENGTH} and "
            f"{MAX_PASSWORD_LENGTH} characters long"
        )
    return None
