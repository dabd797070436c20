"""VALUE_AND_VARIANCE: expectation values of observables given as weighted Pauli strings.

A Pauli label uses Qiskit's order: the rightmost character acts on qubit 0 (for counts:
on classical bit 0 of the first register). An observable is a real-weighted sum of
labels, written as `"ZZ"`, `{"ZZ": 1.0, "XI": 0.5}` or `[("ZZ", 1.0), ("XI", 0.5)]`.

`value_and_variance` is exact, from a state vector: value <psi|O|psi>, variance
<psi|O^2|psi> - value^2 (the spread of single-shot outcomes, not the error of a mean).
`value_and_variance_from_counts` estimates the same from measured counts, for observables
made of I and Z only.

qunicorn's ESTIMATOR always measured one fixed observable (Y...Y) and stored value and
variance as strings; here the caller gives the observables and the numbers stay numbers.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from qfractal.quantum.results.errors import UnsupportedProgram
from qfractal.quantum.results.types import ResultData, ResultType, SampleResult
from qfractal.quantum.transpilers.errors import InvalidProgram

_PAULI = frozenset("IXYZ")


@dataclass(frozen=True)
class PauliTerm:
    label: str
    coefficient: float


@dataclass(frozen=True)
class Observable:
    terms: tuple[PauliTerm, ...]

    @property
    def num_qubits(self) -> int:
        return len(self.terms[0].label)

    @classmethod
    def parse(cls, spec: "ObservableLike") -> "Observable":
        """An observable from a label, a {label: coefficient} mapping or (label,
        coefficient) pairs.

        Raises:
            InvalidProgram: empty, unknown letters, unequal lengths, complex coefficients.
        """
        if isinstance(spec, Observable):
            return spec
        if isinstance(spec, str):
            pairs: list[tuple[Any, Any]] = [(spec, 1.0)]
        elif isinstance(spec, Mapping):
            pairs = list(spec.items())
        else:
            pairs = [(item, 1.0) if isinstance(item, str) else tuple(item) for item in spec]
        terms = tuple(_term(*pair) for pair in pairs)
        if not terms:
            raise InvalidProgram("an observable needs at least one Pauli term")
        if len({len(term.label) for term in terms}) != 1:
            raise InvalidProgram("all Pauli labels of an observable must have the same length")
        return cls(terms)

    def as_list(self) -> list[list[Any]]:
        return [[term.label, term.coefficient] for term in self.terms]


ObservableLike = Observable | str | Mapping[str, complex] | Iterable[Any]


def _term(label: Any, coefficient: Any = 1.0) -> PauliTerm:
    if not isinstance(label, str) or not label or not set(label.upper()) <= _PAULI:
        raise InvalidProgram(f"{label!r} is not a Pauli label (letters I, X, Y, Z)")
    value = complex(coefficient)
    if abs(value.imag) > 1e-12:
        raise InvalidProgram(f"the coefficient of {label} must be real, not {coefficient}")
    return PauliTerm(label.upper(), value.real)


@dataclass(frozen=True)
class ValueAndVariance:
    value: float
    variance: float
    observable: Observable

    def result(self, **metadata: Any) -> ResultData:
        return ResultData(
            ResultType.VALUE_AND_VARIANCE,
            {"value": self.value, "variance": self.variance},
            {**metadata, "observable": self.observable.as_list()},
        )


def apply_pauli(label: str, state: np.ndarray) -> np.ndarray:
    """P|state> for the Pauli string `label` (little-endian amplitudes: bit k of the
    index is qubit k, as in Qiskit)."""
    x_mask = z_mask = 0
    y_count = 0
    for qubit, letter in enumerate(reversed(label)):
        if letter in "XY":
            x_mask |= 1 << qubit
        if letter in "ZY":
            z_mask |= 1 << qubit
        y_count += letter == "Y"
    indices = np.arange(state.shape[0])
    parity = np.zeros(state.shape[0], dtype=np.int64)
    masked = indices & z_mask
    while masked.any():
        parity ^= masked & 1
        masked >>= 1
    # Y = iXZ on each qubit: apply Z's signs, flip the X bits, then the phase i^(#Y).
    phased = state * (1 - 2 * parity) * (1j**y_count)
    out = np.empty_like(phased)
    out[indices ^ x_mask] = phased
    return out


def value_and_variance(statevector: Any, observable: ObservableLike) -> ValueAndVariance:
    """Exact value and variance of `observable` in a state (Qiskit's amplitude order).

    Raises:
        InvalidProgram: the observable's width is not the state's number of qubits.
    """
    parsed = Observable.parse(observable)
    state = np.asarray(statevector, dtype=complex).reshape(-1)
    num_qubits = round(np.log2(state.shape[0]))
    if parsed.num_qubits != num_qubits:
        raise InvalidProgram(
            f"the observable acts on {parsed.num_qubits} qubits, the circuit has {num_qubits}"
        )
    image = np.zeros_like(state)
    for term in parsed.terms:
        image += term.coefficient * apply_pauli(term.label, state)
    value = float(np.vdot(state, image).real)
    variance = max(float(np.vdot(image, image).real) - value**2, 0.0)
    return ValueAndVariance(value, variance, parsed)


def value_and_variance_from_counts(
    sample: SampleResult, observable: ObservableLike
) -> ValueAndVariance:
    """Value and variance of an I/Z observable estimated from measured counts.

    Label position k (from the right) reads flat classical bit k: the registers' bits
    concatenated in declaration order.

    Raises:
        UnsupportedProgram: the observable has X or Y terms (they need basis changes).
        InvalidProgram: its width is not the number of classical bits.
    """
    parsed = Observable.parse(observable)
    if any(set(term.label) - {"I", "Z"} for term in parsed.terms):
        raise UnsupportedProgram("estimating from counts needs an observable of I and Z only")
    width = sum(register.size for register in sample.registers)
    if parsed.num_qubits != width:
        raise InvalidProgram(
            f"the observable acts on {parsed.num_qubits} bits, the counts have {width}"
        )
    total = sum(sample.counts.values())
    if not total:
        raise UnsupportedProgram("no counts to estimate from")
    sizes = [register.size for register in sample.registers]
    first = second = 0.0
    for key, count in sample.counts.items():
        bits = _flat_bits(key, sizes)
        eigenvalue = sum(
            term.coefficient
            * (-1) ** sum(bits[k] for k, letter in enumerate(reversed(term.label)) if letter == "Z")
            for term in parsed.terms
        )
        first += count * eigenvalue
        second += count * eigenvalue**2
    value = first / total
    return ValueAndVariance(value, max(second / total - value**2, 0.0), parsed)


def _flat_bits(key: str, sizes: list[int]) -> list[int]:
    """Classical bit values from a result key (whose parts are the registers reversed)."""
    bits: list[int] = []
    for part, size in zip(reversed(key.split()), sizes, strict=True):
        value = int(part, 16)
        bits.extend((value >> i) & 1 for i in range(size))
    return bits
