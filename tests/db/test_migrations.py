"""The migrations and the models describe the same schema, on both databases."""

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from qfractal.db import migrate
from qfractal.db.engine import create_sync_db_engine
from qfractal.db.models import Base
from tests.databases import empty_database


def _schema_diff(url: str) -> list[object]:
    engine = create_sync_db_engine(url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            return list(compare_metadata(context, Base.metadata))
    finally:
        engine.dispose()


def test_upgraded_database_matches_the_models(migrated_database_url: str) -> None:
    assert _schema_diff(migrated_database_url) == []


def test_drift_is_detected(tmp_path: Path) -> None:
    """An empty database differs from the models: the comparison can fail."""
    with empty_database(tmp_path) as url:
        diff = _schema_diff(url)
    added_tables = {entry[1].name for entry in diff if entry[0] == "add_table"}
    assert set(Base.metadata.tables) <= added_tables


def test_downgrade_to_base_and_upgrade_again(tmp_path: Path) -> None:
    with empty_database(tmp_path) as url:
        migrate.upgrade(url)
        assert migrate.is_up_to_date(url)
        migrate.downgrade(url, "base")
        engine = create_sync_db_engine(url)
        try:
            assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        finally:
            engine.dispose()
        assert not migrate.is_up_to_date(url)
        migrate.upgrade(url)
        assert migrate.current_revision(url) == migrate.head_revision()
        assert _schema_diff(url) == []
