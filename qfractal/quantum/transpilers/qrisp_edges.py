"""Edges between Qrisp and Qiskit circuits, through Qrisp's own converters.

A Qrisp circuit has classical bits but no classical registers; `to_qiskit` makes a
one-bit register of each. Our results key each register apart (`0x1 0x1`), so the
Qiskit form gets one register `c` of all the bits, in their order instead: a Bell pair
built with Qrisp gives `0x0`/`0x3`, as it does in every other language.
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
    return one_classical_register(circuit.to_qiskit())


def one_classical_register(circuit: Any) -> Any:
    """`circuit` with its classical bits, in order, in one register `c`."""
    from qiskit import ClassicalRegister, QuantumCircuit

    if len(circuit.cregs) <= 1 and len(circuit.clbits) == sum(r.size for r in circuit.cregs):
        return circuit
    flat = QuantumCircuit(*circuit.qregs, ClassicalRegister(circuit.num_clbits, "c"))
    flat.global_phase = circuit.global_phase
    return flat.compose(circuit, qubits=flat.qubits, clbits=flat.clbits)


def qiskit_to_qrisp(circuit: Any) -> Any:
    return _qrisp().QuantumCircuit.from_qiskit(circuit)


CONVERTERS = (
    Converter(Language.QRISP, Language.QISKIT, qrisp_to_qiskit, "QuantumCircuit.to_qiskit"),
    Converter(Language.QISKIT, Language.QRISP, qiskit_to_qrisp, "QuantumCircuit.from_qiskit"),
)
