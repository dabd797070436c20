"""Database URLs and engines: async for the API, sync for migrations and workers."""

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from qfractal.db import sqlite_connection

_DRIVERS = {
    # backend: (async driver, sync driver)
    "sqlite": ("sqlite+aiosqlite", "sqlite"),
    "postgresql": ("postgresql+psycopg", "postgresql+psycopg"),
}


class UnsupportedDatabase(ValueError):
    pass


def _url_for(url: str | URL, *, use_async: bool) -> URL:
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend not in _DRIVERS:
        raise UnsupportedDatabase(
            f"unsupported database {backend!r}: use a sqlite:// or postgresql:// URL"
        )
    async_driver, sync_driver = _DRIVERS[backend]
    return parsed.set(drivername=async_driver if use_async else sync_driver)


def async_url(url: str | URL) -> URL:
    return _url_for(url, use_async=True)


def sync_url(url: str | URL) -> URL:
    return _url_for(url, use_async=False)


def is_sqlite(url: str | URL) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def _prepare_sqlite(url: URL) -> dict[str, Any]:
    """Create the database file's folder; return the connect args SQLite needs."""
    if url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    return {"timeout": 30}


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def create_async_db_engine(url: str | URL, **kwargs: Any) -> AsyncEngine:
    target = async_url(url)
    if is_sqlite(target):
        connect_args = _prepare_sqlite(target) | {"async_creator_fn": sqlite_connection.connect}
        engine = create_async_engine(target, connect_args=connect_args, **kwargs)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    return create_async_engine(target, pool_pre_ping=True, **kwargs)


def create_sync_db_engine(url: str | URL, **kwargs: Any) -> Engine:
    target = sync_url(url)
    if is_sqlite(target):
        engine = create_engine(target, connect_args=_prepare_sqlite(target), **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(target, pool_pre_ping=True, **kwargs)
