"""Errors of the quantum face and their one envelope under `/quantum`.

Every error answered under `/quantum` (domain errors, validation, unknown routes, 401,
unexpected failures) has qunicorn's shape `{"code": 404, "status": "Not Found",
"message": "..."}`. Validation errors (422) add `"errors"`: where (`json`, `query`,
`path`, `headers`) → field path (`programs.0.assemblerLanguage`) → messages. The rest of
the server keeps its `{"detail": ...}` bodies: `install_quantum_errors` wraps the
handlers `qfractal.error_handlers` installed and picks by path.
"""

import logging
from collections.abc import Awaitable, Callable
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from qfractal.errors import InvalidInput, QfractalError, Unauthorized

logger = logging.getLogger(__name__)

PREFIX = "/quantum"

Handler = Callable[[Request, Exception], Awaitable[Response] | Response]


class NotSupported(QfractalError):
    """The provider or this server cannot do what was asked (qunicorn answers 501)."""

    status_code = 501


class FieldError(InvalidInput):
    """A value that passed the schema but breaks a rule; names its field (422)."""

    def __init__(self, field: str, message: str, *, where: str = "json") -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.where = where
        self.field_message = message


def envelope(code: int, message: str, errors: dict[str, Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"code": code, "status": _phrase(code), "message": message}
    if errors is not None:
        body["errors"] = errors
    return body


def _phrase(code: int) -> str:
    try:
        return HTTPStatus(code).phrase
    except ValueError:
        return "Error"


def is_quantum_path(request: Request) -> bool:
    path: str = request.scope.get("path", "")
    root: str = request.scope.get("root_path", "")
    if root and path.startswith(root):
        path = path[len(root) :]
    return path == PREFIX or path.startswith(PREFIX + "/")


_WHERE = {"body": "json", "query": "query", "path": "path", "header": "headers"}


def _clean(message: str) -> str:
    for prefix in ("Value error, ", "Assertion failed, "):
        if message.startswith(prefix):
            return message[len(prefix) :]
    return message


def validation_errors(exc: RequestValidationError) -> dict[str, dict[str, list[str]]]:
    """`{"json": {"programs.0.assemblerLanguage": ["..."]}, "query": {...}}`."""
    errors: dict[str, dict[str, list[str]]] = {}
    for error in exc.errors():
        loc = [str(part) for part in error.get("loc", ())]
        where = _WHERE.get(loc[0], loc[0]) if loc else "json"
        field = ".".join(loc[1:]) or "_schema"
        errors.setdefault(where, {}).setdefault(field, []).append(_clean(str(error.get("msg"))))
    return errors


def _summary(errors: dict[str, dict[str, list[str]]]) -> str:
    parts = [
        f"{field}: {'; '.join(messages)}"
        for fields in errors.values()
        for field, messages in fields.items()
    ]
    return "Invalid request: " + " | ".join(parts)


def _message(detail: Any) -> str:
    if isinstance(detail, str):
        return detail
    if isinstance(detail, dict) and isinstance(detail.get("message"), str):
        return detail["message"]
    return str(detail)


async def _quantum_response(request: Request, exc: Exception) -> Response:
    if isinstance(exc, FieldError):
        errors = {exc.where: {exc.field: [exc.field_message]}}
        return JSONResponse(envelope(422, str(exc.detail), errors), status_code=422)
    if isinstance(exc, QfractalError):
        headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, Unauthorized) else None
        return JSONResponse(
            envelope(exc.status_code, _message(exc.detail)),
            status_code=exc.status_code,
            headers=headers,
        )
    if isinstance(exc, RequestValidationError):
        errors = validation_errors(exc)
        return JSONResponse(envelope(422, _summary(errors), errors), status_code=422)
    if isinstance(exc, StarletteHTTPException):
        if exc.status_code in (204, 304):
            return Response(status_code=exc.status_code, headers=exc.headers)
        return JSONResponse(
            envelope(exc.status_code, _message(exc.detail)),
            status_code=exc.status_code,
            headers=exc.headers,
        )
    logger.exception("unhandled error on %s %s", request.method, request.url.path)
    return JSONResponse(envelope(500, "Internal server error"), status_code=500)


def _by_path(fallback: Handler) -> Handler:
    async def handle(request: Request, exc: Exception) -> Response:
        if is_quantum_path(request):
            return await _quantum_response(request, exc)
        response = fallback(request, exc)
        if isinstance(response, Awaitable):
            response = await response
        return response

    return handle


def install_quantum_errors(app: FastAPI) -> None:
    """Render errors under `/quantum` in the quantum envelope; call after the server's
    own error handlers are installed (they stay in charge of every other path)."""
    for exc_class in (QfractalError, RequestValidationError, StarletteHTTPException, Exception):
        fallback = app.exception_handlers.get(exc_class)
        if fallback is None:
            raise RuntimeError(f"install the server's error handlers first ({exc_class})")
        app.add_exception_handler(exc_class, _by_path(fallback))
