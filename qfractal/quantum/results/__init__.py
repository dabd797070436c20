"""Results of quantum programs in qfractal's (qunicorn v1.0.4 compatible) format, and the
local simulators that produce them. See `types` for the format, `layout` for the one bit
order shared by every provider, `estimator` for VALUE_AND_VARIANCE, `simulators` for Aer,
Braket's local simulator and pyQuil's wavefunction simulator.

Importing this package does not import qiskit, braket or pyquil; running does.
"""

from qfractal.quantum.results.errors import SimulationError, UnsupportedProgram
from qfractal.quantum.results.estimator import (
    Observable,
    PauliTerm,
    ValueAndVariance,
    value_and_variance,
    value_and_variance_from_counts,
)
from qfractal.quantum.results.layout import (
    ClassicalLayout,
    layout_from_braket,
    layout_from_qiskit,
    layout_from_quil,
    layout_of,
    layout_of_program,
)
from qfractal.quantum.results.simulators import (
    ACCEPTED_LANGUAGES,
    LocalSimulator,
    estimate_aer,
    run_aer,
    run_braket_local,
    run_local,
    run_pyquil_local,
)
from qfractal.quantum.results.types import Register, ResultData, ResultType, SampleResult

__all__ = [
    "ACCEPTED_LANGUAGES",
    "ClassicalLayout",
    "LocalSimulator",
    "Observable",
    "PauliTerm",
    "Register",
    "ResultData",
    "ResultType",
    "SampleResult",
    "SimulationError",
    "UnsupportedProgram",
    "ValueAndVariance",
    "estimate_aer",
    "layout_from_braket",
    "layout_from_qiskit",
    "layout_from_quil",
    "layout_of",
    "layout_of_program",
    "run_aer",
    "run_braket_local",
    "run_local",
    "run_pyquil_local",
    "value_and_variance",
    "value_and_variance_from_counts",
]
