"""Test databases: a SQLite file or a throw-away PostgreSQL database per use.

`QFRACTAL_TEST_DATABASE` picks the backend: `sqlite` (default) or `postgresql`.
`QFRACTAL_TEST_POSTGRES_URL` is the server to create databases on
(default postgresql://postgres@127.0.0.1:5432/postgres).
"""

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

BACKEND = os.environ.get("QFRACTAL_TEST_DATABASE", "sqlite")
POSTGRES_URL = os.environ.get(
    "QFRACTAL_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
if BACKEND not in ("sqlite", "postgresql"):
    raise RuntimeError(f"QFRACTAL_TEST_DATABASE must be sqlite or postgresql, not {BACKEND!r}")


def _admin_conninfo() -> str:
    return make_url(POSTGRES_URL).set(drivername="postgresql").render_as_string(hide_password=False)


@contextmanager
def empty_database(folder: Path) -> Iterator[str]:
    """Yield the URL of a new, empty database; drop it afterwards."""
    if BACKEND == "sqlite":
        yield f"sqlite:///{folder / f'test-{uuid.uuid4().hex[:8]}.db'}"
        return
    name = f"qfractal_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(_admin_conninfo(), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(_admin_conninfo(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
