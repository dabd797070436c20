"""Alembic environment: runs against the URL given by `qfractal.db.migrate`."""

from alembic import context

from qfractal.db.engine import create_sync_db_engine
from qfractal.db.models import Base

config = context.config


def run_migrations_online() -> None:
    engine = create_sync_db_engine(config.attributes["database_url"])
    try:
        with engine.connect() as connection:
            context.configure(
                connection=connection,
                target_metadata=Base.metadata,
                render_as_batch=True,  # SQLite can only ALTER tables by copying them
                compare_type=True,
            )
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


run_migrations_online()
