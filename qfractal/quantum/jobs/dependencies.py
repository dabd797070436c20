"""Request dependencies of the quantum job routes."""

from typing import Annotated

from fastapi import Depends, Request

from qfractal.auth.tokens import load_secret


def _server_secret(request: Request) -> str:
    return load_secret(request.app.state.settings)


ServerSecret = Annotated[str, Depends(_server_secret)]
"""The key that seals provider tokens (derived from the server's signing secret)."""
