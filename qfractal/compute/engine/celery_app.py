"""The `celery` engine: the API sends each queued job to a broker (Redis or RabbitMQ),
and `qfractal worker` processes run it with the same worker core as the embedded engine.

The Celery task `qfractal.engine.run(engine_job_id)` only carries the id: the row is the
truth, and the task claims it atomically, so a duplicate or late message does nothing.
Messages are acknowledged when a task starts, not redelivered: a worker killed mid-job
leaves a stale lease that a sweeper fails. Every API process and every worker sweeps.
"""

import asyncio
import concurrent.futures
import logging
import os
import threading
from typing import Any

from celery import Celery, Task, signals

from qfractal.compute.engine.handlers import HandlerRegistry, registry
from qfractal.compute.engine.sweeper import repeat, sweep, sweeper_step
from qfractal.compute.engine.worker import Runtime, Worker, new_worker_id
from qfractal.config import Settings
from qfractal.db.session import Database

logger = logging.getLogger(__name__)

TASK_NAME = "qfractal.engine.run"


def create_celery(settings: Settings) -> Celery:
    app = Celery(
        "qfractal", broker=settings.celery_broker_url.get_secret_value(), set_as_current=False
    )
    app.conf.update(
        task_default_queue=settings.celery_queue,
        task_ignore_result=True,
        worker_prefetch_multiplier=1,
        worker_hijack_root_logger=False,
        broker_connection_retry_on_startup=True,
    )
    return app


class CeleryEngine:
    """The API side: hands queued jobs to the broker and sweeps.

    Starting re-sends every queued job, so that a message lost by the broker (or never
    sent: the broker was down) is not a job queued forever; duplicates are harmless.
    """

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.worker_id = new_worker_id()
        self._celery = create_celery(runtime.settings)
        self._wake = asyncio.Event()
        self._sweeper: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await sweep(self.runtime, worker_id=self.worker_id)
        for job_id in await self.runtime.store.queued(kinds=self.runtime.handlers.kinds()):
            if not await self._send(job_id):
                break  # the broker is down: the rest would fail (slowly) too
        step = sweeper_step(self.runtime, worker_id=self.worker_id, on_requeued=self._resend)
        every = self.runtime.settings.engine_heartbeat_seconds
        self._sweeper = asyncio.create_task(repeat(step, every=every, wake=self._wake))

    async def wake(self, engine_job_id: int | None = None) -> None:
        if engine_job_id is not None:
            await self._send(engine_job_id)
        self._wake.set()

    async def stop(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
            await asyncio.gather(self._sweeper, return_exceptions=True)
        await asyncio.to_thread(self._celery.close)

    async def _resend(self, job_id: int) -> None:
        await self._send(job_id)

    async def _send(self, job_id: int) -> bool:
        return await send_job(self._celery, job_id)


async def send_job(celery: Celery, job_id: int) -> bool:
    """Send the engine job to the broker; False (logged) if that failed."""
    try:
        await asyncio.to_thread(celery.send_task, TASK_NAME, args=[job_id])
    except Exception:
        logger.exception(
            "could not send engine job %d to the broker; it stays queued until the server restarts",
            job_id,
        )
        return False
    return True


class _JobLoop:
    """The worker process's asyncio loop, in a thread: Celery's pool threads hand it the
    jobs and wait for them; it also runs the sweeper. One loop, one database pool.
    """

    def __init__(self, settings: Settings, handlers: HandlerRegistry, celery: Celery) -> None:
        self._celery = celery
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="qfractal-engine", daemon=True
        )
        self._database = Database(settings.resolved_database_url)
        self.runtime = Runtime(self._database.sessionmaker, settings, handlers)
        self.worker = Worker(self.runtime, worker_id=new_worker_id())
        self._running: set[asyncio.Task[Any]] = set()
        self._closing = False
        self._sweeper: concurrent.futures.Future[None] | None = None

    def start(self) -> None:
        self._thread.start()
        self._sweeper = asyncio.run_coroutine_threadsafe(self._sweep_forever(), self._loop)

    def run_job(self, job_id: int) -> bool:
        """Claim and run one job (called from a Celery pool thread, blocks until it ends).

        False if the job must be sent again: the worker is shutting down and did not try,
        or it shut down during the job and queued it again to resume.
        """
        future = asyncio.run_coroutine_threadsafe(self._claim_and_run(job_id), self._loop)
        try:
            return future.result()
        except concurrent.futures.CancelledError:
            logger.info("engine job %d was cancelled: the worker is shutting down", job_id)
            return job_id not in self.worker.requeued

    def shut_down(self, **_: Any) -> None:
        """Celery's `worker_shutting_down` signal: cancel the running jobs."""
        self._loop.call_soon_threadsafe(self._cancel_running)

    def close(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
        future = asyncio.run_coroutine_threadsafe(self._release(), self._loop)
        future.result(timeout=20)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)

    async def _release(self) -> None:
        await self.worker.runtime.handlers.close()
        await self._database.dispose()

    async def _claim_and_run(self, job_id: int) -> bool:
        if self._closing:
            return False
        lease = await self.worker.claim(job_id)
        if lease is None:
            logger.info(
                "engine job %d not claimed: taken, stopped, ended, or of a kind without a "
                "handler here",
                job_id,
            )
            return True
        task = asyncio.current_task()
        assert task is not None
        self._running.add(task)
        try:
            await self.worker.run(lease)
        finally:
            self._running.discard(task)
        return True

    async def _resend(self, job_id: int) -> None:
        await send_job(self._celery, job_id)

    def _cancel_running(self) -> None:
        self._closing = True
        for task in self._running:
            task.cancel()

    async def _sweep_forever(self) -> None:
        step = sweeper_step(
            self.runtime,
            worker_id=f"{self.worker.worker_id}/sweeper",
            on_requeued=self._resend,
        )
        every = self.runtime.settings.engine_heartbeat_seconds
        await repeat(step, every=every, wake=asyncio.Event())


def run_worker(
    settings: Settings, *, concurrency: int, handlers: HandlerRegistry = registry
) -> None:
    """Run a Celery worker consuming `celery_queue` until it is stopped (SIGTERM, Ctrl-C).

    Its pool is threads: each of the `concurrency` threads waits for one job running on
    the shared asyncio loop, so the process is the single holder of its leases (a killed
    worker takes its heartbeats with it). On shutdown the running jobs are cancelled and
    failed, and their handlers' `lost` is called.
    """
    celery = create_celery(settings)
    jobs = _JobLoop(settings, handlers, celery)

    @celery.task(name=TASK_NAME, bind=True, max_retries=None)
    def run(task: Task, engine_job_id: int) -> None:
        if not jobs.run_job(engine_job_id):
            raise task.retry(countdown=1)  # back to the broker, for a worker still running

    signals.worker_shutting_down.connect(jobs.shut_down, weak=False)
    jobs.start()
    try:
        celery.worker_main(
            [
                "worker",
                "--pool=threads",
                f"--concurrency={concurrency}",
                f"--queues={settings.celery_queue}",
                f"--hostname=qfractal-{os.getpid()}@%h",
                f"--loglevel={settings.log_level.upper()}",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ]
        )
    finally:
        signals.worker_shutting_down.disconnect(jobs.shut_down)
        jobs.close()
