"""Collectors for the sandbox tests: trusted functions run in the child after the program.

Imported in the child before the program runs (and before privileges drop), so they
import what they need at module level.
"""

from typing import Any


def collect_text(value: Any) -> str:
    """The value itself, when it is a string."""
    if not isinstance(value, str):
        raise TypeError(f"expected a str, not {type(value).__name__}")
    return value


def collect_bytes(value: Any) -> bytes:
    """The value itself, when it is bytes."""
    if not isinstance(value, bytes):
        raise TypeError(f"expected bytes, not {type(value).__name__}")
    return value


def collect_repr(value: Any) -> str:
    return repr(value)
