"""Running a program on the local simulators, results in qfractal's format.

Pure functions meant for worker processes: no database, no HTTP. Each takes the form its
simulator runs and a shot count, and returns a `SampleResult` whose keys follow the one
bit order of `layout`:

| function | simulator | program form |
|---|---|---|
| `run_aer` | qiskit-aer `AerSimulator` | QISKIT (QuantumCircuit) |
| `run_braket_local` | Braket `LocalSimulator("default")` | BRAKET (Circuit) |
| `run_pyquil_local` | pyQuil's numpy wavefunction simulator | QUIL (text or Program) |

`run_local` routes any program (a `ProgramForms`) to the simulator's language first.
Braket and pyQuil only sample final states: a measurement followed by more gates on the
same qubit is refused with `UnsupportedProgram`. Braket circuits are run with every qubit
from 0 to the highest measured, so an idle qubit no longer fails the run ("Non-contiguous
qubit indices" in qunicorn).
"""

import warnings
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import numpy as np

from qfractal.errors import InvalidInput, QfractalError
from qfractal.quantum.results.errors import SimulationError, UnsupportedProgram
from qfractal.quantum.results.estimator import ObservableLike, ValueAndVariance, value_and_variance
from qfractal.quantum.results.layout import (
    ClassicalLayout,
    layout_from_braket,
    layout_from_qiskit,
    layout_from_quil,
    layout_of_program,
)
from qfractal.quantum.results.types import SampleResult
from qfractal.quantum.transpilers import Language, ProgramForms
from qfractal.quantum.transpilers.forms import is_pyquil_program
from qfractal.quantum.transpilers.quil_gates import (
    defined_gate_matrices,
    gate_matrix,
    parse_quil,
    qubit_indices,
)

if TYPE_CHECKING:
    from braket.circuits import Circuit
    from pyquil import Program
    from qiskit import QuantumCircuit

PYQUIL_MAX_QUBITS = 24
"""The numpy wavefunction holds 2**n amplitudes: 24 qubits are 256 MiB."""


class LocalSimulator(StrEnum):
    AER = "aer"
    BRAKET = "braket"
    PYQUIL = "pyquil"


ACCEPTED_LANGUAGES: dict[LocalSimulator, tuple[Language, ...]] = {
    LocalSimulator.AER: (Language.QISKIT,),
    LocalSimulator.BRAKET: (Language.BRAKET,),
    LocalSimulator.PYQUIL: (Language.QUIL,),
}


def _check_shots(shots: int) -> None:
    if isinstance(shots, bool) or not isinstance(shots, int) or shots < 1:
        raise InvalidInput(f"shots must be a positive integer, not {shots!r}")


def run_aer(
    circuit: "QuantumCircuit",
    *,
    shots: int,
    seed: int | None = None,
    method: str = "automatic",
) -> SampleResult:
    """Sample `circuit` on Aer (automatic method: stabilizer for Clifford circuits).

    Raises:
        InvalidInput: bad `shots`.
        SimulationError: Aer failed.
    """
    from qiskit_aer import AerSimulator

    _check_shots(shots)
    layout = layout_from_qiskit(circuit)
    options: dict[str, Any] = {"method": method}
    if seed is not None:
        options["seed_simulator"] = seed
    simulator = AerSimulator(**options)
    try:
        result = simulator.run(_for_aer(circuit, simulator), shots=shots).result()
    except QfractalError:
        raise
    except Exception as exc:
        raise SimulationError(f"Aer failed: {exc}") from exc
    if not result.success:
        raise SimulationError(f"Aer failed: {result.status}")
    raw = result.data(0).get("counts") or {0: shots}
    counts = layout.counts_from_integers({_outcome(k): v for k, v in raw.items()})
    extra = {"backend": "aer_simulator", "method": method, **_seed(seed)}
    return SampleResult(counts, shots, layout.registers, extra)


def _for_aer(circuit: "QuantumCircuit", simulator: Any) -> "QuantumCircuit":
    """`circuit` as Aer runs it: as it is when Aer knows all its operations; transpiled
    otherwise (custom gates). Transpiling a Bell pair takes ~70 ms, running it ~1 ms."""
    from qiskit import transpile

    known = set(simulator.target.operation_names)
    if all(instruction.operation.name in known for instruction in circuit.data):
        return circuit
    return transpile(circuit, simulator)


def _outcome(key: Any) -> int:
    return key if isinstance(key, int) else int(key, 16)


def _seed(seed: int | None) -> dict[str, int]:
    return {"seed": seed} if seed is not None else {}


def run_braket_local(
    circuit: "Circuit", *, shots: int, layout: ClassicalLayout | None = None
) -> SampleResult:
    """Sample `circuit` on Braket's local state-vector simulator.

    The circuit's own measurements are replaced by measuring qubits 0..n-1; the classical
    bits then come from `layout` (default: the circuit's own, see `layout_from_braket`).
    Pass the layout of the program's source form to keep its registers, which a Braket
    circuit cannot hold. Braket's simulator takes no seed.

    Raises:
        InvalidInput: bad `shots`.
        SimulationError: Braket failed.
    """
    from braket.devices import LocalSimulator as BraketSimulator

    _check_shots(shots)
    layout = layout or layout_from_braket(circuit)
    body, num_qubits = braket_measure_all(circuit, layout)
    result = None
    if num_qubits:
        try:
            result = BraketSimulator("default").run(body, shots=shots).result()
        except Exception as exc:
            raise SimulationError(f"Braket's local simulator failed: {exc}") from exc
    counts = braket_counts(result, layout, shots=shots, num_qubits=num_qubits)
    return SampleResult(counts, shots, layout.registers, {"backend": "braket_local_simulator"})


def braket_measure_all(circuit: "Circuit", layout: ClassicalLayout) -> tuple["Circuit", int]:
    """`circuit` without its measurements, then measuring qubits 0..n-1, and n: the qubits
    of `layout` and every qubit a gate uses (nothing is measured when n is 0). Braket runs
    only contiguous qubits; the classical bits come from `layout`, not from the circuit."""
    from braket.circuits import Circuit

    body = Circuit(ins for ins in circuit.instructions if ins.operator.name != "Measure")
    num_qubits = max([layout.num_qubits, *(int(q) + 1 for q in body.qubits)])
    if num_qubits:
        body.measure(range(num_qubits))
    return body, num_qubits


def braket_counts(
    result: Any, layout: ClassicalLayout, *, shots: int, num_qubits: int
) -> dict[str, int]:
    """Counts in `layout`'s keys from a Braket `GateModelQuantumTaskResult` of a circuit
    from `braket_measure_all` (one column per measured qubit; qubits never measured, or
    every qubit when `result` is None, read 0)."""
    samples = np.zeros((shots, num_qubits), dtype=np.uint8)
    if result is not None:
        columns = [int(q) for q in result.measured_qubits]
        samples[:, columns] = np.asarray(result.measurements, dtype=np.uint8)
    return layout.counts_from_qubits(samples)


def run_pyquil_local(
    program: "str | Program",
    *,
    shots: int,
    seed: int | None = None,
    max_qubits: int = PYQUIL_MAX_QUBITS,
) -> SampleResult:
    """Sample a Quil program with pyQuil's numpy wavefunction simulator (no QVM needed).

    The gates are applied once, as matrices computed here (the simulator's own `do_gate`
    ignores DAGGER and CONTROLLED), then `shots` outcomes are drawn from the final
    wavefunction: pyQuil samples only through a QVM, or by listing all 2**n bit strings.

    Raises:
        InvalidInput: bad `shots`.
        UnsupportedProgram: mid-circuit measurement, classical instructions, too many
            qubits, unbound parameters.
    """
    from pyquil import quilbase
    from pyquil.simulation import NumpyWavefunctionSimulator

    _check_shots(shots)
    text = program.out() if is_pyquil_program(program) else program
    parsed = parse_quil(text)
    layout = layout_from_quil(text)
    if layout.num_qubits > max_qubits:
        raise UnsupportedProgram(
            f"the program uses {layout.num_qubits} qubits; the local pyQuil simulator"
            f" takes at most {max_qubits}"
        )
    defined = _quil(defined_gate_matrices, parsed)
    simulator = _quil(NumpyWavefunctionSimulator, max(layout.num_qubits, 1))
    touched: set[int] = set()
    for ins in parsed.instructions:
        if isinstance(ins, quilbase.Declare | quilbase.Pragma | quilbase.Measurement):
            continue
        if isinstance(ins, quilbase.Halt):
            break
        if isinstance(ins, quilbase.Gate):
            qubits = qubit_indices(ins)
            _quil(simulator.do_gate_matrix, _quil(gate_matrix, ins, defined), qubits)
            touched.update(qubits)
        elif isinstance(ins, quilbase.ResetQubit | quilbase.Reset):
            reset = qubit_indices(ins) if isinstance(ins, quilbase.ResetQubit) else touched
            if touched.intersection(reset):
                raise UnsupportedProgram("RESET after gates is not supported locally")
        else:
            raise UnsupportedProgram(f"'{ins}' is not supported by the local pyQuil simulator")
    state = simulator.wf if layout.num_qubits else np.ones(1, dtype=complex)
    samples = _sample(state, layout.num_qubits, shots, np.random.default_rng(seed))
    counts = layout.counts_from_qubits(samples)
    extra = {"backend": "pyquil_numpy_wavefunction", **_seed(seed)}
    return SampleResult(counts, shots, layout.registers, extra)


def _quil(function: Any, *args: Any) -> Any:
    """Call into pyQuil with its v5 deprecation warnings silenced."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        return function(*args)


def _sample(state: np.ndarray, num_qubits: int, shots: int, rng: np.random.Generator) -> np.ndarray:
    """`shots` draws of all qubits from pyQuil's wavefunction tensor (axis q is qubit q,
    so qubit 0 is the most significant bit of the flattened index): `samples[shot, q]`."""
    if num_qubits == 0:
        return np.zeros((shots, 0), dtype=np.uint8)
    probabilities = np.abs(state.reshape(-1)) ** 2
    probabilities /= probabilities.sum()
    outcomes = rng.choice(probabilities.shape[0], size=shots, p=probabilities)
    shifts = np.arange(num_qubits - 1, -1, -1)
    return ((outcomes[:, None] >> shifts) & 1).astype(np.uint8)


def run_local(
    forms: ProgramForms,
    simulator: LocalSimulator,
    *,
    shots: int,
    seed: int | None = None,
) -> SampleResult:
    """Route the program to `simulator`'s language and sample it there.

    Raises:
        NoRouteError, ConversionError, InvalidProgram: the program cannot get there.
        UnsupportedProgram, SimulationError, InvalidInput: see the `run_*` functions.
    """
    if simulator is LocalSimulator.BRAKET:
        # The layout first: it holds the registers, and refuses mid-circuit measurements
        # with a clearer message than Braket's interpreter gives.
        layout = layout_of_program(forms)
        _, circuit = forms.to(ACCEPTED_LANGUAGES[simulator])
        return run_braket_local(circuit, shots=shots, layout=layout)
    _, form = forms.to(ACCEPTED_LANGUAGES[simulator])
    if simulator is LocalSimulator.AER:
        return run_aer(form, shots=shots, seed=seed)
    return run_pyquil_local(form, shots=shots, seed=seed)


def estimate_aer(
    circuit: "QuantumCircuit", observables: list[ObservableLike]
) -> list[ValueAndVariance]:
    """Exact value and variance of each observable in the state `circuit` prepares
    (final measurements removed), from Aer's state vector.

    Raises:
        UnsupportedProgram: the circuit measures before its end.
        SimulationError: Aer failed.
    """
    from qiskit_aer import AerSimulator

    body = circuit.remove_final_measurements(inplace=False)
    if any(instruction.operation.name == "measure" for instruction in body.data):
        raise UnsupportedProgram("the estimator needs a circuit without mid-circuit measurements")
    body.save_statevector()
    simulator = AerSimulator(method="statevector")
    try:
        result = simulator.run(_for_aer(body, simulator)).result()
        state = np.asarray(result.get_statevector())
    except Exception as exc:
        raise SimulationError(f"Aer failed: {exc}") from exc
    return [value_and_variance(state, observable) for observable in observables]
