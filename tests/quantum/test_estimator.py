import numpy as np
import pytest

from qfractal.quantum.results import (
    LocalSimulator,
    Observable,
    ResultType,
    UnsupportedProgram,
    estimate_aer,
    run_local,
    value_and_variance,
    value_and_variance_from_counts,
)
from qfractal.quantum.results.estimator import apply_pauli
from qfractal.quantum.transpilers import InvalidProgram, Language, ProgramForms
from tests.quantum.programs import BELL

OBSERVABLES = [
    ("ZZ", 1.0, 0.0),
    ("XX", 1.0, 0.0),
    ("YY", -1.0, 0.0),
    ("ZI", 0.0, 1.0),
    ({"ZZ": 1.0, "XI": 2.0}, 1.0, 4.0),  # ZZ and XI anticommute: <O^2> = 1 + 4
    ([("ZZ", 0.5), ("XX", 0.5)], 1.0, 0.0),
]


def test_bell_pair_on_aer() -> None:
    results = estimate_aer(BELL.qiskit(), [spec for spec, _, _ in OBSERVABLES])
    for (spec, value, variance), got in zip(OBSERVABLES, results, strict=True):
        assert got.value == pytest.approx(value, abs=1e-9), spec
        assert got.variance == pytest.approx(variance, abs=1e-9), spec
    stored = results[0].result(shots=None)
    assert stored.result_type is ResultType.VALUE_AND_VARIANCE
    assert stored.data == {"value": pytest.approx(1.0), "variance": pytest.approx(0.0)}
    assert stored.metadata["observable"] == [["ZZ", 1.0]]


def test_pauli_action_matches_qiskit() -> None:
    from qiskit.quantum_info import SparsePauliOp, Statevector, random_statevector

    state: Statevector = random_statevector(8, seed=11)
    for label in ["XYZ", "IYI", "ZZX", "YYY", "III"]:
        expected = SparsePauliOp(label).to_matrix() @ state.data
        assert np.allclose(apply_pauli(label, state.data), expected), label
        got = value_and_variance(state.data, [(label, 0.7)])
        assert got.value == pytest.approx(state.expectation_value(SparsePauliOp(label, 0.7)).real)


def test_from_counts_for_diagonal_observables() -> None:
    for simulator in LocalSimulator:
        sample = run_local(ProgramForms(Language.QASM2, BELL.qasm2()), simulator, shots=400, seed=2)
        zz = value_and_variance_from_counts(sample, "ZZ")
        assert (zz.value, zz.variance) == (1.0, 0.0)
        zi = value_and_variance_from_counts(sample, {"ZI": 1.0})
        assert abs(zi.value) < 0.3 and zi.variance == pytest.approx(1 - zi.value**2)
        with pytest.raises(UnsupportedProgram, match="I and Z only"):
            value_and_variance_from_counts(sample, "XX")


def test_observables_are_validated() -> None:
    with pytest.raises(InvalidProgram, match="not a Pauli label"):
        Observable.parse("ZA")
    with pytest.raises(InvalidProgram, match="same length"):
        Observable.parse({"ZZ": 1, "Z": 1})
    with pytest.raises(InvalidProgram, match="must be real"):
        Observable.parse([("ZZ", 1j)])
    with pytest.raises(InvalidProgram, match="acts on 3 qubits, the circuit has 2"):
        estimate_aer(BELL.qiskit(), ["ZZZ"])
