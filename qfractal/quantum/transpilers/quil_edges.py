"""Edges between Qiskit circuits and Quil text (no quilc: gate by gate, written here).

Qiskit to Quil: the circuit is first rewritten by Qiskit's transpiler into gates Quil
names directly (H, CNOT, PHASE, RX, ...), without layout or optimisation, so qubit i
stays qubit i. Each classical register becomes a `DECLARE <name> BIT[<size>]`, in the
circuit's register order. Barriers and delays are dropped; a global phase, which no
measurement can see, is dropped too. Classical control flow has no translation.

Quil to Qiskit: named Quil gates become Qiskit's standard gates, DAGGER and CONTROLLED
become `inverse()` and `control()`, every other gate (RXX, PSWAP, DEFGATEs, ...) becomes a
`UnitaryGate` of its matrix. BIT declarations become classical registers in written order.
A MEASURE without a target is dropped.
"""

import re
from typing import TYPE_CHECKING, Any

from qfractal.quantum.transpilers.errors import InvalidProgram
from qfractal.quantum.transpilers.graph import Converter
from qfractal.quantum.transpilers.languages import Language
from qfractal.quantum.transpilers.quil_gates import (
    bit_registers,
    defined_gate_matrices,
    gate_matrix,
    numeric_parameter,
    parse_quil,
    qubit_indices,
)

if TYPE_CHECKING:
    from qiskit import QuantumCircuit

_QISKIT_TO_QUIL: dict[str, str] = {
    "id": "I",
    "x": "X",
    "y": "Y",
    "z": "Z",
    "h": "H",
    "s": "S",
    "sdg": "DAGGER S",
    "t": "T",
    "tdg": "DAGGER T",
    "p": "PHASE",
    "rx": "RX",
    "ry": "RY",
    "rz": "RZ",
    "cx": "CNOT",
    "cz": "CZ",
    "cp": "CPHASE",
    "swap": "SWAP",
    "iswap": "ISWAP",
    "ccx": "CCNOT",
    "cswap": "CSWAP",
}
_SKIPPED = frozenset({"barrier", "delay", "global_phase"})
_QUIL_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-]*$")
_QUIL_TO_QISKIT: dict[str, str] = {
    "I": "IGate",
    "X": "XGate",
    "Y": "YGate",
    "Z": "ZGate",
    "H": "HGate",
    "S": "SGate",
    "T": "TGate",
    "PHASE": "PhaseGate",
    "RX": "RXGate",
    "RY": "RYGate",
    "RZ": "RZGate",
    "CNOT": "CXGate",
    "CZ": "CZGate",
    "CPHASE": "CPhaseGate",
    "SWAP": "SwapGate",
    "ISWAP": "iSwapGate",
    "CCNOT": "CCXGate",
    "CSWAP": "CSwapGate",
}


def qiskit_to_quil(circuit: "QuantumCircuit") -> str:
    from qiskit import transpile

    if circuit.parameters:
        names = ", ".join(sorted(p.name for p in circuit.parameters))
        raise InvalidProgram(f"the circuit has unbound parameters: {names}")
    for instruction in circuit.data:
        if instruction.operation.name in {"if_else", "while_loop", "for_loop", "switch_case"}:
            raise InvalidProgram("classical control flow has no Quil translation here")
    basis = [*_QISKIT_TO_QUIL, "measure", "reset"]
    flat = transpile(circuit, basis_gates=basis, optimization_level=0)
    lines = [f"DECLARE {_quil_name(reg.name)} BIT[{reg.size}]" for reg in flat.cregs if reg.size]
    for instruction in flat.data:
        name = instruction.operation.name
        qubits = [flat.find_bit(q).index for q in instruction.qubits]
        if name in _SKIPPED:
            continue
        if name == "reset":
            lines.append(f"RESET {qubits[0]}")
        elif name == "measure":
            lines.append(f"MEASURE {qubits[0]} {_clbit_reference(flat, instruction.clbits[0])}")
        else:
            params = [float(p) for p in instruction.operation.params]
            angles = f"({', '.join(_number(p) for p in params)})" if params else ""
            targets = " ".join(str(q) for q in qubits)
            lines.append(f"{_QISKIT_TO_QUIL[name]}{angles} {targets}")
    return "\n".join(lines) + "\n"


def _quil_name(name: str) -> str:
    if not _QUIL_NAME.match(name):
        raise InvalidProgram(f"the register name {name!r} is not a valid Quil name")
    return name


def _clbit_reference(circuit: "QuantumCircuit", clbit: Any) -> str:
    registers = circuit.find_bit(clbit).registers
    if not registers:
        raise InvalidProgram("Quil needs every measured bit to belong to a classical register")
    register, index = registers[0]
    return f"{register.name}[{index}]"


def _number(value: float) -> str:
    return repr(float(value))


def quil_to_qiskit(text: str) -> "QuantumCircuit":
    from pyquil import quilbase
    from qiskit import ClassicalRegister, QuantumCircuit, QuantumRegister

    program = parse_quil(text)
    defined = defined_gate_matrices(program)
    instructions = list(program.instructions)
    used = [
        q
        for ins in instructions
        if isinstance(ins, quilbase.Gate | quilbase.Measurement | quilbase.ResetQubit)
        for q in qubit_indices(ins)
    ]
    num_qubits = max(used, default=-1) + 1
    registers = {r.name: ClassicalRegister(r.size, r.name) for r in bit_registers(text)}
    circuit = QuantumCircuit(QuantumRegister(num_qubits, "q"), *registers.values())
    for ins in instructions:
        if isinstance(ins, quilbase.Declare | quilbase.Pragma):
            continue
        if isinstance(ins, quilbase.Halt):
            break
        if isinstance(ins, quilbase.Gate):
            qubits = qubit_indices(ins)
            gate = _qiskit_gate(ins, defined)
            if gate is None:
                matrix = gate_matrix(ins, defined)
                _append_unitary(circuit, matrix, qubits, ins.name)
            else:
                circuit.append(gate, qubits)
        elif isinstance(ins, quilbase.Measurement):
            target = ins.classical_reg
            if target is None:
                continue
            register = registers.get(target.name)
            if register is None or not 0 <= target.offset < register.size:
                raise InvalidProgram(f"{ins}: {target} is not a bit of a BIT register")
            circuit.measure(qubit_indices(ins)[0], register[target.offset])
        elif isinstance(ins, quilbase.ResetQubit):
            circuit.reset(qubit_indices(ins)[0])
        elif isinstance(ins, quilbase.Reset):
            if num_qubits:
                circuit.reset(range(num_qubits))
        else:
            raise InvalidProgram(f"the Quil instruction {ins} has no Qiskit translation")
    return circuit


def _qiskit_gate(ins: Any, defined: dict) -> Any:
    from qiskit.circuit import library

    if ins.name in defined or ins.name not in _QUIL_TO_QISKIT:
        return None
    if any(modifier not in {"DAGGER", "CONTROLLED"} for modifier in ins.modifiers):
        return None
    params = [numeric_parameter(p) for p in ins.params]
    gate = getattr(library, _QUIL_TO_QISKIT[ins.name])(*params)
    for modifier in reversed(ins.modifiers):
        gate = gate.inverse() if modifier == "DAGGER" else gate.control(1)
    return gate


def _append_unitary(circuit: "QuantumCircuit", matrix: Any, qubits: list[int], name: str) -> None:
    from qiskit.circuit.library import UnitaryGate

    # Quil's first qubit is the most significant, Qiskit's first qarg the least.
    circuit.append(UnitaryGate(matrix, label=name), list(reversed(qubits)))


CONVERTERS = (
    Converter(Language.QISKIT, Language.QUIL, qiskit_to_quil, "gate by gate"),
    Converter(Language.QUIL, Language.QISKIT, quil_to_qiskit, "gate by gate"),
)
