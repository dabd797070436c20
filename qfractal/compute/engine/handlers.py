"""What the engine runs: a handler per job `kind`, registered by the faces.

The engine knows nothing about what a job does. A face (workflows, quantum) registers a
handler for its kind; `qfractal/handlers.py` lists the faces' handler modules and the app
and `qfractal worker` import them at start-up, so compute never imports a face.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from qfractal.config import Settings

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunContext:
    """What a handler gets besides its `ref_id`.

    `stop` is set when the user asked to stop the job, the worker shuts down or the
    worker lost its lease: pass it to executors and end soon. A handler that is still
    running `engine_lease_seconds` after `stop` was set is cancelled.
    """

    engine_job_id: int
    kind: str
    ref_id: int
    worker_id: str
    sessionmaker: async_sessionmaker[AsyncSession]
    settings: Settings
    stop: asyncio.Event


class JobHandler(Protocol):
    kind: str

    async def run(self, ref_id: int, context: RunContext) -> None:
        """Do the work. Raising fails the engine job with the exception's text."""
        ...

    async def lost(self, ref_id: int, reason: str, context: RunContext) -> None:
        """The job can no longer run: record it on the face's own row.

        Called when `run` did not end on its own: the job was stopped before it started,
        its worker stopped sending heartbeats, the worker shut down while it ran, or it
        ignored a stop. `run` may have been cancelled just before, and in rare races
        `lost` comes twice: only mark a row that is not finished yet.
        """
        ...

    async def resumable(self, ref_id: int, context: RunContext) -> bool:
        """Whether a job cut short by its worker's end (shut down, or died) can run again
        and carry on from where it was: then the engine queues it again instead of
        calling `lost` (a job the user stopped is never resumed). Its next `run` must
        cope with what the cut-short run left behind.
        """
        ...


class UnknownJobKind(LookupError):
    pass


class HandlerRegistry:
    def __init__(self) -> None:
        self._handlers: dict[str, JobHandler] = {}
        self._closers: list[Callable[[], Awaitable[None]]] = []

    def register(self, handler: JobHandler) -> None:
        """Make `handler` run jobs of `handler.kind`; registering it again is harmless."""
        current = self._handlers.get(handler.kind)
        if current is not None and current is not handler:
            raise ValueError(f"another handler is already registered for {handler.kind!r}")
        self._handlers[handler.kind] = handler

    def handler_for(self, kind: str) -> JobHandler:
        try:
            return self._handlers[kind]
        except KeyError:
            raise UnknownJobKind(f"no handler is registered for job kind {kind!r}") from None

    def at_close(self, closer: Callable[[], Awaitable[None]]) -> None:
        """Have `closer` called when an engine stops (it releases what the handlers keep
        for the running loop, e.g. worker processes); adding it again is harmless."""
        if closer not in self._closers:
            self._closers.append(closer)

    async def close(self) -> None:
        for closer in self._closers:
            try:
                await closer()
            except Exception:
                logger.exception("closing %s failed", getattr(closer, "__qualname__", closer))

    def kinds(self) -> list[str]:
        """Kinds this process can run; an engine only claims and sweeps these."""
        return sorted(self._handlers)


registry = HandlerRegistry()
"""The process's handlers."""

register = registry.register
handler_for = registry.handler_for
