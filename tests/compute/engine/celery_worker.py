"""Real `qfractal worker` processes of the Celery engine and the brokers they use, for
the engine tests and the workflow job tests alike."""

import contextlib
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import kombu
import redis

from qfractal.config import Settings
from tests.compute.engine.conftest import REPO_ROOT, process_env

REDIS = "redis://127.0.0.1:6379/0"
RABBITMQ = "amqp://guest:guest@127.0.0.1:5672//"


def delete_queue(broker: str, name: str) -> None:
    """Leave nothing of the test's queue in the broker."""
    if broker.startswith("redis"):
        keys = (name, f"_kombu.binding.{name}", f"_kombu.binding_permanent.{name}")
        with redis.Redis.from_url(broker) as client:
            client.delete(*keys)
        return
    with kombu.Connection(broker) as connection:
        connection.default_channel.queue_delete(name)
        connection.default_channel.exchange_delete(name)


@contextlib.contextmanager
def worker(settings: Settings, log: Path, **extra: str) -> Iterator[subprocess.Popen[bytes]]:
    """A `qfractal worker` of `settings`' database and queue; `extra` adds settings."""
    env = process_env(
        settings,
        QFRACTAL_ENGINE="celery",
        QFRACTAL_CELERY_BROKER_URL=settings.celery_broker_url.get_secret_value(),
        QFRACTAL_CELERY_QUEUE=settings.celery_queue,
        QFRACTAL_LOG_LEVEL="INFO",  # into the test's worker.log
        **extra,
    )
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "qfractal", "worker", "--concurrency", "2"],
            env=env,
            cwd=REPO_ROOT,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=30)
