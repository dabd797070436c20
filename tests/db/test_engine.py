"""Engine behaviour that the rest of the server relies on."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from qfractal.auth.models import LinkUserGroup, RevokedToken, UserGroup
from qfractal.db.engine import UnsupportedDatabase, async_url, create_async_db_engine, sync_url
from qfractal.db.session import Database


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    db = Database(database_url)
    yield db
    await db.dispose()


def test_urls_get_our_drivers() -> None:
    assert async_url("sqlite:///x.db").drivername == "sqlite+aiosqlite"
    assert sync_url("sqlite+aiosqlite:///x.db").drivername == "sqlite"
    assert async_url("postgresql://u@h/db").drivername == "postgresql+psycopg"
    assert sync_url("postgresql+asyncpg://u@h/db").drivername == "postgresql+psycopg"
    with pytest.raises(UnsupportedDatabase, match="mysql"):
        async_url("mysql://u@h/db")


async def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path) -> None:
    engine = create_async_db_engine(f"sqlite:///{tmp_path / 'sub' / 'x.db'}")
    try:
        async with engine.connect() as conn:
            assert (await conn.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
            assert (await conn.execute(text("PRAGMA foreign_keys"))).scalar() == 1
    finally:
        await engine.dispose()


async def test_foreign_keys_are_enforced(database: Database) -> None:
    async with database.sessionmaker() as session:
        session.add(LinkUserGroup(group_id=12345, user_id=67890))
        with pytest.raises(IntegrityError):
            await session.flush()


async def test_json_columns_round_trip_and_are_jsonb_on_postgresql(database: Database) -> None:
    async with database.sessionmaker() as session, session.begin():
        session.add(UserGroup(name="g", viewer_paths=["/a", "/b/ü"]))
    async with database.sessionmaker() as session:
        group = (await session.execute(text("SELECT id FROM user_group"))).scalar_one()
        loaded = await session.get(UserGroup, group)
        assert loaded is not None and loaded.viewer_paths == ["/a", "/b/ü"]
        if database.engine.dialect.name == "postgresql":
            data_type = await session.scalar(
                text(
                    "SELECT data_type FROM information_schema.columns "
                    "WHERE table_name = 'user_group' AND column_name = 'viewer_paths'"
                )
            )
            assert data_type == "jsonb"


async def test_timestamps_come_back_as_aware_utc(database: Database) -> None:
    cest = timezone(timedelta(hours=2))
    moment = datetime(2026, 6, 1, 14, 0, tzinfo=cest)
    async with database.sessionmaker() as session, session.begin():
        session.add(RevokedToken(jti="t", expires_at=moment))
    async with database.sessionmaker() as session:
        loaded = await session.get(RevokedToken, "t")
        assert loaded is not None
        assert loaded.expires_at.tzinfo is not None
        assert loaded.expires_at.utcoffset() == timedelta(0)
        assert loaded.expires_at == moment.astimezone(UTC)


async def test_naive_timestamps_are_refused(database: Database) -> None:
    async with database.sessionmaker() as session:
        session.add(RevokedToken(jti="n", expires_at=datetime(2026, 1, 1)))
        with pytest.raises(Exception, match="naive"):
            await session.flush()
