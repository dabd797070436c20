"""The converters themselves: every input reaches every pilot language and still means
the same circuit; Quil <-> Qiskit gate by gate."""

import numpy as np
import pytest

from qfractal.quantum.results import run_aer
from qfractal.quantum.transpilers import (
    ConversionError,
    InvalidProgram,
    Language,
    transpile,
)
from qfractal.quantum.transpilers.quil_edges import qiskit_to_quil, quil_to_qiskit
from tests.quantum.programs import ASYMMETRIC, BELL, INPUTS

PILOT_TARGETS = (Language.QISKIT, Language.BRAKET, Language.QUIL, Language.QASM2)


@pytest.mark.parametrize("source", list(INPUTS))
def test_every_input_reaches_every_pilot_language_intact(source: str) -> None:
    language, build = INPUTS[source]
    for target in PILOT_TARGETS:
        reached, form = transpile(build(ASYMMETRIC), language, target)
        assert reached is target
        # Bring it back to Qiskit from the converted form alone and run it.
        _, circuit = transpile(form, target, Language.QISKIT)
        assert run_aer(circuit, shots=4).counts == {"0x6": 4}, (source, target)


def test_qiskit_to_quil_text() -> None:
    from qiskit import ClassicalRegister, QuantumCircuit, QuantumRegister

    circuit = QuantumCircuit(
        QuantumRegister(2, "q"), ClassicalRegister(1, "a"), ClassicalRegister(1, "b")
    )
    circuit.h(0)
    circuit.sdg(1)
    circuit.rz(0.5, 1)
    circuit.barrier()
    circuit.cx(0, 1)
    circuit.measure(0, 1)
    circuit.measure(1, 0)
    lines = qiskit_to_quil(circuit).splitlines()
    assert lines[:6] == [
        "DECLARE a BIT[1]",
        "DECLARE b BIT[1]",
        "H 0",
        "DAGGER S 1",
        "RZ(0.5) 1",
        "CNOT 0 1",
    ]
    assert sorted(lines[6:]) == ["MEASURE 0 b[0]", "MEASURE 1 a[0]"]  # they commute


def test_qiskit_gates_outside_quil_are_decomposed() -> None:
    from qiskit import QuantumCircuit
    from qiskit.quantum_info import Operator

    circuit = QuantumCircuit(2)
    circuit.u(0.1, 0.2, 0.3, 0)
    circuit.sx(1)
    circuit.rzz(0.4, 0, 1)
    circuit.cry(0.7, 1, 0)
    back = quil_to_qiskit(qiskit_to_quil(circuit))
    assert Operator(back).equiv(Operator(circuit))


QUIL_GATES = """H 0
RX(pi/3) 1
DAGGER T 2
CONTROLLED RY(0.4) 0 2
DAGGER CONTROLLED S 2 1
CPHASE01(0.3) 0 1
PSWAP(0.2) 1 2
RXX(0.5) 0 2
ISWAP 2 0
CCNOT 1 2 0
"""


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # pyQuil's own unitary tool
def test_quil_to_qiskit_keeps_the_unitary() -> None:
    from pyquil import Program
    from pyquil.simulation.tools import program_unitary
    from qiskit.quantum_info import Operator

    expected = program_unitary(Program(QUIL_GATES), 3)  # pyQuil's own, qubit 0 rightmost
    assert np.allclose(Operator(quil_to_qiskit(QUIL_GATES)).data, expected)


def test_permutation_defgates() -> None:
    from qfractal.quantum.results import run_pyquil_local

    # Quil's first qubit is the most significant: PERM 2 1 is a CNOT from 2 to 1.
    quil = (
        "DEFGATE PERM AS PERMUTATION:\n    0, 1, 3, 2\n\nDECLARE ro BIT[3]\nX 2\nPERM 2 1\n"
        + "".join(f"MEASURE {q} ro[{q}]\n" for q in range(3))
    )
    assert run_pyquil_local(quil, shots=3).counts == {"0x6": 3}
    assert run_aer(quil_to_qiskit(quil), shots=3).counts == {"0x6": 3}


def test_quil_to_qiskit_refuses_what_it_cannot_express() -> None:
    with pytest.raises(InvalidProgram, match="parameters bound"):
        quil_to_qiskit("DECLARE theta REAL[1]\nRX(theta[0]) 0\n")
    with pytest.raises(InvalidProgram, match="FORKED"):
        quil_to_qiskit("FORKED RX(0.1, 0.2) 0 1\n")
    with pytest.raises(InvalidProgram, match="not a valid Quil program"):
        quil_to_qiskit("H 0 0 (\n")


def test_qiskit_to_quil_refuses_control_flow_and_parameters() -> None:
    from qiskit import QuantumCircuit
    from qiskit.circuit import Parameter

    circuit = QuantumCircuit(1, 1)
    circuit.rx(Parameter("theta"), 0)
    with pytest.raises(InvalidProgram, match="unbound parameters: theta"):
        qiskit_to_quil(circuit)
    circuit = QuantumCircuit(1, 1)
    circuit.measure(0, 0)
    with circuit.if_test((circuit.clbits[0], 1)):
        circuit.x(0)
    with pytest.raises(InvalidProgram, match="control flow"):
        qiskit_to_quil(circuit)


def test_sdk_errors_become_conversion_errors() -> None:
    with pytest.raises(ConversionError, match="cannot convert QASM2 to QISKIT") as caught:
        transpile("OPENQASM 2.0;\nqreg q[1];\nfoo q[0];\n", Language.QASM2, Language.QISKIT)
    assert caught.value.status_code == 422
    assert (caught.value.source, caught.value.target) == ("QASM2", "QISKIT")


def test_qrisp_circuits_get_one_classical_register() -> None:
    """qrisp's `to_qiskit` gives each bit its own register; our keys would then read
    `0x1 0x1` where every other language gives `0x3`."""
    _, circuit = transpile(BELL.qrisp(), Language.QRISP, Language.QISKIT)
    assert [(r.name, r.size) for r in circuit.cregs] == [("c", 2)]
    assert set(run_aer(circuit, shots=200).counts) == {"0x0", "0x3"}
    reached, back = transpile(circuit, Language.QISKIT, Language.QRISP)
    assert reached is Language.QRISP and back.num_qubits() == 2
