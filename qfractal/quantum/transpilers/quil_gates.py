"""Reading Quil programs: classical registers in order, gate matrices with modifiers.

Shared by the Quil converters and the local pyQuil simulator. pyQuil (4.x, backed by
quil-rs) lists a program's declarations in hash order, not the order written, so the
classical registers are read from the program's text, where the order is the author's.
Matrices follow Quil's convention: the first qubit of a gate is the most significant.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from qfractal.quantum.transpilers.errors import InvalidProgram

if TYPE_CHECKING:
    from pyquil import Program
    from pyquil.quilbase import Gate

_DECLARE = re.compile(
    r"^[ \t]*DECLARE[ \t]+([A-Za-z_][A-Za-z0-9_\-]*)[ \t]+([A-Z]+)(?:[ \t]*\[[ \t]*(\d+)[ \t]*\])?",
    re.MULTILINE,
)


@dataclass(frozen=True)
class QuilRegister:
    name: str
    size: int


def parse_quil(text: str) -> "Program":
    """A pyQuil Program from Quil text.

    Raises:
        InvalidProgram: the text is not Quil.
    """
    from pyquil import Program

    try:
        return Program(text)
    except Exception as exc:
        raise InvalidProgram(f"not a valid Quil program: {exc}") from exc


def bit_registers(text: str) -> list[QuilRegister]:
    """The BIT memory regions of a Quil program, in the order they are declared."""
    return [
        QuilRegister(name, int(size) if size else 1)
        for name, kind, size in _DECLARE.findall(text)
        if kind == "BIT"
    ]


def numeric_parameter(value: Any) -> float | complex:
    """A gate parameter as a number (real when it has no imaginary part).

    Raises:
        InvalidProgram: the parameter is symbolic, e.g. a memory reference that needs a
            value at run time.
    """
    if isinstance(value, bool):
        raise InvalidProgram(f"gate parameter {value!r} is not a number")
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, complex):
        return value.real if abs(value.imag) < 1e-12 else value
    raise InvalidProgram(
        f"gate parameter {value} is not a number; parametric Quil programs need their"
        " parameters bound before they run"
    )


def defined_gate_matrices(program: "Program") -> dict[str, np.ndarray]:
    """Matrices of the program's DEFGATEs (plain matrices and permutations).

    Raises:
        InvalidProgram: a DEFGATE has parameters or is given by Pauli terms.
    """
    matrices: dict[str, np.ndarray] = {}
    for definition in program.defined_gates:
        if getattr(definition, "parameters", None):
            raise InvalidProgram(f"parametric DEFGATE {definition.name} is not supported")
        permutation = _permutation(definition)
        if permutation is not None:
            size = len(permutation)
            matrix = np.zeros((size, size), dtype=complex)
            matrix[np.asarray(permutation), np.arange(size)] = 1
        else:
            try:
                matrix = np.asarray(definition.matrix, dtype=complex)
            except Exception as exc:
                raise InvalidProgram(
                    f"DEFGATE {definition.name} is not a numeric matrix: {exc}"
                ) from exc
        matrices[definition.name] = matrix
    return matrices


def _permutation(definition: Any) -> list[int] | None:
    specification = getattr(definition, "specification", None)
    if specification is None or not specification.is_permutation():
        return None
    return [int(p) for p in specification.to_permutation()]


def gate_matrix(gate: "Gate", defined: Mapping[str, np.ndarray]) -> np.ndarray:
    """The unitary of `gate`, DAGGER and CONTROLLED modifiers applied.

    Raises:
        InvalidProgram: unknown gate, symbolic parameter or FORKED modifier.
    """
    from pyquil.simulation.matrices import QUANTUM_GATES

    for modifier in gate.modifiers:
        if modifier not in {"DAGGER", "CONTROLLED"}:
            raise InvalidProgram(f"the Quil modifier {modifier} is not supported")
    params = [numeric_parameter(p) for p in gate.params]
    if gate.name in defined:
        matrix = defined[gate.name]
    elif gate.name in QUANTUM_GATES:
        entry = QUANTUM_GATES[gate.name]
        matrix = entry(*params) if callable(entry) else entry
    else:
        raise InvalidProgram(f"unknown Quil gate {gate.name}")
    matrix = np.asarray(matrix, dtype=complex)
    for modifier in reversed(gate.modifiers):
        if modifier == "DAGGER":
            matrix = matrix.conj().T
        else:
            size = matrix.shape[0]
            controlled = np.eye(2 * size, dtype=complex)
            controlled[size:, size:] = matrix
            matrix = controlled
    return matrix


def qubit_indices(gate_or_measure: Any) -> list[int]:
    """Fixed qubit indices of an instruction.

    Raises:
        InvalidProgram: a qubit is a placeholder or a variable.
    """
    try:
        return [int(q) for q in gate_or_measure.get_qubit_indices()]  # a list, or a set of one
    except Exception as exc:
        raise InvalidProgram(f"{gate_or_measure} does not act on fixed qubits") from exc
