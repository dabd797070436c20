"""The `qfractal` command.

Settings come from the environment (`QFRACTAL_DATABASE_URL`, `QFRACTAL_DATA_DIR`, ...;
see `qfractal.config.Settings`) or a `.env` file in the working directory.
"""

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from qfractal import __version__, bootstrap
from qfractal.auth import passwords
from qfractal.auth import service as users
from qfractal.auth.schemas import UserCreate
from qfractal.config import Settings
from qfractal.db import migrate
from qfractal.db.engine import UnsupportedDatabase
from qfractal.db.session import Database
from qfractal.errors import QfractalError
from qfractal.logs import configure_logging

T = TypeVar("T")

app = typer.Typer(
    help=(
        "qfractal: one server for bioimage workflows (fractal-server API) and quantum "
        "jobs (qunicorn API). The database is QFRACTAL_DATABASE_URL (default: SQLite in "
        "QFRACTAL_DATA_DIR, which defaults to ./data; it also holds job and task folders)."
    ),
    no_args_is_help=True,
    add_completion=False,
)
db_app = typer.Typer(help="Database schema migrations.", no_args_is_help=True)
user_app = typer.Typer(help="Manage users without going through the API.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(user_app, name="user")


def _settings() -> Settings:
    try:
        settings = Settings()
    except ValidationError as exc:
        _fail(f"invalid settings:\n{exc}")
    passwords.configure(settings.password_hash_memory_kib)
    return settings


def _fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code=1)


def _in_session(settings: Settings, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run `work` in one committed transaction."""

    async def run() -> T:
        database = Database(settings.resolved_database_url)
        try:
            async with database.sessionmaker() as session, session.begin():
                return await work(session)
        finally:
            await database.dispose()

    try:
        return asyncio.run(run())
    except QfractalError as exc:
        _fail(json.dumps(exc.detail) if isinstance(exc.detail, dict) else exc.detail)
        raise  # unreachable, for type checkers


def _upgrade(settings: Settings) -> None:
    try:
        migrate.upgrade(settings.resolved_database_url)
    except UnsupportedDatabase as exc:
        _fail(str(exc))


def _require_current_schema(settings: Settings) -> None:
    if not migrate.is_up_to_date(settings.resolved_database_url):
        _fail(
            f"database {settings.safe_database_url} is not at the current schema revision; "
            "run `qfractal init` (or `qfractal db upgrade`) first"
        )


@app.command()
def version() -> None:
    """Print the qfractal version."""
    typer.echo(__version__)


@app.command()
def init(
    admin_email: Annotated[
        str | None,
        typer.Option(help="E-mail of the first superuser [env: QFRACTAL_ADMIN_EMAIL]."),
    ] = None,
    admin_password: Annotated[
        str | None,
        typer.Option(help="Password of the first superuser [env: QFRACTAL_ADMIN_PASSWORD]."),
    ] = None,
) -> None:
    """Create or upgrade the database and add what a server needs.

    Creates the default group, a `local` resource and profile (jobs and task environments
    under the data directory) and, if an e-mail and password are given, a superuser on that
    profile. Safe to run again: existing objects are kept as they are.
    """
    settings = _settings()
    configure_logging("WARNING")
    email = admin_email or settings.admin_email
    password = admin_password or (
        settings.admin_password.get_secret_value() if settings.admin_password else None
    )
    if (email is None) != (password is None):
        _fail("give both the admin e-mail and the admin password, or neither")
    _upgrade(settings)
    typer.echo(f"database {settings.safe_database_url} is at revision {migrate.head_revision()}")
    report = _in_session(
        settings,
        lambda session: bootstrap.initialize(
            session, settings, admin_email=email, admin_password=password
        ),
    )
    for line in report.lines:
        typer.echo(line)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
) -> None:
    """Run the API server (run `qfractal init` first)."""
    import uvicorn

    from qfractal.app import create_app

    settings = _settings()
    configure_logging(settings.log_level)
    _require_current_schema(settings)
    uvicorn.run(create_app(settings), host=host, port=port, log_level=settings.log_level.lower())


@app.command()
def worker(
    concurrency: Annotated[
        int | None,
        typer.Option(min=1, help="Jobs run at once. Default: QFRACTAL_ENGINE_WORKERS."),
    ] = None,
) -> None:
    """Run a Celery worker of the job engine (for QFRACTAL_ENGINE=celery).

    It takes jobs from the broker at QFRACTAL_CELERY_BROKER_URL (queue
    QFRACTAL_CELERY_QUEUE) and also fails jobs whose worker stopped sending heartbeats.
    """
    from qfractal.compute.engine.celery_app import run_worker
    from qfractal.handlers import register_handlers

    settings = _settings()
    configure_logging(settings.log_level)
    _require_current_schema(settings)
    if settings.engine != "celery":
        typer.echo("warning: QFRACTAL_ENGINE is not `celery`: the server sends no jobs", err=True)
    try:
        register_handlers(settings)
    except ImportError as exc:
        _fail(f"cannot import a job handler module: {exc}")
    run_worker(settings, concurrency=concurrency or settings.engine_workers)


@app.command()
def openapi(
    file: Annotated[
        Path | None, typer.Option("--file", "-f", help="Write here instead of stdout.")
    ] = None,
) -> None:
    """Print the OpenAPI document of the server."""
    from qfractal.app import create_app

    document = json.dumps(create_app(_settings()).openapi(), indent=2)
    if file is None:
        typer.echo(document)
    else:
        file.write_text(document + "\n", encoding="utf-8")


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply every pending migration."""
    settings = _settings()
    _upgrade(settings)
    typer.echo(f"database {settings.safe_database_url} is at revision {migrate.head_revision()}")


@db_app.command("revision")
def db_revision(
    message: Annotated[str, typer.Option("--message", "-m", help="What the migration does.")],
) -> None:
    """(Developers) autogenerate a migration from the models."""
    settings = _settings()
    _upgrade(settings)
    migrate.new_revision(settings.resolved_database_url, message)


@user_app.command("create")
def user_create(
    email: Annotated[str, typer.Option(help="Login e-mail.")],
    password: Annotated[str, typer.Option(help="Password (4 to 100 characters).")],
    project_dir: Annotated[
        str | None,
        typer.Option(help="Absolute project folder. Default: <data_dir>/projects/<e-mail>."),
    ] = None,
    superuser: Annotated[bool, typer.Option(help="Make the user a superuser.")] = False,
    profile_id: Annotated[
        int | None,
        typer.Option(help="Compute profile. Default: the `local` profile made by init."),
    ] = None,
) -> None:
    """Create an active, verified user."""
    settings = _settings()

    async def create(session: AsyncSession) -> str:
        try:
            data = UserCreate(
                email=email,
                password=password,
                is_superuser=superuser,
                is_verified=True,
                profile_id=profile_id or await bootstrap.default_profile_id(session),
                project_dir=project_dir or str(settings.projects_dir / email),
            )
        except ValidationError as exc:
            _fail(str(exc))
        user = await users.create_user(
            session, data=data, default_group_name=settings.default_group_name
        )
        return f"created user {user.email} (id {user.id})"

    typer.echo(_in_session(settings, create))


@user_app.command("list")
def user_list() -> None:
    """List users: id, e-mail, flags, profile."""
    settings = _settings()

    async def rows(session: AsyncSession) -> list[str]:
        return [
            f"{u.id}\t{u.email}\tactive={u.is_active}\tsuperuser={u.is_superuser}"
            f"\tverified={u.is_verified}\tprofile={u.profile_id}"
            for u in await users.list_users(session)
        ]

    for row in _in_session(settings, rows):
        typer.echo(row)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
