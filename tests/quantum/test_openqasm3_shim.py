"""The Qiskit <-> Braket OpenQASM 3 shim: the same text means the same unitary to both."""

import numpy as np
import pytest

from qfractal.quantum.transpilers.braket_edges import braket_to_qasm3, qasm3_to_braket
from qfractal.quantum.transpilers.openqasm3_shim import (
    BRAKET_ONLY_GATES,
    STANDARD_ONLY_GATES,
    to_braket_dialect,
    to_standard_dialect,
)
from qfractal.quantum.transpilers.qiskit_edges import qasm3_to_qiskit

_ARITY = {
    **dict.fromkeys(["ccx", "ccnot"], 3),
    **dict.fromkeys(
        [
            "cx", "CX", "cp", "cphase", "crx", "cry", "crz", "ch", "cu",
            "cnot", "cv", "cphaseshift", "cphaseshift00", "cphaseshift01", "cphaseshift10",
            "xx", "yy", "zz", "xy", "iswap", "pswap", "ecr", "ms",
        ],
        2,
    ),
}  # fmt: skip
_PARAMS = {
    **dict.fromkeys(["p", "phase", "u1", "cp", "cphase", "crx", "cry", "crz"], 1),
    **dict.fromkeys(["phaseshift", "cphaseshift", "cphaseshift00", "cphaseshift01"], 1),
    **dict.fromkeys(["cphaseshift10", "xx", "yy", "zz", "xy", "pswap", "gpi", "gpi2"], 1),
    **dict.fromkeys(["u2", "prx"], 2),
    **dict.fromkeys(["u3", "ms"], 3),
    "cu": 4,
}
_QUBITS = {1: "q[1]", 2: "q[2], q[0]", 3: "q[2], q[0], q[1]"}


def _program(gate: str, identity: str) -> str:
    """`gate` on an asymmetric choice of 3 qubits, after a layer that fixes the width."""
    count = _PARAMS.get(gate, 0)
    angles = f"({', '.join(str(0.3 + 0.4 * i) for i in range(count))})" if count else ""
    return (
        "OPENQASM 3.0;\n"
        + ('include "stdgates.inc";\n' if identity == "id" else "")
        + "qubit[3] q;\n"
        + "".join(f"{identity} q[{i}];\n" for i in range(3))
        + f"{gate}{angles} {_QUBITS[_ARITY.get(gate, 1)]};\n"
    )


def _same_up_to_phase(a: np.ndarray, b: np.ndarray) -> bool:
    index = np.unravel_index(np.argmax(np.abs(a)), a.shape)
    phase = b[index] / a[index]
    return bool(np.allclose(a * phase, b, atol=1e-9))


def _unitaries(text: str) -> tuple[np.ndarray, np.ndarray]:
    from qiskit.quantum_info import Operator

    qiskit = qasm3_to_qiskit(text).remove_final_measurements(inplace=False)
    braket = qasm3_to_braket(text)
    return Operator(qiskit.reverse_bits()).data, braket.to_unitary()


@pytest.mark.parametrize("gate", sorted(STANDARD_ONLY_GATES))
def test_standard_names_mean_the_same_in_braket(gate: str) -> None:
    qiskit, braket = _unitaries(_program(gate, "id"))
    assert _same_up_to_phase(qiskit, braket)


@pytest.mark.parametrize("gate", sorted(BRAKET_ONLY_GATES - {"i"}))
def test_braket_names_mean_the_same_in_qiskit(gate: str) -> None:
    qiskit, braket = _unitaries(_program(gate, "i"))
    assert _same_up_to_phase(qiskit, braket)


def test_braket_circuit_survives_the_round_trip() -> None:
    from braket.circuits import Circuit

    circuit = Circuit().h(0).cnot(0, 2).si(1).v(2).phaseshift(1, 0.25).iswap(1, 2).xy(0, 1, 0.5)
    text = braket_to_qasm3(circuit)
    assert 'include "stdgates.inc";' in text
    assert _same_up_to_phase(circuit.to_unitary(), qasm3_to_braket(text).to_unitary())
    qiskit, braket = _unitaries(text)
    assert _same_up_to_phase(qiskit, braket)


def test_include_replaced_only_used_names_defined() -> None:
    text = 'OPENQASM 3.0;\ninclude "stdgates.inc";\nqubit[2] q;\nh q[0];\ncx q[0], q[1];\n'
    shimmed = to_braket_dialect(text)
    assert "include" not in shimmed.text
    assert shimmed.defined == {"cx"}
    assert shimmed.text.index("gate cx") < shimmed.text.index("h q[0]")


def test_registers_named_like_gates_are_left_alone() -> None:
    # `v` and `i` are Braket gates; here they are a register and a loop variable.
    text = (
        "OPENQASM 3.0;\nbit[1] v;\nqubit[1] q;\n"
        "for int i in [0:1] { x q[0]; }\ncnot q[0], q[0];\nv[0] = measure q[0];\n"
    )
    shimmed = to_standard_dialect(text)
    assert shimmed.defined == {"cnot"}
    assert shimmed.text.startswith('OPENQASM 3.0;\ninclude "stdgates.inc";\ngate cnot')


def test_user_definitions_win() -> None:
    text = "OPENQASM 3.0;\ngate cnot a, b { CX a, b; }\nqubit[2] q;\ncnot q[0], q[1];\n"
    assert to_standard_dialect(text).defined == frozenset()


def test_dialects_are_idempotent() -> None:
    standard = 'OPENQASM 3.0;\ninclude "stdgates.inc";\nqubit[2] q;\ncx q[0], q[1];\n'
    assert to_standard_dialect(standard).text == standard
    braket = "OPENQASM 3.0;\nqubit[2] q;\ncnot q[0], q[1];\n"
    assert to_braket_dialect(braket).text == braket


def test_harmless_braket_pragmas_are_dropped_for_qiskit() -> None:
    text = (
        "OPENQASM 3.0;\nbit[1] b;\nqubit[1] q;\nx q[0];\n#pragma braket result probability\n"
        "b[0] = measure q[0];\n"
    )
    circuit = qasm3_to_qiskit(text)
    assert [i.operation.name for i in circuit.data] == ["x", "measure"]
