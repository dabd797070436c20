"""Edges between Qrisp and Qiskit circuits, through Qrisp's own converters.

Qrisp is optional (not installed by default): without it, these edges raise `MissingSdk`.
"""

from typing import Any

from qfractal.quantum.transpilers.errors import MissingSdk
from qfractal.quantum.transpilers.graph import Converter
from qfractal.quantum.transpilers.languages import Language


def _qrisp() -> Any:
    try:
        import qrisp
    except ImportError as exc:
        raise MissingSdk("QRISP programs need the qrisp package, not installed here") from exc
    return qrisp


def qrisp_to_qiskit(circuit: Any) -> Any:
    _qrisp()
    return circuit.to_qiskit()


def qiskit_to_qrisp(circuit: Any) -> Any:
    return _qrisp().QuantumCircuit.from_qiskit(circuit)


CONVERTERS = (
    Converter(Language.QRISP, Language.QISKIT, qrisp_to_qiskit, "QuantumCircuit.to_qiskit"),
    Converter(Language.QISKIT, Language.QRISP, qiskit_to_qrisp, "QuantumCircuit.from_qiskit"),
)
