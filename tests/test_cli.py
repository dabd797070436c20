"""The `qfractal` command, run as a real subprocess against a real database."""

import json
import os
import shutil
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from qfractal.auth.models import LinkUserGroup, User, UserGroup
from qfractal.compute.models import Profile, Resource
from qfractal.db.engine import create_sync_db_engine
from tests.databases import empty_database
from tests.e2e.live_server import ADMIN, live_server, qfractal, server_env

pytestmark = pytest.mark.e2e


@pytest.fixture
def fresh_url(tmp_path: Path) -> Iterator[str]:
    with empty_database(tmp_path) as url:
        yield url


def _counts(url: str) -> dict[str, int]:
    engine = create_sync_db_engine(url)
    try:
        with engine.connect() as conn:
            return {
                model.__tablename__: conn.scalar(select(func.count()).select_from(model))
                for model in (User, UserGroup, LinkUserGroup, Resource, Profile)
            }
    finally:
        engine.dispose()


def test_init_twice_is_idempotent(tmp_path: Path, fresh_url: str) -> None:
    env = server_env(tmp_path / "data", fresh_url)
    args = ("init", "--admin-email", ADMIN[0], "--admin-password", ADMIN[1])
    first = qfractal(env, *args)
    assert first.returncode == 0, first.stderr
    assert "created superuser admin@example.org" in first.stdout
    after_first = _counts(fresh_url)
    assert after_first == {
        "user_account": 1,
        "user_group": 1,
        "link_user_group": 1,
        "resource": 1,
        "profile": 1,
    }
    second = qfractal(env, *args)
    assert second.returncode == 0, second.stderr
    assert "already exists" in second.stdout
    assert _counts(fresh_url) == after_first


def test_init_reads_admin_from_environment(tmp_path: Path, fresh_url: str) -> None:
    env = server_env(
        tmp_path / "data",
        fresh_url,
        QFRACTAL_ADMIN_EMAIL="root@example.org",
        QFRACTAL_ADMIN_PASSWORD="secret",
    )
    result = qfractal(env, "init")
    assert result.returncode == 0, result.stderr
    assert "created superuser root@example.org" in result.stdout
    listing = qfractal(env, "user", "list")
    assert "root@example.org" in listing.stdout and "superuser=True" in listing.stdout


def test_init_refuses_half_an_admin(tmp_path: Path, fresh_url: str) -> None:
    result = qfractal(server_env(tmp_path / "data", fresh_url), "init", "--admin-email", ADMIN[0])
    assert result.returncode == 1
    assert "both the admin e-mail and the admin password" in result.stderr


def test_unsupported_database_url_is_a_clear_error(tmp_path: Path) -> None:
    result = qfractal(server_env(tmp_path / "data", "mysql://u@127.0.0.1/db"), "db", "upgrade")
    assert result.returncode == 1
    assert "unsupported database 'mysql'" in result.stderr
    assert "Traceback" not in result.stderr


def test_user_create_and_list(tmp_path: Path, fresh_url: str) -> None:
    env = server_env(tmp_path / "data", fresh_url)
    assert qfractal(env, "init").returncode == 0
    created = qfractal(env, "user", "create", "--email", "Bob@Example.org", "--password", "pw12")
    assert created.returncode == 0, created.stderr
    listing = qfractal(env, "user", "list").stdout
    assert "bob@example.org" in listing and "profile=1" in listing
    duplicate = qfractal(env, "user", "create", "--email", "bob@example.org", "--password", "pw12")
    assert duplicate.returncode == 1
    assert "REGISTER_USER_ALREADY_EXISTS" in duplicate.stderr


def test_openapi_to_file(tmp_path: Path, fresh_url: str) -> None:
    target = tmp_path / "openapi.json"
    result = qfractal(server_env(tmp_path / "data", fresh_url), "openapi", "-f", str(target))
    assert result.returncode == 0, result.stderr
    document = json.loads(target.read_text())
    assert "/auth/token/login/" in document["paths"]
    assert "/admin/v2/resource/{resource_id}/" in document["paths"]


def test_help_explains_the_settings() -> None:
    result = qfractal(dict(os.environ), "--help")
    assert result.returncode == 0
    assert "QFRACTAL_DATABASE_URL" in result.stdout and "QFRACTAL_DATA_DIR" in result.stdout
    for command in ("init", "serve", "user", "openapi", "db"):
        assert command in result.stdout


def test_serve_refuses_a_database_that_was_not_initialised(tmp_path: Path, fresh_url: str) -> None:
    result = qfractal(server_env(tmp_path / "data", fresh_url), "serve", "--port", "1")
    assert result.returncode == 1
    assert "run `qfractal init`" in result.stderr


def _curl(*args: str) -> str:
    return subprocess.run(
        ["curl", "-sS", "--fail-with-body", *args], capture_output=True, text=True, check=True
    ).stdout


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_served_admin_logs_in_with_curl(tmp_path: Path, fresh_url: str) -> None:
    env = server_env(tmp_path / "data", fresh_url)
    with live_server(env) as server:
        base = server.base_url
        token = json.loads(
            _curl(
                "-X",
                "POST",
                f"{base}/auth/token/login/",
                "-d",
                f"username={ADMIN[0]}&password={ADMIN[1]}",
            )
        )["access_token"]
        me = json.loads(_curl("-H", f"Authorization: Bearer {token}", f"{base}/auth/current-user/"))
        assert me["email"] == ADMIN[0] and me["is_superuser"] is True
        alive = json.loads(_curl(f"{base}/api/alive/"))
        assert alive["alive"] is True
    # uvicorn re-raises SIGTERM after a graceful shutdown
    assert server.process.returncode in (0, -signal.SIGTERM)
    stderr = server.log()
    assert "Application shutdown complete" in stderr
