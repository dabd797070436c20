"""QUIL_PYTHON: the program's `circuit`, a pyQuil Program (or Quil text), as Quil text."""

from typing import Any

from pyquil import Program


def collect(value: Any) -> str:
    if isinstance(value, Program):
        return value.out()
    if isinstance(value, str):
        return value
    raise TypeError(f"'circuit' must be a pyquil Program or Quil text, not {type(value).__name__}")
