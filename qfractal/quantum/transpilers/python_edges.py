"""The boundary to user Python: `*_PYTHON` programs become circuits only in a sandbox.

qfractal never exec()s user code in the server or a worker. A `PythonRunner` (built with
the sandboxed subprocess: time, memory and file limits, no network, no secrets) takes the
source of a `QISKIT_PYTHON`, `BRAKET_PYTHON`, `QRISP_PYTHON` or `QUIL_PYTHON` program and
returns the circuit object the program built, in the form of `language.python_target`
(a QuantumCircuit, a Braket Circuit, a Qrisp circuit, or Quil text / a pyQuil Program).
How the object crosses the process boundary (QPY, OpenQASM, Quil text) is the runner's
business. PYTHON and PYTHON_PYTHON build no circuit and get no edge.

Graphs built without a runner have no edges out of the Python languages, so routing such
a program fails with `NoRouteError` — qunicorn's default ("unsafe transpilers excluded").
"""

from typing import Any, Protocol

from qfractal.quantum.transpilers.forms import normalize_form
from qfractal.quantum.transpilers.graph import Converter
from qfractal.quantum.transpilers.languages import PYTHON_TARGETS, Language


class PythonRunner(Protocol):
    def __call__(self, language: Language, source: str) -> Any:
        """Run `source` (a `language` program) in the sandbox; return the circuit it built.

        Raises:
            QfractalError: the program failed, timed out or built no circuit.
        """
        ...


def python_converters(runner: PythonRunner) -> tuple[Converter, ...]:
    """One edge `X_PYTHON -> X` per circuit-building Python language, through `runner`."""

    def edge(language: Language, target: Language) -> Converter:
        def convert(source: str) -> Any:
            return normalize_form(target, runner(language, source))

        return Converter(language, target, convert, "sandboxed Python runner")

    return tuple(edge(language, target) for language, target in PYTHON_TARGETS.items())
