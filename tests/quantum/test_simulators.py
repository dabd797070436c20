"""Every input form on every local simulator, real simulators only."""

import pytest

from qfractal.errors import InvalidInput
from qfractal.quantum.results import (
    LocalSimulator,
    UnsupportedProgram,
    run_aer,
    run_braket_local,
    run_local,
    run_pyquil_local,
)
from qfractal.quantum.transpilers import Language, ProgramForms
from tests.quantum.programs import ASYMMETRIC, BELL, CASES, INPUTS, assert_counts

BELL_SHOTS = 400
SHOTS = 16


@pytest.mark.parametrize("simulator", list(LocalSimulator))
@pytest.mark.parametrize("source", list(INPUTS))
def test_qunicorn_circuits(source: str, simulator: LocalSimulator) -> None:
    """Bell ~50/50 0x0/0x3; H.H+CX -> 0x0; HSSH, HZH, Y -> 0x1; X,X,CCX -> 0x7; and
    X(1),CX(1,2) -> 0x6, which any bit-order mix-up turns into 0x3."""
    language, build = INPUTS[source]
    for case in (*CASES, ASYMMETRIC):
        shots = BELL_SHOTS if case is BELL else SHOTS
        result = run_local(ProgramForms(language, build(case)), simulator, shots=shots, seed=7)
        assert_counts(result.counts, case, shots)
        assert result.shots == shots
        assert result.metadata["format"] == "hex"
        assert [r["size"] for r in result.metadata["registers"]] == [case.num_qubits]
        assert sum(result.probabilities.values()) == pytest.approx(1.0)


MULTI_QASM2 = """OPENQASM 2.0;
include "qelib1.inc";
qreg q[4];
creg a[1];
creg b[2];
creg flag[1];
x q[0];
x q[2];
x q[3];
measure q[0] -> a[0];
measure q[1] -> b[0];
measure q[2] -> b[1];
measure q[3] -> flag[0];
"""


@pytest.mark.parametrize("simulator", list(LocalSimulator))
def test_several_registers_last_register_first(simulator: LocalSimulator) -> None:
    result = run_local(ProgramForms(Language.QASM2, MULTI_QASM2), simulator, shots=10, seed=1)
    assert result.counts == {"0x1 0x2 0x1": 10}
    assert result.metadata["registers"] == [
        {"name": "flag", "size": 1},
        {"name": "b", "size": 2},
        {"name": "a", "size": 1},
    ]
    assert result.probabilities == {"0x1 0x2 0x1": 1.0}


def test_quil_registers_keep_their_written_order() -> None:
    # pyQuil lists declarations in hash order; the key must follow the text.
    quil = "DECLARE zeta BIT[1]\nDECLARE alpha BIT[2]\nX 1\nMEASURE 0 zeta[0]\nMEASURE 1 alpha[1]\n"
    for simulator in LocalSimulator:
        result = run_local(ProgramForms(Language.QUIL, quil), simulator, shots=5, seed=1)
        assert result.counts == {"0x2 0x0": 5}, simulator
        assert result.metadata["registers"] == [
            {"name": "alpha", "size": 2},
            {"name": "zeta", "size": 1},
        ]


def _x_on_qubit_0() -> dict[str, object]:
    from braket.circuits import Circuit
    from pyquil import Program
    from qiskit import QuantumCircuit

    qiskit = QuantumCircuit(3, 3)
    qiskit.x(0)
    qiskit.measure([0, 1, 2], [0, 1, 2])
    return {
        "qasm2": (
            'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[3];\ncreg c[3];\nx q[0];\n'
            "measure q -> c;\n"
        ),
        "qiskit": qiskit,
        # Idle qubits 1 and 2 only measured: qunicorn's AWS pilot failed on these.
        "braket": Circuit().x(0).measure([0, 1, 2]),
        "quil": Program(
            "DECLARE ro BIT[3]\nX 0\nMEASURE 0 ro[0]\nMEASURE 1 ro[1]\nMEASURE 2 ro[2]"
        ),
    }


def test_same_circuit_same_key_on_every_simulator() -> None:
    languages = {
        "qasm2": Language.QASM2,
        "qiskit": Language.QISKIT,
        "braket": Language.BRAKET,
        "quil": Language.QUIL,
    }
    keys = set()
    for name, program in _x_on_qubit_0().items():
        for simulator in LocalSimulator:
            forms = ProgramForms(languages[name], program)
            counts = run_local(forms, simulator, shots=8, seed=3).counts
            keys.add((name, simulator, tuple(counts)))
    assert {key for _, _, key in keys} == {("0x1",)}, keys


def test_direct_runners_take_their_native_forms() -> None:
    programs = _x_on_qubit_0()
    assert run_aer(programs["qiskit"], shots=4).counts == {"0x1": 4}
    assert run_braket_local(programs["braket"], shots=4).counts == {"0x1": 4}
    assert run_pyquil_local(programs["quil"], shots=4).counts == {"0x1": 4}
    assert run_pyquil_local(programs["quil"].out(), shots=4).counts == {"0x1": 4}


def test_braket_circuit_without_measurements_measures_all_qubits() -> None:
    from braket.circuits import Circuit

    result = run_braket_local(Circuit().x(0).i(2), shots=3)
    assert result.counts == {"0x1": 3}
    assert result.metadata["registers"] == [{"name": "b", "size": 2}]


def test_no_classical_bits_gives_empty_counts() -> None:
    from qiskit import QuantumCircuit

    circuit = QuantumCircuit(1)
    circuit.h(0)
    for simulator in LocalSimulator:
        result = run_local(ProgramForms(Language.QISKIT, circuit), simulator, shots=5)
        assert result.counts == {} and result.probabilities == {}
        assert result.metadata["shots"] == 5 and result.metadata["registers"] == []


def test_pyquil_modifiers_and_defgates() -> None:
    quil = """DEFGATE MYX:
    0, 1
    1, 0

DECLARE ro BIT[3]
H 0
DAGGER S 0
DAGGER DAGGER S 0
H 0
MYX 1
CONTROLLED X 1 2
MEASURE 0 ro[0]
MEASURE 1 ro[1]
MEASURE 2 ro[2]
"""
    # H S^dag S H = I on qubit 0; MYX flips 1; CONTROLLED X copies it onto 2.
    assert run_pyquil_local(quil, shots=6, seed=1).counts == {"0x6": 6}
    assert run_local(ProgramForms(Language.QUIL, quil), LocalSimulator.AER, shots=6).counts == {
        "0x6": 6
    }


def test_seeded_runs_repeat() -> None:
    circuit = BELL.qiskit()
    assert run_aer(circuit, shots=50, seed=5).counts == run_aer(circuit, shots=50, seed=5).counts
    quil = BELL.quil()
    assert run_pyquil_local(quil, shots=50, seed=5) == run_pyquil_local(quil, shots=50, seed=5)


MID_CIRCUIT = """OPENQASM 2.0;
include "qelib1.inc";
qreg q[1];
creg c[2];
measure q[0] -> c[0];
x q[0];
measure q[0] -> c[1];
"""


def test_mid_circuit_measurement_runs_on_aer_only() -> None:
    forms = ProgramForms(Language.QASM2, MID_CIRCUIT)
    assert run_local(forms, LocalSimulator.AER, shots=5).counts == {"0x2": 5}
    for simulator in (LocalSimulator.BRAKET, LocalSimulator.PYQUIL):
        with pytest.raises(UnsupportedProgram, match="after it was measured"):
            run_local(forms, simulator, shots=5)


@pytest.mark.parametrize("shots", [0, -1, 1.5, True])
def test_shots_must_be_positive(shots: object) -> None:
    with pytest.raises(InvalidInput, match="shots"):
        run_pyquil_local("DECLARE ro BIT[1]\nMEASURE 0 ro[0]", shots=shots)  # type: ignore[arg-type]
