"""create_app(): the FastAPI application with every router mounted."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI

from qfractal import __version__, meta_routes
from qfractal.auth import admin_routes as auth_admin_routes
from qfractal.auth import impersonation, passwords
from qfractal.auth import routes as auth_routes
from qfractal.auth.tokens import TokenCodec, load_secret
from qfractal.compute import routes as compute_routes
from qfractal.compute.engine.lifespan import engine_lifespan
from qfractal.config import Settings
from qfractal.db.session import Database
from qfractal.error_handlers import install_error_handlers
from qfractal.handlers import register_handlers
from qfractal.quantum import routes as quantum_routes
from qfractal.quantum.errors import install_quantum_errors
from qfractal.workflows.admin import routes as workflows_admin_routes
from qfractal.workflows.admin import task_routes as admin_task_routes
from qfractal.workflows.collection import routes as collection_routes
from qfractal.workflows.collection.background import activity_lifespan
from qfractal.workflows.datasets import routes as dataset_routes
from qfractal.workflows.images import routes as image_routes
from qfractal.workflows.jobs import admin_routes as admin_job_routes
from qfractal.workflows.jobs import routes as job_routes
from qfractal.workflows.jobs import status_routes
from qfractal.workflows.projects import routes as project_routes
from qfractal.workflows.tasks import routes as task_routes
from qfractal.workflows.workflow import routes as workflow_routes

ROUTERS: tuple[APIRouter, ...] = (
    meta_routes.router,
    auth_routes.router,
    auth_admin_routes.router,
    impersonation.router,
    compute_routes.router,
    workflows_admin_routes.router,
    admin_task_routes.router,
    project_routes.router,
    dataset_routes.router,
    image_routes.router,
    collection_routes.router,
    task_routes.router,
    workflow_routes.router,
    job_routes.router,
    status_routes.router,
    admin_job_routes.router,
    *quantum_routes.ROUTERS,
)
"""Every router of the server, mounted in this order."""


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    register_handlers(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with activity_lifespan(app), engine_lifespan(app):
            yield
        await app.state.database.dispose()

    app = FastAPI(title="qfractal", version=__version__, lifespan=lifespan)
    app.state.settings = settings
    app.state.database = Database(settings.resolved_database_url)
    app.state.token_codec = TokenCodec(load_secret(settings))
    passwords.configure(settings.password_hash_memory_kib)
    install_error_handlers(app)
    install_quantum_errors(app)
    for router in ROUTERS:
        app.include_router(router)
    return app
