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
    log_path: Path
    """The server's stderr (its log), written to a file so that it never blocks."""

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def _wait_until_alive(base: str, server: subprocess.Popen[str], log_path: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert server.poll() is None, log_path.read_text(errors="replace")
        try:
            if httpx.get(f"{base}/api/alive/").status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError("server did not start within 30 s")


@contextmanager
def live_server(
    env: dict[str, str], *, init: bool = True, port: int | None = None
) -> Iterator[LiveServer]:
    """`qfractal init` (with the ADMIN superuser) then `qfractal serve`; stopped on exit.

    `port`: a fixed port (for clients that hard-code one); default a free one. The log goes
    to `server.log` beside the data directory. After the block, `process.returncode` and
    `log()` tell how it ended.
    """
    if init:
        result = qfractal(env, "init", "--admin-email", ADMIN[0], "--admin-password", ADMIN[1])
        assert result.returncode == 0, result.stderr
    port = port or free_port()
    base = f"http://127.0.0.1:{port}"
    log_path = Path(env["QFRACTAL_DATA_DIR"]).parent / "server.log"
    with log_path.open("w") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "qfractal", "serve", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log,
            text=True,
        )
    try:
        _wait_until_alive(base, server, log_path)
        yield LiveServer(base_url=base, env=env, process=server, log_path=log_path)
    finally:
        server.terminate()
        server.wait(timeout=30)
