"""QISKIT_PYTHON: the program's `circuit`, a qiskit QuantumCircuit, as QPY bytes."""

import io
from typing import Any

from qiskit import QuantumCircuit, qpy


def collect(value: Any) -> bytes:
    if not isinstance(value, QuantumCircuit):
        raise TypeError(f"'circuit' must be a qiskit QuantumCircuit, not {type(value).__name__}")
    buffer = io.BytesIO()
    qpy.dump(value, buffer)
    return buffer.getvalue()
