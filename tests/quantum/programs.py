"""The test circuits of qunicorn's suites, written once per language.

Each `Case` has the same circuit as OpenQASM 2, OpenQASM 3, Quil text and builders of
Qiskit, Braket and pyQuil objects, plus the keys it must give (with probabilities).
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from qfractal.quantum.transpilers import Language


@dataclass(frozen=True)
class Gate:
    name: str  # lower-case Qiskit name
    qubits: tuple[int, ...]


@dataclass(frozen=True)
class Case:
    name: str
    num_qubits: int
    gates: tuple[Gate, ...]
    expected: dict[str, float]  # key -> probability

    def qasm2(self) -> str:
        lines = ["OPENQASM 2.0;", 'include "qelib1.inc";', f"qreg q[{self.num_qubits}];"]
        lines.append(f"creg c[{self.num_qubits}];")
        for gate in self.gates:
            lines.append(f"{gate.name} {','.join(f'q[{q}]' for q in gate.qubits)};")
        lines.append("measure q -> c;")
        return "\n".join(lines) + "\n"

    def qasm3(self) -> str:
        lines = ["OPENQASM 3.0;", 'include "stdgates.inc";', f"bit[{self.num_qubits}] c;"]
        lines.append(f"qubit[{self.num_qubits}] q;")
        for gate in self.gates:
            lines.append(f"{gate.name} {', '.join(f'q[{q}]' for q in gate.qubits)};")
        lines.append("c = measure q;")
        return "\n".join(lines) + "\n"

    def quil(self) -> str:
        lines = [f"DECLARE ro BIT[{self.num_qubits}]"]
        for gate in self.gates:
            lines.append(f"{_QUIL[gate.name]} {' '.join(str(q) for q in gate.qubits)}")
        lines += [f"MEASURE {q} ro[{q}]" for q in range(self.num_qubits)]
        return "\n".join(lines) + "\n"

    def qiskit(self) -> Any:
        from qiskit import QuantumCircuit

        circuit = QuantumCircuit(self.num_qubits, self.num_qubits)
        for gate in self.gates:
            getattr(circuit, gate.name)(*gate.qubits)
        circuit.measure(range(self.num_qubits), range(self.num_qubits))
        return circuit

    def qrisp(self) -> Any:
        from qrisp import QuantumCircuit

        circuit = QuantumCircuit(self.num_qubits, self.num_qubits)
        for gate in self.gates:
            getattr(circuit, gate.name)(*gate.qubits)
        circuit.measure(circuit.qubits, circuit.clbits)
        return circuit

    def braket(self) -> Any:
        from braket.circuits import Circuit

        circuit = Circuit()
        for gate in self.gates:
            getattr(circuit, _BRAKET[gate.name])(*gate.qubits)
        return circuit.measure(range(self.num_qubits))

    def pyquil(self) -> Any:
        from pyquil import Program, gates

        program = Program()
        ro = program.declare("ro", "BIT", self.num_qubits)
        for gate in self.gates:
            program += getattr(gates, _QUIL[gate.name])(*gate.qubits)
        for q in range(self.num_qubits):
            program += gates.MEASURE(q, ro[q])
        return program


_QUIL = {"h": "H", "x": "X", "y": "Y", "z": "Z", "s": "S", "cx": "CNOT", "ccx": "CCNOT"}
_BRAKET = {"h": "h", "x": "x", "y": "y", "z": "z", "s": "s", "cx": "cnot", "ccx": "ccnot"}


def _g(name: str, *qubits: int) -> Gate:
    return Gate(name, qubits)


BELL = Case("bell", 2, (_g("h", 0), _g("cx", 0, 1)), {"0x0": 0.5, "0x3": 0.5})
CASES = (
    BELL,
    Case("hh_cx", 2, (_g("h", 0), _g("h", 0), _g("cx", 0, 1)), {"0x0": 1.0}),
    Case("hssh", 1, (_g("h", 0), _g("s", 0), _g("s", 0), _g("h", 0)), {"0x1": 1.0}),
    Case("hzh", 1, (_g("h", 0), _g("z", 0), _g("h", 0)), {"0x1": 1.0}),
    Case("xx_ccx", 3, (_g("x", 0), _g("x", 1), _g("ccx", 0, 1, 2)), {"0x7": 1.0}),
    Case("y", 1, (_g("y", 0),), {"0x1": 1.0}),
)
ASYMMETRIC = Case("asymmetric", 3, (_g("x", 1), _g("cx", 1, 2)), {"0x6": 1.0})
"""Qubits 1 and 2 set, 0 not: any bit-order mix-up changes the key (0x3)."""

INPUTS: dict[str, tuple[Language, Callable[[Case], Any]]] = {
    "qasm2": (Language.QASM2, Case.qasm2),
    "qasm3": (Language.QASM3, Case.qasm3),
    "quil": (Language.QUIL, Case.quil),
    "qiskit": (Language.QISKIT, Case.qiskit),
    "braket": (Language.BRAKET, Case.braket),
    "pyquil": (Language.QUIL, Case.pyquil),
    "qrisp": (Language.QRISP, Case.qrisp),
}
"""Every way a program reaches the library: three texts and four SDK objects."""


def assert_counts(counts: dict[str, int], case: Case, shots: int) -> None:
    """Keys exactly the expected ones, each count within 6 sigma of its probability."""
    assert set(counts) == set(case.expected), (case.name, counts)
    assert sum(counts.values()) == shots
    for key, probability in case.expected.items():
        spread = 6 * (shots * probability * (1 - probability)) ** 0.5
        assert abs(counts[key] - shots * probability) <= spread, (case.name, counts)
