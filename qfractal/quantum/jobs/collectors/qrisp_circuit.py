"""QRISP_PYTHON: the program's `circuit`, a qrisp QuantumCircuit, as QPY bytes of its
Qiskit form (qrisp's own `to_qiskit`), which `decode` turns back into a qrisp circuit."""

from typing import Any

from qrisp import QuantumCircuit

from qfractal.quantum.jobs.collectors.qiskit_circuit import collect as collect_qiskit


def collect(value: Any) -> bytes:
    if not isinstance(value, QuantumCircuit):
        raise TypeError(f"'circuit' must be a qrisp QuantumCircuit, not {type(value).__name__}")
    return collect_qiskit(value.to_qiskit())
