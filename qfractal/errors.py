"""Domain errors. Services raise these; `error_handlers` turns them into responses."""

from typing import Any


class QfractalError(Exception):
    """Something the client asked for cannot be done."""

    status_code = 500

    def __init__(self, detail: str | dict[str, Any]) -> None:
        super().__init__(detail)
        self.detail = detail


class BadRequest(QfractalError):
    status_code = 400


class Unauthorized(QfractalError):
    status_code = 401


class Forbidden(QfractalError):
    status_code = 403


class NotFound(QfractalError):
    status_code = 404


class InvalidInput(QfractalError):
    """A request that is well-formed but breaks a rule (fractal-server answers 422)."""

    status_code = 422


class Conflict(InvalidInput):
    """The request clashes with existing data (duplicate name, object in use)."""
