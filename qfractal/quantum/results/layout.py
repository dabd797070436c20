"""Where a program's classical bits live, and how raw outcomes become result keys.

One `ClassicalLayout` per program gives the registers (in declaration order), the flat
index of each register bit, and which qubit's final measurement writes each bit. Every
backend's raw outcome goes through it, so the same circuit yields the same keys on all:

- Aer reports an integer over the circuit's classical bits: `counts_from_integers`.
- Braket reports one column per measured qubit (qubit 0 in the *leftmost* character of
  its bit strings) and pyQuil samples all qubits: both become a (shots x qubits) array,
  then `counts_from_qubits` reads each classical bit from its measured qubit.

Nothing is reversed ad hoc: register bit i is always flat classical bit `clbits[r][i]`,
the least significant bit of that register's hex value, as in Qiskit. (qunicorn turned
Braket's strings into hex without reversing, so X on qubit 0 gave `0x4` on AWS and `0x1`
on IBM.)
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from qfractal.quantum.results.errors import UnsupportedProgram
from qfractal.quantum.results.types import Register
from qfractal.quantum.transpilers import Language, ProgramForms
from qfractal.quantum.transpilers.quil_gates import bit_registers, parse_quil, qubit_indices

if TYPE_CHECKING:
    from braket.circuits import Circuit
    from qiskit import QuantumCircuit

BRAKET_REGISTER = "b"
"""The name Braket's OpenQASM export gives its one classical register."""


@dataclass(frozen=True)
class ClassicalLayout:
    """The classical side of a program.

    `registers` in declaration order; `clbits[r][i]` is the flat index of bit i of
    register r; `measured` maps a flat classical bit to the qubit whose last measurement
    writes it (bits never written read 0).
    """

    registers: tuple[Register, ...]
    clbits: tuple[tuple[int, ...], ...]
    measured: Mapping[int, int]
    num_clbits: int
    num_qubits: int

    def key(self, bits: Any) -> str:
        """The result key of one outcome; `bits[c]` is the value of flat classical bit c."""
        parts = []
        for register_bits in reversed(self.clbits):
            value = 0
            for position, clbit in enumerate(register_bits):
                if bits[clbit]:
                    value |= 1 << position
            parts.append(hex(value))
        return " ".join(parts)

    def counts_from_clbits(
        self, rows: np.ndarray, weights: Iterable[int] | None = None
    ) -> dict[str, int]:
        """Counts from outcomes given as rows of classical bits (weights default to 1)."""
        if not self.registers:
            return {}
        rows = np.asarray(rows, dtype=np.uint8).reshape(-1, self.num_clbits)
        if weights is None:
            unique, counts = np.unique(rows, axis=0, return_counts=True)
        else:
            unique, counts = rows, np.fromiter(weights, dtype=np.int64, count=len(rows))
        result: dict[str, int] = {}
        for row, count in zip(unique, counts, strict=True):
            key = self.key(row)
            result[key] = result.get(key, 0) + int(count)
        return _sorted(result)

    def counts_from_integers(self, counts: Mapping[int, int]) -> dict[str, int]:
        """Counts from outcomes given as integers over the flat classical bits (bit c of
        the integer is classical bit c), as Aer and Qiskit report them."""
        if not self.registers:
            return {}
        result: dict[str, int] = {}
        for outcome, count in counts.items():
            key = self.key([(outcome >> c) & 1 for c in range(self.num_clbits)])
            result[key] = result.get(key, 0) + int(count)
        return _sorted(result)

    def counts_from_qubits(self, samples: np.ndarray) -> dict[str, int]:
        """Counts from per-shot qubit values (`samples[shot, qubit]`), each classical bit
        read from the qubit measured into it."""
        samples = np.asarray(samples, dtype=np.uint8)
        rows = np.zeros((samples.shape[0], self.num_clbits), dtype=np.uint8)
        for clbit, qubit in self.measured.items():
            rows[:, clbit] = samples[:, qubit]
        return self.counts_from_clbits(rows)


def _sorted(counts: dict[str, int]) -> dict[str, int]:
    return dict(sorted(counts.items(), key=lambda item: [int(p, 16) for p in item[0].split()]))


def layout_from_qiskit(
    circuit: "QuantumCircuit", *, terminal_only: bool = False
) -> ClassicalLayout:
    """The layout of a Qiskit circuit: its classical registers (empty ones left out).

    Args:
        terminal_only: refuse circuits whose measurements are not the last operation on
            their qubits, or that branch on classical bits (for sampling backends).

    Raises:
        UnsupportedProgram: with `terminal_only`, a mid-circuit measurement or control flow.
    """
    registers = tuple(Register(r.name, r.size) for r in circuit.cregs if r.size)
    clbits = tuple(tuple(circuit.find_bit(bit).index for bit in r) for r in circuit.cregs if r.size)
    measured: dict[int, int] = {}
    done: set[int] = set()
    for instruction in circuit.data:
        operation = instruction.operation
        qubits = [circuit.find_bit(q).index for q in instruction.qubits]
        if operation.name in {"barrier", "delay"}:
            continue
        if terminal_only and (
            getattr(operation, "blocks", None) or getattr(operation, "condition", None)
        ):
            raise UnsupportedProgram(
                f"'{operation.name}': classical control flow needs a backend that runs"
                " mid-circuit measurements (Aer)"
            )
        if operation.name == "measure":
            measured[circuit.find_bit(instruction.clbits[0]).index] = qubits[0]
            done.add(qubits[0])
        elif terminal_only and done.intersection(qubits):
            raise UnsupportedProgram(
                f"'{operation.name}' acts on qubit {sorted(done.intersection(qubits))[0]}"
                " after it was measured; this backend only measures at the end"
            )
    return ClassicalLayout(registers, clbits, measured, circuit.num_clbits, circuit.num_qubits)


def layout_from_braket(circuit: "Circuit") -> ClassicalLayout:
    """The layout of a Braket circuit: one register `b`.

    With measure instructions, bit i is the i-th measurement (or the bit index the
    instruction records, when it came from OpenQASM); without, Braket measures every
    qubit of the circuit, bit i being the i-th qubit in increasing order.
    """
    targets: list[tuple[int, int | None]] = []
    for instruction in circuit.instructions:
        if instruction.operator.name == "Measure":
            index = getattr(instruction.operator, "_target_index", None)
            for qubit in instruction.target:
                targets.append((int(qubit), index if len(instruction.target) == 1 else None))
    qubits = sorted(int(q) for q in circuit.qubits)
    measured: dict[int, int] = {}
    if targets:
        for position, (qubit, index) in enumerate(targets):
            measured[index if index is not None else position] = qubit
    else:
        measured = dict(enumerate(qubits))
    size = max(measured, default=-1) + 1
    registers = (Register(BRAKET_REGISTER, size),) if size else ()
    clbits = (tuple(range(size)),) if size else ()
    num_qubits = max([*qubits, *measured.values()], default=-1) + 1
    return ClassicalLayout(registers, clbits, measured, size, num_qubits)


def layout_from_quil(text: str) -> ClassicalLayout:
    """The layout of a Quil program: its BIT declarations, in written order.

    Raises:
        UnsupportedProgram: a MEASURE into memory that is not a declared BIT region, or a
            gate on a qubit after its measurement.
    """
    from pyquil import quilbase

    program = parse_quil(text)
    declared = bit_registers(text)
    offsets: dict[str, tuple[int, int]] = {}
    start = 0
    for register in declared:
        offsets[register.name] = (start, register.size)
        start += register.size
    measured: dict[int, int] = {}
    done: set[int] = set()
    highest = -1
    for ins in program.instructions:
        if isinstance(ins, quilbase.Gate | quilbase.Measurement | quilbase.ResetQubit):
            qubits = qubit_indices(ins)
            highest = max(highest, *qubits)
        if isinstance(ins, quilbase.Measurement):
            done.add(qubits[0])
            target = ins.classical_reg
            if target is None:
                continue
            if target.name not in offsets or not 0 <= target.offset < offsets[target.name][1]:
                raise UnsupportedProgram(f"{ins}: {target} is not a bit of a BIT register")
            measured[offsets[target.name][0] + target.offset] = qubits[0]
        elif isinstance(ins, quilbase.Gate | quilbase.ResetQubit) and done.intersection(qubits):
            raise UnsupportedProgram(
                f"'{ins}' acts on a qubit after it was measured; only final measurements"
                " are supported"
            )
    registers = tuple(Register(r.name, r.size) for r in declared if r.size)
    clbits = tuple(
        tuple(range(offsets[r.name][0], offsets[r.name][0] + r.size)) for r in declared if r.size
    )
    return ClassicalLayout(registers, clbits, measured, start, highest + 1)


def layout_of(language: Language, form: Any, *, terminal_only: bool = True) -> ClassicalLayout:
    """The layout of a program in any safe language (OpenQASM and Qrisp through Qiskit).

    Raises:
        UnsupportedProgram: a Python program (no structure before it runs), or see the
            `layout_from_*` functions.
    """
    if language is Language.QISKIT:
        return layout_from_qiskit(form, terminal_only=terminal_only)
    if language is Language.BRAKET:
        return layout_from_braket(form)
    if language is Language.QUIL:
        return layout_from_quil(form)
    if language.is_python:
        raise UnsupportedProgram(f"a {language.name} program has no layout before it runs")
    _, circuit = ProgramForms(language, form).to(Language.QISKIT)
    return layout_from_qiskit(circuit, terminal_only=terminal_only)


def layout_of_program(forms: ProgramForms, *, terminal_only: bool = True) -> ClassicalLayout:
    """The layout of the program's most faithful form: the source, or for a Python
    program the first circuit the sandbox produced."""
    for language in forms:
        if not language.is_python:
            if language in {Language.QASM2, Language.QASM3, Language.QRISP}:
                _, circuit = forms.to(Language.QISKIT)
                return layout_from_qiskit(circuit, terminal_only=terminal_only)
            return layout_of(language, forms[language], terminal_only=terminal_only)
    raise UnsupportedProgram("the program has no circuit form yet")
