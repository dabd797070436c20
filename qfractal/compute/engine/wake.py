"""Waking the job engine once the request's transaction is committed."""

import logging
from typing import Annotated

from fastapi import BackgroundTasks, Depends, FastAPI, Request

logger = logging.getLogger(__name__)


async def wake_engine(app: FastAPI, engine_job_id: int | None) -> None:
    """Tell the app's job engine (if it runs one) about a queued job or a stop request."""
    engine = getattr(app.state, "engine", None)
    if engine is None:
        return
    try:
        await engine.wake(engine_job_id)
    except Exception:  # the engine finds the work at its next poll all the same
        logger.exception("could not wake the job engine (engine job %s)", engine_job_id)


class EngineWaker:
    """Wakes the engine after the response is sent, so after the commit: an engine that
    looked earlier would not see the new rows yet."""

    def __init__(self, app: FastAPI, background: BackgroundTasks) -> None:
        self._app = app
        self._background = background

    def after_commit(self, engine_job_id: int | None = None) -> None:
        """`engine_job_id`: a newly queued job; none: a stop was requested."""
        self._background.add_task(wake_engine, self._app, engine_job_id)


def engine_waker(request: Request, background: BackgroundTasks) -> EngineWaker:
    return EngineWaker(request.app, background)


EngineWake = Annotated[EngineWaker, Depends(engine_waker)]
