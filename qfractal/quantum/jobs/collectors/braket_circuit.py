"""BRAKET_PYTHON: the program's `circuit`, a Braket Circuit, as Braket's OpenQASM 3."""

from typing import Any

from braket.circuits import Circuit
from braket.circuits.serialization import IRType


def collect(value: Any) -> str:
    if not isinstance(value, Circuit):
        raise TypeError(f"'circuit' must be a braket.circuits.Circuit, not {type(value).__name__}")
    return value.to_ir(IRType.OPENQASM).source
