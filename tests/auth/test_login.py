"""Login, logout, bearer tokens and the login cookie (fractal-server 2.17 wire format).

The small helpers at the top are shared with the other tests of this package.
"""

import asyncio
import base64
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import jwt
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from pydantic import SecretStr

from qfractal import __version__
from qfractal.app import create_app
from qfractal.config import Settings
from tests.conftest import Account, login_headers, make_user

TOKEN_LOGIN = "/auth/token/login/"
TOKEN_LOGOUT = "/auth/token/logout/"
COOKIE_LOGIN = "/auth/login/"
COOKIE_LOGOUT = "/auth/logout/"
CURRENT_USER = "/auth/current-user/"
COOKIE_NAME = "fastapiusersauth"


# --- helpers shared with test_users.py and test_groups.py ---------------------------------


async def login(
    client: httpx.AsyncClient, email: str, password: str, path: str = TOKEN_LOGIN
) -> httpx.Response:
    """POST the form-encoded credentials, as fractal-client and fractal-web do."""
    return await client.post(path, data={"username": email, "password": password})


def assert_bad_credentials(response: httpx.Response) -> None:
    assert response.status_code == 400, response.text
    assert response.json() == {"detail": "LOGIN_BAD_CREDENTIALS"}


def assert_unauthorized(response: httpx.Response) -> None:
    assert response.status_code == 401, response.text
    assert response.json() == {"detail": "Unauthorized"}
    assert response.headers["www-authenticate"] == "Bearer"


def assert_validation_error(
    response: httpx.Response, *, field: str | None = None, message: str | None = None
) -> None:
    """A 422 from body/query validation: `detail` is a list of pydantic errors."""
    assert response.status_code == 422, response.text
    errors = response.json()["detail"]
    assert isinstance(errors, list), errors
    assert errors
    if field is not None:
        assert any(field in error["loc"] for error in errors), errors
    if message is not None:
        assert any(message in error["msg"] for error in errors), errors


def assert_error(response: httpx.Response, status_code: int, detail: Any) -> None:
    """An error raised by a business rule: `detail` is a plain value."""
    assert response.status_code == status_code, response.text
    assert response.json() == {"detail": detail}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def whoami(client: httpx.AsyncClient, headers: dict[str, str]) -> httpx.Response:
    return await client.get(CURRENT_USER, headers=headers)


async def assert_is(client: httpx.AsyncClient, headers: dict[str, str], user: Account) -> None:
    response = await whoami(client, headers)
    assert response.status_code == 200, response.text
    assert response.json()["id"] == user.id
    assert response.json()["email"] == user.email


async def deactivate(client: httpx.AsyncClient, admin: Account, user: Account) -> httpx.Response:
    return await client.patch(
        f"/auth/users/{user.id}/", json={"is_active": False}, headers=admin.headers
    )


# --- helpers of this module -----------------------------------------------------------------


@asynccontextmanager
async def serve(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """A second app on the same database, built from other settings."""
    application: FastAPI = create_app(settings)
    async with LifespanManager(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            yield c


def claims(token: str) -> dict[str, Any]:
    return jwt.decode(token, options={"verify_signature": False})


def b64url(data: dict[str, Any]) -> str:
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


async def access_token(client: httpx.AsyncClient, user: Account) -> str:
    response = await login(client, user.email, user.password)
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


# --- meta -----------------------------------------------------------------------------------


async def test_alive_is_public(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/alive/")
    assert response.status_code == 200
    assert response.json() == {"alive": True, "version": __version__}
    assert isinstance(response.json()["version"], str)


# --- bearer login ---------------------------------------------------------------------------


async def test_token_login_returns_a_bearer_token(
    client: httpx.AsyncClient, alice: Account
) -> None:
    response = await login(client, alice.email, alice.password)
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"access_token", "token_type"}
    assert body["token_type"] == "bearer"
    await assert_is(client, bearer(body["access_token"]), alice)


@pytest.mark.parametrize("path", [TOKEN_LOGIN, COOKIE_LOGIN])
@pytest.mark.parametrize(
    ("email", "password"),
    [
        ("alice@example.org", "wrong-password"),
        ("nobody@example.org", "password"),
    ],
    ids=["wrong-password", "unknown-email"],
)
async def test_login_with_bad_credentials_is_400(
    client: httpx.AsyncClient, alice: Account, path: str, email: str, password: str
) -> None:
    response = await login(client, email, password, path)
    assert_bad_credentials(response)
    assert COOKIE_NAME not in response.cookies


@pytest.mark.parametrize("path", [TOKEN_LOGIN, COOKIE_LOGIN])
async def test_login_of_inactive_user_is_400(
    app: FastAPI, client: httpx.AsyncClient, path: str
) -> None:
    carol = await make_user(app, client, "carol@example.org", active=False, login=False)
    assert_bad_credentials(await login(client, carol.email, carol.password, path))


async def test_login_email_is_case_insensitive(client: httpx.AsyncClient, alice: Account) -> None:
    response = await login(client, "ALICE@Example.ORG", alice.password)
    assert response.status_code == 200, response.text
    await assert_is(client, bearer(response.json()["access_token"]), alice)


async def test_login_password_is_case_sensitive(client: httpx.AsyncClient, alice: Account) -> None:
    assert_bad_credentials(await login(client, alice.email, alice.password.upper()))


@pytest.mark.parametrize(
    ("form", "missing"),
    [
        ({"password": "password"}, "username"),
        ({"username": "alice@example.org"}, "password"),
        ({}, "username"),
    ],
    ids=["no-username", "no-password", "empty-form"],
)
async def test_login_with_missing_form_fields_is_422(
    client: httpx.AsyncClient, alice: Account, form: dict[str, str], missing: str
) -> None:
    response = await client.post(TOKEN_LOGIN, data=form)
    assert_validation_error(response, field=missing)


async def test_login_with_json_body_is_422(client: httpx.AsyncClient, alice: Account) -> None:
    """The login is form-encoded, as in fractal-server; a JSON body is not a form."""
    response = await client.post(
        TOKEN_LOGIN, json={"username": alice.email, "password": alice.password}
    )
    assert_validation_error(response, field="username")


# --- token lifetime -------------------------------------------------------------------------


async def test_token_lifetime_is_jwt_expire_seconds(
    client: httpx.AsyncClient, alice: Account, settings: Settings
) -> None:
    assert settings.jwt_expire_seconds == 8 * 3600
    payload = claims(await access_token(client, alice))
    assert payload["exp"] - payload["iat"] == settings.jwt_expire_seconds
    assert payload["exp"] - time.time() == pytest.approx(settings.jwt_expire_seconds, abs=60)


async def test_token_expires(settings: Settings, alice: Account) -> None:
    short = settings.model_copy(update={"jwt_expire_seconds": 1})
    async with serve(short) as short_client:
        # Log in just after a second boundary: `exp` is a whole second, so a token
        # issued right before a boundary would live for less than the 1 s asked for.
        await asyncio.sleep(1.02 - time.time() % 1.0)
        headers = bearer(await access_token(short_client, alice))
        await assert_is(short_client, headers, alice)
        await asyncio.sleep(2.1)
        assert_unauthorized(await whoami(short_client, headers))


# --- refused tokens -------------------------------------------------------------------------


async def test_tampered_token_is_401(
    client: httpx.AsyncClient, alice: Account, admin: Account
) -> None:
    """Changing the payload (here: becoming the admin) breaks the signature."""
    token = await access_token(client, alice)
    header, _, signature = token.split(".")
    forged = f"{header}.{b64url({**claims(token), 'sub': str(admin.id)})}.{signature}"
    assert_unauthorized(await whoami(client, bearer(forged)))
    await assert_is(client, bearer(token), alice)  # the untouched token still works


@pytest.mark.parametrize(
    "token",
    ["not-a-token", "a.b.c", "", "Bearer"],
    ids=["garbage", "three-garbage-parts", "empty", "doubled-scheme"],
)
async def test_garbage_token_is_401(client: httpx.AsyncClient, alice: Account, token: str) -> None:
    assert_unauthorized(await whoami(client, bearer(token)))


async def test_unsigned_token_is_401(client: httpx.AsyncClient, alice: Account) -> None:
    payload = claims(await access_token(client, alice))
    unsigned = jwt.encode(payload, key=None, algorithm="none")
    assert_unauthorized(await whoami(client, bearer(unsigned)))


async def test_token_signed_with_another_secret_is_401(
    client: httpx.AsyncClient, alice: Account, settings: Settings
) -> None:
    other = settings.model_copy(update={"jwt_secret": SecretStr("another-secret-" + "x" * 32)})
    async with serve(other) as other_client:
        foreign_headers = bearer(await access_token(other_client, alice))
        await assert_is(other_client, foreign_headers, alice)
    assert_unauthorized(await whoami(client, foreign_headers))


async def test_request_without_token_is_401(client: httpx.AsyncClient, alice: Account) -> None:
    assert_unauthorized(await whoami(client, {}))


async def test_token_of_user_set_inactive_is_401(
    client: httpx.AsyncClient, admin: Account, alice: Account
) -> None:
    await assert_is(client, alice.headers, alice)
    assert (await deactivate(client, admin, alice)).status_code == 200
    assert_unauthorized(await whoami(client, alice.headers))


# --- logout ---------------------------------------------------------------------------------


async def test_token_logout_revokes_only_that_token(
    client: httpx.AsyncClient, alice: Account
) -> None:
    other_headers = await login_headers(client, alice.email, alice.password)
    response = await client.post(TOKEN_LOGOUT, headers=alice.headers)
    assert response.status_code == 204
    assert response.content == b""
    assert_unauthorized(await whoami(client, alice.headers))
    assert_unauthorized(await client.post(TOKEN_LOGOUT, headers=alice.headers))
    await assert_is(client, other_headers, alice)


@pytest.mark.parametrize("path", [TOKEN_LOGOUT, COOKIE_LOGOUT])
async def test_logout_without_token_is_401(client: httpx.AsyncClient, path: str) -> None:
    assert_unauthorized(await client.post(path))


# --- cookie login ---------------------------------------------------------------------------


async def test_cookie_login_sets_an_http_only_cookie(
    client: httpx.AsyncClient, alice: Account, settings: Settings
) -> None:
    response = await login(client, alice.email, alice.password, COOKIE_LOGIN)
    assert response.status_code == 204, response.text
    assert response.content == b""
    set_cookie = response.headers["set-cookie"]
    assert set_cookie.startswith(f"{COOKIE_NAME}=")
    assert "httponly" in set_cookie.lower()
    assert f"max-age={settings.cookie_expire_seconds}" in set_cookie.lower()
    payload = claims(response.cookies[COOKIE_NAME])
    assert payload["exp"] - payload["iat"] == settings.cookie_expire_seconds


async def test_cookie_authenticates_until_cookie_logout(
    client: httpx.AsyncClient, alice: Account
) -> None:
    response = await login(client, alice.email, alice.password, COOKIE_LOGIN)
    assert response.status_code == 204, response.text
    token = response.cookies[COOKIE_NAME]
    assert client.cookies.get(COOKIE_NAME) == token
    await assert_is(client, {}, alice)  # the client sends the stored cookie

    response = await client.post(COOKIE_LOGOUT)
    assert response.status_code == 204
    assert COOKIE_NAME not in client.cookies  # the server told the client to drop it
    assert_unauthorized(await whoami(client, {"Cookie": f"{COOKIE_NAME}={token}"}))
    await assert_is(client, alice.headers, alice)  # other tokens are unaffected
