"""Access control on every route, derived from the app's own route table.

New routes are covered automatically: each one must refuse anonymous callers (401)
unless listed as public, and each superuser route must refuse ordinary users (403).
"""

import re

import httpx
import pytest
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from qfractal.app import ROUTERS
from qfractal.auth.dependencies import current_superuser
from tests.conftest import Account

PUBLIC = {
    ("GET", "/api/alive/"),
    ("POST", "/auth/token/login/"),
    ("POST", "/auth/login/"),
}


def _depends_on(dependant: Dependant, target: object) -> bool:
    return any(dep.call is target or _depends_on(dep, target) for dep in dependant.dependencies)


def _operations(app: FastAPI) -> list[tuple[str, str, APIRoute]]:
    return [
        (method, route.path, route)
        for router in ROUTERS
        for route in router.routes
        if isinstance(route, APIRoute)
        for method in sorted(route.methods)
    ]


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


async def _call(client: httpx.AsyncClient, method: str, path: str, headers: dict) -> int:
    body = None if method in ("GET", "DELETE") else {}
    response = await client.request(method, _concrete(path), json=body, headers=headers)
    return response.status_code


async def test_route_table_is_not_empty(app: FastAPI) -> None:
    operations = _operations(app)
    superuser_only = [op for op in operations if _depends_on(op[2].dependant, current_superuser)]
    assert len(operations) > 20
    assert len(superuser_only) > 10


async def test_anonymous_requests_get_401_everywhere_but_public_routes(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    refused = []
    for method, path, _ in _operations(app):
        if (method, path) in PUBLIC:
            continue
        status = await _call(client, method, path, {})
        if status != 401:
            refused.append((method, path, status))
    assert refused == []


async def test_invalid_token_gets_401(app: FastAPI, client: httpx.AsyncClient) -> None:
    headers = {"Authorization": "Bearer not-a-token"}
    wrong = [
        (method, path, status)
        for method, path, _ in _operations(app)
        if (method, path) not in PUBLIC
        and (status := await _call(client, method, path, headers)) != 401
    ]
    assert wrong == []


async def test_ordinary_users_get_403_on_every_superuser_route(
    app: FastAPI, client: httpx.AsyncClient, alice: Account
) -> None:
    wrong = []
    for method, path, route in _operations(app):
        if not _depends_on(route.dependant, current_superuser):
            continue
        status = await _call(client, method, path, alice.headers)
        if status != 403:
            wrong.append((method, path, status))
    assert wrong == []


async def test_superuser_routes_are_the_admin_surface(app: FastAPI) -> None:
    """Every /admin route, user/group management under /auth and /api/settings need a superuser."""
    for method, path, route in _operations(app):
        admin_path = path.startswith("/admin/") or path.startswith(
            ("/auth/users/", "/auth/group/", "/auth/register/", "/api/settings/")
        )
        assert admin_path == _depends_on(route.dependant, current_superuser), (method, path)


@pytest.mark.parametrize("path", ["/api/alive/"])
async def test_public_routes_answer_anonymously(client: httpx.AsyncClient, path: str) -> None:
    assert (await client.get(path)).status_code == 200


async def test_every_documented_operation_is_checked(app: FastAPI) -> None:
    """No route is mounted outside ROUTERS, where these checks would miss it."""
    documented = {
        (method.upper(), path)
        for path, operations in app.openapi()["paths"].items()
        for method in operations
    }
    checked = {(method, path) for method, path, _ in _operations(app)}
    assert documented == checked
