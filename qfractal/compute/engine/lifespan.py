"""The engine of the app: chosen by `settings.engine`, started and stopped with the app.

Routes reach it as `app.state.engine` and call `await engine.wake(job.id)` once the
request's transaction is committed (e.g. as a BackgroundTask, like task collection).
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from qfractal.compute.engine.base import Engine
from qfractal.compute.engine.celery_app import CeleryEngine
from qfractal.compute.engine.embedded import EmbeddedEngine
from qfractal.compute.engine.handlers import registry
from qfractal.compute.engine.worker import Runtime
from qfractal.config import Settings


def make_engine(settings: Settings, sessionmaker: async_sessionmaker[AsyncSession]) -> Engine:
    """The engine of `settings.engine`, running this process's registered handlers."""
    runtime = Runtime(sessionmaker, settings, registry)
    if settings.engine == "celery":
        return CeleryEngine(runtime)
    return EmbeddedEngine(runtime)


@asynccontextmanager
async def engine_lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Keep a started engine on `app.state.engine` until shutdown."""
    engine = make_engine(app.state.settings, app.state.database.sessionmaker)
    await engine.start()
    app.state.engine = engine
    try:
        yield
    finally:
        await engine.stop()
