"""The test circuits of `tests.quantum.programs` as deployment programs of every
language a job takes: the three texts and the four kinds of Python source (written as
qunicorn's test programs are: `QuantumCircuit` and `Circuit` without imports, a Braket
program as a bare expression)."""

from collections.abc import Callable
from typing import Any

from tests.quantum.programs import Case

_QUIL = {"h": "H", "x": "X", "y": "Y", "z": "Z", "s": "S", "cx": "CNOT", "ccx": "CCNOT"}
_BRAKET = {"h": "h", "x": "x", "y": "y", "z": "z", "s": "s", "cx": "cnot", "ccx": "ccnot"}


def qiskit_python(case: Case) -> str:
    lines = [f"circuit = QuantumCircuit({case.num_qubits}, {case.num_qubits})"]
    lines += [f"circuit.{g.name}({', '.join(map(str, g.qubits))})" for g in case.gates]
    lines.append(f"circuit.measure(range({case.num_qubits}), range({case.num_qubits}))")
    return "\n".join(lines) + "\n"


def qrisp_python(case: Case) -> str:
    """The same statements as `qiskit_python`, on qrisp's QuantumCircuit."""
    return qiskit_python(case).replace(
        f"circuit.measure(range({case.num_qubits}), range({case.num_qubits}))",
        "circuit.measure(circuit.qubits, circuit.clbits)",
    )


def braket_python(case: Case) -> str:
    calls = "".join(f".{_BRAKET[g.name]}({', '.join(map(str, g.qubits))})" for g in case.gates)
    return f"Circuit(){calls}.measure(range({case.num_qubits}))"


def quil_python(case: Case) -> str:
    names = sorted({_QUIL[g.name] for g in case.gates} | {"MEASURE"})
    lines = [
        "from pyquil import Program",
        f"from pyquil.gates import {', '.join(names)}",
        "",
        "circuit = Program()",
        f"ro = circuit.declare('ro', 'BIT', {case.num_qubits})",
    ]
    lines += [f"circuit += {_QUIL[g.name]}({', '.join(map(str, g.qubits))})" for g in case.gates]
    lines += [f"circuit += MEASURE({q}, ro[{q}])" for q in range(case.num_qubits)]
    return "\n".join(lines) + "\n"


SOURCES: dict[str, tuple[str, Callable[[Case], str]]] = {
    "QASM2": ("QASM2", Case.qasm2),
    "QASM3": ("QASM3", Case.qasm3),
    "QUIL": ("QUIL", Case.quil),
    "QISKIT_PYTHON": ("QISKIT_PYTHON", qiskit_python),
    "BRAKET_PYTHON": ("BRAKET_PYTHON", braket_python),
    "QUIL_PYTHON": ("QUIL_PYTHON", quil_python),
    "QRISP_PYTHON": ("QRISP_PYTHON", qrisp_python),
}
"""Wire language name → (language, source of a case)."""


def program_of(language: str, case: Case) -> dict[str, Any]:
    name, source = SOURCES[language]
    return {"quantumCircuit": source(case), "assemblerLanguage": name}


def layered(qubits: int, pairs: int) -> str:
    """A non-Clifford circuit that Aer simulates slowly (a full state vector)."""
    gates = "".join(
        f"rx(0.{i % 9 + 1}) q[{i % qubits}];\ncx q[{i % qubits}],q[{(i + 1) % qubits}];\n"
        for i in range(pairs)
    )
    head = f'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[{qubits}];\ncreg c[{qubits}];\n'
    return head + gates + "measure q -> c;\n"


LONG = layered(24, 400)
"""Half a minute or more of Aer, 256 MiB of state."""
MEDIUM = layered(22, 200)
"""A few seconds of Aer."""
