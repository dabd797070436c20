"""Program languages, the converter graph between them, and the fewest-step router.

Importing this package is cheap: the SDKs (qiskit, braket, pyquil, qrisp) are imported by
the converters when they first run. See `languages` for what a program of each language
is in memory, `router` for the shipped edges, `python_edges` for the sandbox boundary.
"""

from qfractal.quantum.transpilers.cache import ProgramForms
from qfractal.quantum.transpilers.errors import (
    ConversionError,
    InvalidProgram,
    MissingSdk,
    NoRouteError,
    TranspilationError,
)
from qfractal.quantum.transpilers.forms import normalize_form
from qfractal.quantum.transpilers.graph import Converter, ConverterGraph, Route
from qfractal.quantum.transpilers.languages import (
    OBJECT_LANGUAGES,
    PYTHON_LANGUAGES,
    SAFE_LANGUAGES,
    TEXT_LANGUAGES,
    Language,
)
from qfractal.quantum.transpilers.python_edges import PythonRunner
from qfractal.quantum.transpilers.router import build_graph, default_graph, transpile

__all__ = [
    "OBJECT_LANGUAGES",
    "PYTHON_LANGUAGES",
    "SAFE_LANGUAGES",
    "TEXT_LANGUAGES",
    "ConversionError",
    "Converter",
    "ConverterGraph",
    "InvalidProgram",
    "Language",
    "MissingSdk",
    "NoRouteError",
    "ProgramForms",
    "PythonRunner",
    "Route",
    "TranspilationError",
    "build_graph",
    "default_graph",
    "normalize_form",
    "transpile",
]
