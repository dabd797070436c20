"""Errors of program conversion. All are `QfractalError`s, so a route can render them."""

from qfractal.errors import InvalidInput, QfractalError


class TranspilationError(InvalidInput):
    """A program cannot be brought to the language asked for."""


class InvalidProgram(TranspilationError):
    """A program is not a valid program of its language (wrong type, does not parse)."""


class NoRouteError(TranspilationError):
    """No chain of converters leads from the program's language to an accepted one."""


class ConversionError(TranspilationError):
    """One converter failed on this program; `source` and `target` name the step."""

    def __init__(self, message: str, *, source: str, target: str) -> None:
        super().__init__(f"cannot convert {source} to {target}: {message}")
        self.source = source
        self.target = target


class MissingSdk(QfractalError):
    """A converter needs a package that is not installed on this server."""

    status_code = 501
