"""The graph of converters and the search for the fewest-step route through it.

Each edge is a `Converter`: one small function from one language's form to another's.
`ConverterGraph.route` runs a breadth-first search from every language already at hand
(a program's own language, plus whatever a `ProgramForms` cache holds) and stops at the
nearest language the target accepts. Every step costs one: qunicorn weighs its edges the
same way, and a step is a whole parse or export, so counting them is the honest measure.
Ties go to the target listed first, then to the converters registered first.
"""

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from qfractal.quantum.transpilers.errors import (
    ConversionError,
    NoRouteError,
    QfractalError,
)
from qfractal.quantum.transpilers.languages import Language


@dataclass(frozen=True)
class Converter:
    """One edge: `convert` turns a `source` form into a `target` form."""

    source: Language
    target: Language
    convert: Callable[[Any], Any] = field(compare=False)
    note: str = field(default="", compare=False)

    def __call__(self, form: Any) -> Any:
        """Convert `form`; failures of the SDK become `ConversionError`s.

        Raises:
            ConversionError: the converter failed on this program.
            QfractalError: raised by the converter itself (passed through).
        """
        try:
            return self.convert(form)
        except QfractalError:
            raise
        except Exception as exc:
            message = str(exc).strip() or type(exc).__name__
            raise ConversionError(
                message, source=self.source.name, target=self.target.name
            ) from exc


@dataclass(frozen=True)
class Route:
    """The converters to apply, in order, starting from a form in `start`."""

    start: Language
    steps: tuple[Converter, ...] = ()

    @property
    def target(self) -> Language:
        return self.steps[-1].target if self.steps else self.start

    @property
    def languages(self) -> tuple[Language, ...]:
        """Every language on the way, `start` and `target` included."""
        return (self.start, *(step.target for step in self.steps))

    def __len__(self) -> int:
        return len(self.steps)

    def __str__(self) -> str:
        return " -> ".join(language.name for language in self.languages)

    def walk(self, form: Any) -> Iterator[tuple[Language, Any]]:
        """Yield (language, form) after each step, so callers can keep the intermediates."""
        for step in self.steps:
            form = step(form)
            yield step.target, form

    def apply(self, form: Any) -> Any:
        """The form in `target`."""
        result = form
        for _, result in self.walk(form):  # noqa: B007 - the last form is the answer
            pass
        return result


class ConverterGraph:
    """Languages as nodes, converters as directed edges (at most one per pair)."""

    def __init__(self, converters: Iterable[Converter] = ()) -> None:
        self._edges: dict[Language, dict[Language, Converter]] = {}
        for converter in converters:
            self.add(converter)

    def add(self, converter: Converter) -> None:
        """Add an edge.

        Raises:
            ValueError: the graph already converts `source` to `target`.
        """
        edges = self._edges.setdefault(converter.source, {})
        if converter.target in edges:
            raise ValueError(
                f"a converter {converter.source.name} -> {converter.target.name} exists"
            )
        edges[converter.target] = converter

    def converters(self) -> list[Converter]:
        return [c for edges in self._edges.values() for c in edges.values()]

    def converter(self, source: Language, target: Language) -> Converter | None:
        return self._edges.get(source, {}).get(target)

    def without(
        self,
        *,
        languages: Iterable[Language] = (),
        converters: Iterable[tuple[Language, Language]] = (),
    ) -> "ConverterGraph":
        """A copy without the edges touching `languages` and without the listed edges
        (qunicorn's EXCLUDE_FORMATS and EXCLUDE_TRANSPILERS)."""
        banned_languages = set(languages)
        banned_edges = set(converters)
        return ConverterGraph(
            c
            for c in self.converters()
            if c.source not in banned_languages
            and c.target not in banned_languages
            and (c.source, c.target) not in banned_edges
        )

    def distances(self, start: Language | Iterable[Language]) -> dict[Language, int]:
        """Fewest steps from any of `start` to every reachable language."""
        parents = self._search(_as_tuple(start))
        return {language: len(self._steps(parents, language)) for language in parents}

    def route(
        self, start: Language | Iterable[Language], targets: Language | Iterable[Language]
    ) -> Route:
        """The fewest-step route from any language in `start` to any in `targets`.

        Raises:
            NoRouteError: no target is reachable.
        """
        starts = _as_tuple(start)
        wanted = _as_tuple(targets)
        if not starts or not wanted:
            raise NoRouteError("a route needs a start language and a target language")
        parents = self._search(starts)
        best: tuple[int, int, Language] | None = None
        for rank, target in enumerate(wanted):
            if target in parents:
                candidate = (len(self._steps(parents, target)), rank, target)
                best = candidate if best is None else min(best, candidate)
        if best is None:
            raise NoRouteError(_no_route_message(starts, wanted))
        steps = self._steps(parents, best[2])
        return Route(start=steps[0].source if steps else best[2], steps=steps)

    def _search(self, starts: tuple[Language, ...]) -> dict[Language, Converter | None]:
        """Breadth-first search: for each reached language, the edge that reached it."""
        parents: dict[Language, Converter | None] = dict.fromkeys(starts)
        queue = deque(starts)
        while queue:
            here = queue.popleft()
            for there, converter in self._edges.get(here, {}).items():
                if there not in parents:
                    parents[there] = converter
                    queue.append(there)
        return parents

    @staticmethod
    def _steps(
        parents: dict[Language, Converter | None], target: Language
    ) -> tuple[Converter, ...]:
        steps: list[Converter] = []
        edge = parents[target]
        while edge is not None:
            steps.append(edge)
            edge = parents[edge.source]
        return tuple(reversed(steps))


def _as_tuple(languages: Language | Iterable[Language]) -> tuple[Language, ...]:
    if isinstance(languages, Language):
        return (languages,)
    return tuple(dict.fromkeys(languages))


def _no_route_message(starts: tuple[Language, ...], targets: tuple[Language, ...]) -> str:
    names = ", ".join(language.name for language in targets)
    sources = ", ".join(language.name for language in starts)
    message = f"no transpiler route from {sources} to any of {names}"
    if any(language.is_python for language in starts):
        message += (
            "; Python programs are turned into circuits only by the sandboxed Python"
            " runner, which is not enabled here"
        )
    return message
