"""Edges between Qiskit circuits and OpenQASM 2/3 text."""

from typing import TYPE_CHECKING

from qfractal.quantum.transpilers.graph import Converter
from qfractal.quantum.transpilers.languages import Language
from qfractal.quantum.transpilers.openqasm3_shim import to_standard_dialect

if TYPE_CHECKING:
    from qiskit import QuantumCircuit


def qasm2_to_qiskit(source: str) -> "QuantumCircuit":
    """Parse OpenQASM 2. The legacy instruction table also reads the gates Qiskit's own
    exporter writes beyond qelib1.inc (`sx`, `rzz`, ...) as Qiskit's standard gates."""
    from qiskit import qasm2

    return qasm2.loads(source, custom_instructions=qasm2.LEGACY_CUSTOM_INSTRUCTIONS)


def qiskit_to_qasm2(circuit: "QuantumCircuit") -> str:
    from qiskit import qasm2

    return qasm2.dumps(circuit)


def qasm3_to_qiskit(source: str) -> "QuantumCircuit":
    """Parse OpenQASM 3 in either dialect (standard or Braket's, see `openqasm3_shim`).

    The Braket names the shim defined are inlined again, so the circuit holds Qiskit's
    standard gates (`cnot` becomes `cx`), not one-off composite gates.
    """
    from qiskit import qasm3

    shimmed = to_standard_dialect(source)
    circuit = qasm3.loads(shimmed.text)
    if shimmed.defined:
        circuit = circuit.decompose(gates_to_decompose=sorted(shimmed.defined))
    return circuit


def qiskit_to_qasm3(circuit: "QuantumCircuit") -> str:
    from qiskit import qasm3

    return qasm3.dumps(circuit)


CONVERTERS = (
    Converter(Language.QASM2, Language.QISKIT, qasm2_to_qiskit, "qiskit.qasm2.loads"),
    Converter(Language.QISKIT, Language.QASM2, qiskit_to_qasm2, "qiskit.qasm2.dumps"),
    Converter(Language.QASM3, Language.QISKIT, qasm3_to_qiskit, "shim + qiskit.qasm3.loads"),
    Converter(Language.QISKIT, Language.QASM3, qiskit_to_qasm3, "qiskit.qasm3.dumps"),
)
