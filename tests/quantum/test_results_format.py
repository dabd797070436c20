"""The result format and the one bit order, from raw outcomes (no simulator)."""

import numpy as np

from qfractal.quantum.results import (
    ClassicalLayout,
    Register,
    ResultType,
    SampleResult,
    layout_from_braket,
    layout_from_qiskit,
    layout_from_quil,
)

# Registers a (1 bit, flat bit 0) and b (2 bits, flat bits 1-2); a <- q2, b <- q0, q1.
LAYOUT = ClassicalLayout(
    registers=(Register("a", 1), Register("b", 2)),
    clbits=((0,), (1, 2)),
    measured={0: 2, 1: 0, 2: 1},
    num_clbits=3,
    num_qubits=3,
)


def test_keys_are_hex_per_register_last_register_first() -> None:
    assert LAYOUT.key([1, 0, 1]) == "0x2 0x1"
    assert LAYOUT.counts_from_integers({0b101: 3, 0b000: 1}) == {"0x0 0x0": 1, "0x2 0x1": 3}


def test_qubit_samples_go_through_the_measurements() -> None:
    samples = np.array([[1, 0, 0], [1, 0, 0], [0, 1, 1]])  # samples[shot, qubit]
    assert LAYOUT.counts_from_qubits(samples) == {"0x1 0x0": 2, "0x2 0x1": 1}


def test_metadata_and_probabilities() -> None:
    result = SampleResult({"0x0 0x0": 1, "0x2 0x1": 3}, 4, LAYOUT.registers, {"backend": "x"})
    counts, probabilities = result.results()
    assert counts.result_type is ResultType.COUNTS
    assert counts.metadata == {
        "backend": "x",
        "format": "hex",
        "shots": 4,
        "registers": [{"name": "b", "size": 2}, {"name": "a", "size": 1}],
    }
    assert probabilities.result_type is ResultType.PROBABILITIES
    assert probabilities.data == {"0x0 0x0": 0.25, "0x2 0x1": 0.75}


def test_the_same_circuit_has_the_same_layout_in_each_sdk() -> None:
    """X on qubit 0 of 3, each qubit measured into its bit: Braket writes this outcome as
    the string "100" and pyQuil samples [1, 0, 0]; all must read 0x1."""
    from braket.circuits import Circuit
    from qiskit import QuantumCircuit

    qiskit = QuantumCircuit(3, 3)
    qiskit.x(0)
    qiskit.measure([0, 1, 2], [0, 1, 2])
    layouts = [
        layout_from_qiskit(qiskit),
        layout_from_braket(Circuit().x(0).measure([0, 1, 2])),
        layout_from_quil(
            "DECLARE ro BIT[3]\nX 0\n" + "".join(f"MEASURE {q} ro[{q}]\n" for q in range(3))
        ),
    ]
    braket_string = "100"  # qubit 0 leftmost
    samples = np.array([[int(c) for c in braket_string]])
    assert {layout.counts_from_qubits(samples)["0x1"] for layout in layouts} == {1}
    assert layouts[0].counts_from_integers({1: 1}) == {"0x1": 1}


def test_qiskit_layout_handles_register_aliases() -> None:
    from qiskit import ClassicalRegister, QuantumCircuit

    c = ClassicalRegister(2, "c")
    alias = ClassicalRegister(bits=[c[1]], name="alias")
    circuit = QuantumCircuit(2)
    circuit.add_register(c)
    circuit.add_register(alias)
    circuit.x(1)
    circuit.measure([0, 1], [0, 1])
    layout = layout_from_qiskit(circuit)
    assert layout.counts_from_integers({0b10: 5}) == {"0x1 0x2": 5}
