"""Trusted functions the pool tests call in workers, by import path."""

import ctypes
import os
import time
from typing import Any


def echo(payload: Any) -> Any:
    return payload


def pid(_: Any) -> int:
    return os.getpid()


def environment(_: Any) -> dict[str, str]:
    return dict(os.environ)


def sleep(seconds: float) -> int:
    """Sleep, then say which worker slept."""
    time.sleep(seconds)
    return os.getpid()


def span(seconds: float) -> list[float]:
    """Sleep; [worker pid, start, end] in wall-clock seconds."""
    start = time.time()
    time.sleep(seconds)
    return [os.getpid(), start, time.time()]


def loaded(names: list[str]) -> list[str]:
    """Which of the modules `names` the worker had imported before this call."""
    import sys

    return [name for name in names if name in sys.modules]


def fail(message: str) -> None:
    raise ValueError(message)


def unencodable(_: Any) -> object:
    return object()


def exit_now(status: int) -> None:
    os._exit(status)


def segfault(_: Any) -> None:
    ctypes.string_at(0)


def initialize() -> None:
    os.environ["POOL_INITIALIZED"] = "yes"


def initialize_slowly_once_marked() -> None:
    """Once the file `SLOW_START_MARKER` names exists, write this worker's pid beside it
    and take a minute to start (the pool's first workers start at once)."""
    marker = os.environ["SLOW_START_MARKER"]
    if os.path.exists(marker):
        with open(f"{marker}.pid", "w") as pid_file:
            pid_file.write(str(os.getpid()))
        time.sleep(60)


def fail_to_initialize() -> None:
    raise ValueError("no simulator here")
