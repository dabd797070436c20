"""The converter graph: breadth-first routes, ties, exclusions, the shipped edges."""

import itertools

import pytest

from qfractal.quantum.transpilers import (
    SAFE_LANGUAGES,
    Converter,
    ConverterGraph,
    Language,
    NoRouteError,
    build_graph,
    default_graph,
)

L = Language
PILOT_LANGUAGES = {
    "IBM": (L.QISKIT,),
    "AWS": (L.BRAKET,),
    "RIGETTI": (L.QUIL,),
    "QMWARE": (L.QASM2,),
}
"""What each qunicorn v1.0.4 pilot accepts."""


def _edge(source: Language, target: Language) -> Converter:
    return Converter(source, target, lambda form: f"{form}>{target.name}")


def _shortest(graph: ConverterGraph, start: Language, target: Language) -> int | None:
    """Fewest steps by brute force (Floyd-Warshall), independent of the router's search."""
    nodes = list(Language)
    inf = len(nodes) + 1
    dist = {(a, b): 0 if a is b else inf for a in nodes for b in nodes}
    for converter in graph.converters():
        dist[converter.source, converter.target] = 1
    for k, i, j in itertools.product(nodes, nodes, nodes):
        dist[i, j] = min(dist[i, j], dist[i, k] + dist[k, j])
    return None if dist[start, target] == inf else dist[start, target]


def test_fewest_steps_not_first_found() -> None:
    # A long way registered first, a short way second.
    graph = ConverterGraph(
        [
            *(_edge(L.QASM2, L.QISKIT), _edge(L.QISKIT, L.QASM3), _edge(L.QASM3, L.BRAKET)),
            *(_edge(L.QASM2, L.QUIL), _edge(L.QUIL, L.BRAKET)),
        ]
    )
    route = graph.route(L.QASM2, L.BRAKET)
    assert route.languages == (L.QASM2, L.QUIL, L.BRAKET)
    assert route.apply("p") == "p>QUIL>BRAKET"


def test_nearest_of_several_targets_and_ties_follow_target_order() -> None:
    graph = ConverterGraph(
        [_edge(L.QASM2, L.QISKIT), _edge(L.QASM2, L.QUIL), _edge(L.QISKIT, L.BRAKET)]
    )
    assert graph.route(L.QASM2, [L.BRAKET, L.QUIL]).target is L.QUIL
    assert graph.route(L.QASM2, [L.QUIL, L.QISKIT]).target is L.QUIL
    assert graph.route(L.QASM2, [L.QISKIT, L.QUIL]).target is L.QISKIT


def test_already_in_a_target_language_is_zero_steps() -> None:
    route = default_graph().route(L.QISKIT, [L.BRAKET, L.QISKIT])
    assert len(route) == 0 and route.target is L.QISKIT
    assert route.apply("same object") == "same object"


def test_several_starts_use_the_nearest() -> None:
    graph = default_graph()
    assert len(graph.route(L.QASM2, L.BRAKET)) == 3
    route = graph.route([L.QASM2, L.QASM3], L.BRAKET)
    assert route.languages == (L.QASM3, L.BRAKET)


def test_no_route_names_both_ends() -> None:
    with pytest.raises(NoRouteError, match="from PYTHON to any of QISKIT, BRAKET"):
        default_graph().route(L.PYTHON, [L.QISKIT, L.BRAKET])


def test_python_languages_need_the_sandbox() -> None:
    with pytest.raises(NoRouteError, match="sandboxed Python runner, which is not enabled"):
        default_graph().route(L.QISKIT_PYTHON, L.QISKIT)


def test_duplicate_edges_are_refused() -> None:
    with pytest.raises(ValueError, match="QASM2 -> QISKIT exists"):
        ConverterGraph([_edge(L.QASM2, L.QISKIT), _edge(L.QASM2, L.QISKIT)])


def test_exclusions() -> None:
    graph = build_graph(exclude_converters=[(L.QASM3, L.BRAKET)])
    with pytest.raises(NoRouteError):
        graph.route(L.QASM2, L.BRAKET)
    graph = build_graph(exclude_languages=[L.QASM3])
    assert L.QASM3 not in graph.distances(L.QISKIT)


@pytest.mark.parametrize("pilot", list(PILOT_LANGUAGES))
@pytest.mark.parametrize("start", sorted(SAFE_LANGUAGES))
def test_every_safe_language_reaches_every_pilot_by_the_fewest_steps(
    start: Language, pilot: str
) -> None:
    graph = default_graph()
    route = graph.route(start, PILOT_LANGUAGES[pilot])
    assert route.target in PILOT_LANGUAGES[pilot]
    assert len(route) == min(_shortest(graph, start, t) for t in PILOT_LANGUAGES[pilot])
    for step, (a, b) in zip(route.steps, itertools.pairwise(route.languages), strict=True):
        assert (step.source, step.target) == (a, b)


def test_expected_shipped_routes() -> None:
    graph = default_graph()
    assert str(graph.route(L.QASM2, L.BRAKET)) == "QASM2 -> QISKIT -> QASM3 -> BRAKET"
    assert str(graph.route(L.BRAKET, L.QUIL)) == "BRAKET -> QASM3 -> QISKIT -> QUIL"
    assert str(graph.route(L.QUIL, L.QASM2)) == "QUIL -> QISKIT -> QASM2"
    assert str(graph.route(L.QASM3, L.BRAKET)) == "QASM3 -> BRAKET"


def test_a_python_runner_adds_the_python_edges() -> None:
    seen = []

    def runner(language: Language, source: str) -> str:
        # Stands in for the sandbox: returns a fixed circuit, runs nothing.
        seen.append((language, source))
        return "DECLARE ro BIT[1]\nX 0\nMEASURE 0 ro[0]\n"

    graph = build_graph(python_runner=runner)
    route = graph.route(L.QUIL_PYTHON, L.QASM3)
    assert str(route) == "QUIL_PYTHON -> QUIL -> QISKIT -> QASM3"
    assert route.steps[0]("program = ...").startswith("DECLARE ro")
    assert seen == [(L.QUIL_PYTHON, "program = ...")]
    with pytest.raises(NoRouteError):
        graph.route(L.PYTHON_PYTHON, L.QISKIT)
