"""What differs between SQLite and PostgreSQL, for the data layers."""

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession


def is_postgresql(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def upsert(session: AsyncSession, table: Any) -> Any:
    """An INSERT into `table` for the session's database, with its
    `on_conflict_do_update` / `on_conflict_do_nothing`."""
    dialect = postgresql if is_postgresql(session) else sqlite
    return dialect.insert(table)
