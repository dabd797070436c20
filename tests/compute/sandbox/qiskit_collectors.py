"""A Qiskit collector for the sandbox tests: a QuantumCircuit as OpenQASM 3 or QPY."""

import io
from typing import Any

from qiskit import QuantumCircuit, qasm3, qpy


def collect_qasm3(value: Any) -> str:
    if not isinstance(value, QuantumCircuit):
        raise TypeError(f"expected a QuantumCircuit, not {type(value).__name__}")
    return qasm3.dumps(value)


def collect_qpy(value: Any) -> bytes:
    if not isinstance(value, QuantumCircuit):
        raise TypeError(f"expected a QuantumCircuit, not {type(value).__name__}")
    buffer = io.BytesIO()
    qpy.dump(value, buffer)
    return buffer.getvalue()
