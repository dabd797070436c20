"""Edges between Braket circuits and OpenQASM 3 text (through the dialect shim)."""

from typing import TYPE_CHECKING

from qfractal.quantum.transpilers.graph import Converter
from qfractal.quantum.transpilers.languages import Language
from qfractal.quantum.transpilers.openqasm3_shim import to_braket_dialect, to_standard_dialect

if TYPE_CHECKING:
    from braket.circuits import Circuit


def qasm3_to_braket(source: str) -> "Circuit":
    """Build a Braket circuit from OpenQASM 3 in either dialect; Braket's interpreter
    inlines the gates the shim defines, so the circuit holds Braket's own gates."""
    from braket.circuits import Circuit

    return Circuit.from_ir(to_braket_dialect(source).text)


def braket_to_qasm3(circuit: "Circuit") -> str:
    """Braket's OpenQASM 3 export, made standard (stdgates.inc plus definitions of the
    Braket names it uses), so every QASM3 form in the cache reads the same everywhere."""
    from braket.circuits.serialization import IRType

    return to_standard_dialect(circuit.to_ir(IRType.OPENQASM).source).text


CONVERTERS = (
    Converter(Language.QASM3, Language.BRAKET, qasm3_to_braket, "shim + Circuit.from_ir"),
    Converter(Language.BRAKET, Language.QASM3, braket_to_qasm3, "Circuit.to_ir + shim"),
)
