"""The converter graph qfractal ships, and routing a program through it.

| from | to |
|---|---|
| QASM2 | QISKIT |
| QASM3 | QISKIT, BRAKET (either OpenQASM 3 dialect) |
| QISKIT | QASM2, QASM3, QUIL, QRISP |
| BRAKET | QASM3 |
| QUIL | QISKIT |
| QRISP | QISKIT (needs qrisp) |
| X_PYTHON | X (only with a sandboxed `PythonRunner`) |

Every safe language reaches every other one; e.g. QASM2 -> BRAKET is QASM2 -> QISKIT ->
QASM3 -> BRAKET and BRAKET -> QUIL is BRAKET -> QASM3 -> QISKIT -> QUIL.
"""

from collections.abc import Iterable
from functools import cache
from typing import Any

from qfractal.quantum.transpilers import braket_edges, qiskit_edges, qrisp_edges, quil_edges
from qfractal.quantum.transpilers.forms import normalize_form
from qfractal.quantum.transpilers.graph import ConverterGraph
from qfractal.quantum.transpilers.languages import Language
from qfractal.quantum.transpilers.python_edges import PythonRunner, python_converters


def build_graph(
    *,
    python_runner: PythonRunner | None = None,
    exclude_languages: Iterable[Language] = (),
    exclude_converters: Iterable[tuple[Language, Language]] = (),
) -> ConverterGraph:
    """The shipped converters, plus the Python edges when a sandbox runner is given."""
    graph = ConverterGraph(
        [
            *qiskit_edges.CONVERTERS,
            *braket_edges.CONVERTERS,
            *quil_edges.CONVERTERS,
            *qrisp_edges.CONVERTERS,
        ]
    )
    if python_runner is not None:
        for converter in python_converters(python_runner):
            graph.add(converter)
    return graph.without(languages=exclude_languages, converters=exclude_converters)


@cache
def default_graph() -> ConverterGraph:
    """The shipped converters without Python edges (built once per process)."""
    return build_graph()


def transpile(
    program: Any,
    language: Language,
    targets: Language | Iterable[Language],
    *,
    graph: ConverterGraph | None = None,
) -> tuple[Language, Any]:
    """`program` (a `language` form) converted to the nearest of `targets`.

    Returns the language reached and the converted form. To keep the intermediate forms,
    use `ProgramForms`.

    Raises:
        InvalidProgram: `program` is not a `language` form.
        NoRouteError: no target is reachable.
        ConversionError: a converter failed.
    """
    form = normalize_form(language, program)
    route = (graph or default_graph()).route(language, targets)
    return route.target, route.apply(form)
