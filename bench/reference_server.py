"""The reference fractal-server, installed from the package index and run locally, for
side-by-side benchmarks (docs: shared reference `fractal-server.md` §9).

`ensure_installed()` makes (once) the virtual environment `<repo>/.cache/fractal-server-V`
with `pip install fractal-server==V`; `reference_server()` gives it its own working folder
(`.fractal_server.env`, job and task folders) and PostgreSQL database, runs
`fractalctl set-db`, `init-db-data` with a superuser, then `fractalctl start` on a free
port, and stops it on exit. `postgres_database()` creates and drops a database for either
server. Every failure raises `SetupError` with the command's output.
"""

import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg

REPO = Path(__file__).resolve().parent.parent
VERSION = "2.17.2"
POSTGRES = "postgresql://postgres@127.0.0.1:5432"
"""Local PostgreSQL (trust auth, user postgres); databases are created on it per use."""


class SetupError(RuntimeError):
    """A server or database could not be set up: the benchmark cannot run."""


def _run(argv: list[str], *, what: str, timeout: float, **kwargs: object) -> str:
    try:
        done = subprocess.run(
            argv, capture_output=True, text=True, timeout=timeout, check=False, **kwargs
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise SetupError(f"{what}: {exc}") from exc
    if done.returncode != 0:
        raise SetupError(
            f"{what} failed (exit {done.returncode}): {' '.join(argv)}\n"
            f"{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
        )
    return done.stdout


@contextmanager
def postgres_database(prefix: str) -> Iterator[str]:
    """A new, empty database on the local PostgreSQL; its name. Dropped on exit."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    try:
        with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.Error as exc:
        raise SetupError(f"cannot create the database {name} on {POSTGRES}: {exc}") from exc
    try:
        yield name
    finally:
        with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def venv_dir(version: str = VERSION) -> Path:
    return REPO / ".cache" / f"fractal-server-{version}"


def ensure_installed(version: str = VERSION) -> Path:
    """The `fractalctl` of a cached venv with fractal-server `version`; installed if missing."""
    venv = venv_dir(version)
    fractalctl = venv / "bin" / "fractalctl"
    python = venv / "bin" / "python"
    if fractalctl.exists():
        try:
            found = _run(
                [str(python), "-c", "import fractal_server; print(fractal_server.__VERSION__)"],
                what="fractal-server version check",
                timeout=60,
            ).strip()
        except SetupError:
            found = ""
        if found == version:
            return fractalctl
        print(f"cached {venv} has fractal-server {found!r}: reinstalling", file=sys.stderr)
        shutil.rmtree(venv)
    print(f"installing fractal-server=={version} into {venv} ...", file=sys.stderr, flush=True)
    start = time.perf_counter()
    venv.parent.mkdir(parents=True, exist_ok=True)
    # python3 of the PATH, as the reference documentation does (not this venv's python)
    base = shutil.which("python3") or sys.executable
    _run([base, "-m", "venv", str(venv)], what="python3 -m venv", timeout=300)
    _run(
        [str(python), "-m", "pip", "install", f"fractal-server=={version}"],
        what=f"pip install fractal-server=={version}",
        timeout=1800,
    )
    print(f"installed in {time.perf_counter() - start:.0f} s", file=sys.stderr, flush=True)
    return fractalctl


@dataclass
class ReferenceServer:
    base_url: str
    folder: Path
    process: subprocess.Popen[str]
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def _clean_env() -> dict[str, str]:
    """This process's environment without settings either server would read."""
    prefixes = ("QFRACTAL_", "FRACTAL_", "POSTGRES_", "JWT_", "OAUTH_", "COOKIE_")
    return {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}


def _wait_until_alive(base: str, process: subprocess.Popen[str], log_path: Path) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SetupError(
                f"fractalctl start exited with {process.returncode}:\n"
                f"{log_path.read_text(errors='replace')[-4000:]}"
            )
        try:
            if httpx.get(f"{base}/api/alive/").status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise SetupError(f"fractalctl start: {base}/api/alive/ did not answer within 120 s")


@contextmanager
def reference_server(
    folder: Path,
    database: str,
    *,
    port: int,
    admin: tuple[str, str],
    log_level: int = 30,
    version: str = VERSION,
) -> Iterator[ReferenceServer]:
    """fractal-server `version` in `folder` on the (empty) PostgreSQL `database`."""
    fractalctl = ensure_installed(version)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / ".fractal_server.env").write_text(
        "\n".join(
            [
                "POSTGRES_HOST=127.0.0.1",
                "POSTGRES_PORT=5432",
                f"POSTGRES_DB={database}",
                "POSTGRES_USER=postgres",
                "POSTGRES_PASSWORD=postgres",
                f"JWT_SECRET_KEY=bench-{uuid.uuid4().hex}-{uuid.uuid4().hex}",
                "JWT_EXPIRE_SECONDS=86400",  # default 180 s: too short for a long job
                "FRACTAL_RUNNER_BACKEND=local",
                f"FRACTAL_LOGGING_LEVEL={log_level}",
                "FRACTAL_DEFAULT_GROUP_NAME=All",
                "",
            ]
        )
    )
    env = _clean_env()
    _run([str(fractalctl), "set-db"], what="fractalctl set-db", timeout=300, cwd=folder, env=env)
    _run(
        [
            str(fractalctl), "init-db-data", "--resource", "default", "--profile", "default",
            "--admin-email", admin[0], "--admin-pwd", admin[1],
            "--admin-project-dir", str(folder / "admin-project"),
        ],
        what="fractalctl init-db-data",
        timeout=300,
        cwd=folder,
        env=env,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    log_path = folder / "server.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [str(fractalctl), "start", "--host", "127.0.0.1", "--port", str(port)],
            cwd=folder,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
        )
    try:
        _wait_until_alive(base, process, log_path)
        yield ReferenceServer(base_url=base, folder=folder, process=process, log_path=log_path)
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=30)
