"""`ProgramForms`: every form of one program met so far, keyed by language.

A job converts a program once per target language; the forms on the way are kept, so the
next conversion starts from whichever cached form is nearest (a breadth-first search from
all of them at once). Text forms can be persisted (qunicorn's TranslatedProgram table)
and fed back through `restore`.
"""

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from qfractal.quantum.transpilers.forms import normalize_form
from qfractal.quantum.transpilers.graph import ConverterGraph, Route
from qfractal.quantum.transpilers.languages import Language
from qfractal.quantum.transpilers.router import default_graph


class ProgramForms:
    """The forms of one program. `source_language` is the language it was written in.

    `distance(language)` is the number of conversion steps from the source form, which
    tells a persisted form's provenance; routing itself treats every cached form alike.
    """

    def __init__(
        self, language: Language, program: Any, *, graph: ConverterGraph | None = None
    ) -> None:
        self.source_language = language
        self._graph = graph
        self._forms: dict[Language, Any] = {language: normalize_form(language, program)}
        self._distances: dict[Language, int] = {language: 0}

    @classmethod
    def restore(
        cls,
        language: Language,
        program: Any,
        cached: Mapping[Language, tuple[Any, int]],
        *,
        graph: ConverterGraph | None = None,
    ) -> "ProgramForms":
        """Rebuild from a source and previously persisted `{language: (form, distance)}`."""
        forms = cls(language, program, graph=graph)
        for cached_language, (form, distance) in cached.items():
            if cached_language is not language:
                forms.add(cached_language, form, distance=distance)
        return forms

    @property
    def graph(self) -> ConverterGraph:
        return self._graph or default_graph()

    @property
    def source(self) -> Any:
        return self._forms[self.source_language]

    def __contains__(self, language: object) -> bool:
        return language in self._forms

    def __getitem__(self, language: Language) -> Any:
        return self._forms[language]

    def __iter__(self) -> Iterator[Language]:
        return iter(self._forms)

    def get(self, language: Language) -> Any | None:
        return self._forms.get(language)

    def distance(self, language: Language) -> int:
        return self._distances[language]

    def add(self, language: Language, form: Any, *, distance: int) -> None:
        """Cache `form` as the program in `language` (checked like a source form)."""
        self._forms[language] = normalize_form(language, form)
        self._distances[language] = distance

    def route_to(self, targets: Language | Iterable[Language]) -> Route:
        """The fewest-step route from any cached form to any of `targets`.

        Raises:
            NoRouteError: no target is reachable.
        """
        return self.graph.route(tuple(self._forms), targets)

    def to(self, targets: Language | Iterable[Language]) -> tuple[Language, Any]:
        """The program in the nearest of `targets`, caching every form on the way.

        Raises:
            NoRouteError: no target is reachable.
            ConversionError, InvalidProgram, MissingSdk: a step failed.
        """
        route = self.route_to(targets)
        distance = self._distances[route.start]
        for step, (language, converted) in enumerate(route.walk(self._forms[route.start]), 1):
            if language not in self._forms:
                self.add(language, converted, distance=distance + step)
        return route.target, self._forms[route.target]

    def text_forms(self) -> dict[Language, tuple[str, int]]:
        """The cached text forms other than the source, with their distances: what can be
        persisted and given back to `restore`."""
        return {
            language: (form, self._distances[language])
            for language, form in self._forms.items()
            if isinstance(form, str) and language is not self.source_language
        }
