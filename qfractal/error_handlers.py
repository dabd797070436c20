"""Render every error as JSON, never as a stack trace."""

import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from qfractal.errors import QfractalError, Unauthorized

logger = logging.getLogger(__name__)


async def _qfractal_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, QfractalError)
    headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, Unauthorized) else None
    return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=headers)


async def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    logger.exception("unhandled error on %s %s", request.method, request.url.path)
    return JSONResponse({"detail": "Internal server error"}, status_code=500)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(QfractalError, _qfractal_error)
    app.add_exception_handler(Exception, _unexpected_error)
