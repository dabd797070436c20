"""A real `qfractal serve` process on a free 127.0.0.1 port, initialised with an admin."""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

ADMIN = ("admin@example.org", "1234")


def server_env(data_dir: Path, url: str, **extra: str) -> dict[str, str]:
    """The test's environment without QFRACTAL_* settings, plus the given ones."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("QFRACTAL_")}
    env.update(QFRACTAL_DATA_DIR=str(data_dir), QFRACTAL_DATABASE_URL=url, **extra)
    return env


def qfractal(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "qfractal", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class LiveServer:
    base_url: str
    env: dict[str, str]
    process: subprocess.Popen[str]


def _wait_until_alive(base: str, server: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert server.poll() is None, server.stderr.read() if server.stderr else ""
        try:
            if httpx.get(f"{base}/api/alive/").status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError("server did not start within 30 s")


@contextmanager
def live_server(env: dict[str, str], *, init: bool = True) -> Iterator[LiveServer]:
    """`qfractal init` (with the ADMIN superuser) then `qfractal serve`; stopped on exit.

    After the block, `process.returncode` and `process.stderr` hold how it ended.
    """
    if init:
        result = qfractal(env, "init", "--admin-email", ADMIN[0], "--admin-password", ADMIN[1])
        assert result.returncode == 0, result.stderr
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "qfractal", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _wait_until_alive(base, server)
        yield LiveServer(base_url=base, env=env, process=server)
    finally:
        server.terminate()
        server.wait(timeout=30)
