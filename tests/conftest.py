"""Fixtures shared by every test: a migrated database, an app, clients and users."""

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from sqlalchemy import text

from qfractal.app import create_app
from qfractal.auth import service as users
from qfractal.auth.schemas import UserCreate
from qfractal.config import Settings
from qfractal.db import migrate
from qfractal.db.engine import create_sync_db_engine, is_sqlite
from qfractal.db.models import Base
from tests.databases import empty_database
from tests.mock_tasks import mock_wheels

__all__ = ["mock_wheels"]  # a session fixture shared by every test package

TEST_JWT_SECRET = "test-secret-that-is-long-enough-for-hs256"
TEST_HASH_MEMORY_KIB = 64
"""Cheap password hashes: most tests create and log in several users."""


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the groups
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Under pytest-xdist (`--dist loadgroup`), tests that share a fixed resource run on
    one worker, one at a time: the SLURM tests (the single-node cluster's few CPUs, the
    sshd on 127.0.0.1:2222) and the fractal-client tests under tests/e2e (the client
    venvs under .cache, port 8765)."""
    tests = Path(__file__).parent
    for item in items:
        if item.get_closest_marker("slurm"):
            item.add_marker(pytest.mark.xdist_group("slurm"))
        elif Path(item.path).relative_to(tests).parts[0] == "e2e":
            item.add_marker(pytest.mark.xdist_group("fractal-client"))


@pytest.fixture(scope="session")
def migrated_database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One database per test session, brought to the head revision by the migrations."""
    with empty_database(tmp_path_factory.mktemp("db")) as url:
        migrate.upgrade(url)
        yield url


def _empty_all_tables(url: str) -> None:
    engine = create_sync_db_engine(url)
    try:
        with engine.begin() as conn:
            tables = list(reversed(Base.metadata.sorted_tables))
            if is_sqlite(url):
                for table in tables:
                    conn.execute(table.delete())
            else:
                names = ", ".join(f'"{t.name}"' for t in tables)
                conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    finally:
        engine.dispose()


@pytest.fixture
def database_url(migrated_database_url: str) -> str:
    """The session's database, emptied before each test."""
    _empty_all_tables(migrated_database_url)
    return migrated_database_url


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        jwt_secret=TEST_JWT_SECRET,
        password_hash_memory_kib=TEST_HASH_MEMORY_KIB,
        _env_file=None,
    )


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(settings)
    async with LifespanManager(application):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


@dataclass
class Account:
    id: int
    email: str
    password: str
    headers: dict[str, str]


async def make_user(
    app: FastAPI,
    client: httpx.AsyncClient,
    email: str,
    *,
    password: str = "password",
    superuser: bool = False,
    verified: bool = True,
    active: bool = True,
    profile_id: int | None = None,
    login: bool = True,
) -> Account:
    """Create a user through the service (as registration would) and log them in."""
    settings: Settings = app.state.settings
    async with app.state.database.sessionmaker() as session, session.begin():
        user = await users.create_user(
            session,
            data=UserCreate(
                email=email,
                password=password,
                is_superuser=superuser,
                is_verified=verified,
                is_active=active,
                profile_id=profile_id,
                project_dir=f"/data/{email.split('@')[0]}",
            ),
            default_group_name=settings.default_group_name,
        )
        user_id = user.id
    headers = await login_headers(client, email, password) if login else {}
    return Account(id=user_id, email=email, password=password, headers=headers)


async def login_headers(client: httpx.AsyncClient, email: str, password: str) -> dict[str, str]:
    response = await client.post(
        "/auth/token/login/", data={"username": email, "password": password}
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


@pytest.fixture
async def admin(app: FastAPI, client: httpx.AsyncClient) -> Account:
    return await make_user(app, client, "admin@example.org", superuser=True)


@pytest.fixture
async def alice(app: FastAPI, client: httpx.AsyncClient) -> Account:
    return await make_user(app, client, "alice@example.org")
