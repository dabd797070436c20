"""A real SLURM cluster, sshd, sudo and users for the SLURM tests (nothing mocked).

Shared by `tests/compute/slurm/` and `tests/workflows/slurm/`, whose conftests re-export
the fixtures.

The cluster must already run (`bash shared/scripts/slurm-single-node.sh`, as root); the
tests run as root and act as the cluster user `SLURM_USER` through sudo or ssh. The sshd
and the worker venv are made here when missing:

- `sshd`: an sshd on 127.0.0.1:2222 for the cluster user, key-only, its config and keys
  in `<repo>/.cache/test-sshd/`; reused when one that accepts our key already listens
  there, stopped at the end when this session started it. Needs `apt-get install -y
  --no-install-recommends openssh-server`.
- `worker_python`: a venv from `/usr/bin/python3` with qfractal installed without its
  dependencies, in `<repo>/.cache/worker-python-<version>-<digest>/`, rebuilt only when
  the package's sources change (the repo's own `.venv` lives where the cluster user
  cannot go).
"""

import contextlib
import fcntl
import hashlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

SLURM_USER = "slurmtest"
SERVICE_USER = "qfractalsvc"
SSHD_HOST = "127.0.0.1"
SSHD_PORT = 2222
REPO = Path(__file__).resolve().parents[1]
CACHE = REPO / ".cache"
SUDO_RULE_FILE = Path("/etc/sudoers.d/qfractal-test")
SUDO_RULE_COMMANDS = ("sbatch", "squeue", "scancel", "tar", "mkdir")
"""What qfractal runs as the cluster user (see `qfractal.compute.executors.slurm.sudo`)."""

_START_CLUSTER = "start it as root with `bash shared/scripts/slurm-single-node.sh`"
_INSTALL_SSHD = "apt-get install -y --no-install-recommends openssh-server"
_STALE_VENV_SECONDS = 24 * 3600


# -- the cluster and its user ------------------------------------------------------------


@pytest.fixture(scope="session")
def slurm_cluster() -> list[str]:
    """The node states `sinfo` reports; fails (not skips) unless the node takes jobs."""
    try:
        result = subprocess.run(
            ["sinfo", "-h", "-o", "%t"], capture_output=True, text=True, timeout=30
        )
    except FileNotFoundError:
        pytest.fail(f"SLURM is not installed (no sinfo): {_START_CLUSTER}")
    states = result.stdout.split()
    if result.returncode != 0 or not any(s in ("idle", "mix", "alloc") for s in states):
        pytest.fail(
            f"the SLURM node is not up (sinfo: rc={result.returncode}, states={states}, "
            f"{result.stderr.strip()!r}): {_START_CLUSTER}"
        )
    return states


@pytest.fixture(scope="session")
def slurm_user(slurm_cluster: list[str]) -> str:
    """The cluster user every job runs as."""
    try:
        pwd.getpwnam(SLURM_USER)
    except KeyError:
        pytest.fail(f"user {SLURM_USER} does not exist: {_START_CLUSTER}")
    return SLURM_USER


@pytest.fixture
def shared_dir() -> Iterator[Path]:
    """A fresh folder under /tmp that the cluster user can read and write (mode 0777).

    pytest's `tmp_path` lives under /tmp/pytest-of-root (0700): the cluster user cannot
    reach it.
    """
    path = Path(tempfile.mkdtemp(prefix="qfractal-slurm-", dir="/tmp"))
    path.chmod(0o777)
    yield path
    shutil.rmtree(path, ignore_errors=True)


# -- sshd -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SSHServer:
    """Where to log in as `username` with the private key at `key_path`."""

    host: str
    port: int
    username: str
    key_path: str


def make_key(path: Path) -> Path:
    """A new passphrase-less ed25519 key pair at `path` and `path.pub` (kept if present)."""
    if not path.exists():
        subprocess.run(
            ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "qfractal-test", "-f", path],
            check=True,
        )
    return path


def authorize_key(username: str, public_key: Path) -> None:
    """Add `public_key` to ~username/.ssh/authorized_keys, owned by the user, modes 700/600."""
    account = pwd.getpwnam(username)
    ssh_dir = Path(account.pw_dir) / ".ssh"
    ssh_dir.mkdir(mode=0o700, exist_ok=True)
    authorized = ssh_dir / "authorized_keys"
    line = public_key.read_text().strip()
    present = authorized.read_text().splitlines() if authorized.exists() else []
    if line not in present:
        with authorized.open("a") as file:
            file.write(line + "\n")
    for path in (ssh_dir, authorized):
        os.chown(path, account.pw_uid, account.pw_gid)
    ssh_dir.chmod(0o700)
    authorized.chmod(0o600)


def start_sshd(folder: Path, port: int, username: str) -> int:
    """Start a key-only sshd on 127.0.0.1:`port` for `username`; its pid, once it listens.

    Its config, host key, pid file and log go to `folder`.
    """
    sshd = Path("/usr/sbin/sshd")
    if not sshd.exists():
        pytest.fail(f"openssh-server is not installed: {_INSTALL_SSHD}")
    Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # sshd's privilege separation dir
    host_key = make_key(folder / "ssh_host_ed25519_key")
    pid_file = folder / "sshd.pid"
    config = folder / "sshd_config"
    config.write_text(
        f"Port {port}\n"
        f"ListenAddress {SSHD_HOST}\n"
        f"HostKey {host_key}\n"
        f"PidFile {pid_file}\n"
        "PasswordAuthentication no\n"
        "KbdInteractiveAuthentication no\n"
        "PubkeyAuthentication yes\n"
        "UsePAM no\n"
        f"AllowUsers {username}\n"
        "LogLevel VERBOSE\n"
    )
    subprocess.run([sshd, "-t", "-f", config], check=True, capture_output=True)
    pid_file.unlink(missing_ok=True)
    subprocess.run([sshd, "-f", config, "-E", folder / "sshd.log"], check=True)
    deadline = time.monotonic() + 10
    while not (pid_file.exists() and pid_file.read_text().strip() and _listens(port)):
        if time.monotonic() > deadline:
            pytest.fail(f"sshd on port {port} did not start; see {folder / 'sshd.log'}")
        time.sleep(0.02)
    return int(pid_file.read_text())


def stop_sshd(pid: int) -> None:
    """Stop the sshd listening as `pid` and every session it serves."""
    for child in descendants_of(pid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(child, signal.SIGKILL)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 10
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.02)


def _alive(pid: int) -> bool:
    """True while `pid` runs (a zombie left for an init that does not reap counts as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def descendants_of(listener_pid: int) -> list[int]:
    """Processes descended from `listener_pid` (the sshd serving each connection)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [listener_pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def processes_holding_tcp(local_port: int, remote_port: int) -> list[int]:
    """Pids holding the IPv4 TCP socket 127.0.0.1:`local_port` <-> 127.0.0.1:`remote_port`.

    Found through /proc/net/tcp (the socket's inode) and /proc/PID/fd, so a test can kill
    exactly the sshd processes that serve one connection and no other.
    """
    wanted_local, wanted_remote = f"0100007F:{local_port:04X}", f"0100007F:{remote_port:04X}"
    inodes = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[1] == wanted_local and fields[2] == wanted_remote:
            inodes.add(f"socket:[{fields[9]}]")
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            for fd in (entry / "fd").iterdir():
                with contextlib.suppress(OSError):
                    if os.readlink(fd) in inodes:
                        pids.append(int(entry.name))
                        break
    return pids


def _listens(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(1)
        return probe.connect_ex((SSHD_HOST, port)) == 0


def _can_log_in(port: int, username: str, key: Path) -> bool:
    options = ["BatchMode=yes", "StrictHostKeyChecking=no", "UserKnownHostsFile=/dev/null"]
    command = ["ssh", "-p", str(port), "-i", str(key), "-o", "ConnectTimeout=5"]
    for option in options:
        command += ["-o", option]
    result = subprocess.run(
        [*command, f"{username}@{SSHD_HOST}", "true"], capture_output=True, timeout=30
    )
    return result.returncode == 0


@contextlib.contextmanager
def running_sshd(username: str = SLURM_USER) -> Iterator[SSHServer]:
    """A key-only sshd on 127.0.0.1:2222 for `username`: one that already accepts our key
    there, or one started here and stopped at the end."""
    folder = CACHE / "test-sshd"
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o700)
    key = make_key(folder / "id_ed25519")
    authorize_key(username, key.with_suffix(".pub"))
    server = SSHServer(SSHD_HOST, SSHD_PORT, username, str(key))
    if _listens(SSHD_PORT):
        if not _can_log_in(SSHD_PORT, username, key):
            raise RuntimeError(
                f"port {SSHD_PORT} is taken by a server that does not let {username} in "
                f"with {key}; stop it (or the tests' own sshd: kill $(cat {folder}/sshd.pid))"
            )
        yield server
        return
    pid = start_sshd(folder, SSHD_PORT, username)
    try:
        yield server
    finally:
        stop_sshd(pid)


@pytest.fixture(scope="session")
def sshd(slurm_user: str) -> Iterator[SSHServer]:
    """`running_sshd` for the cluster user, with sshd's default MaxSessions (10) so that
    the transport's channel cap is what the tests exercise."""
    try:
        with running_sshd(slurm_user) as server:
            yield server
    except RuntimeError as error:
        pytest.fail(str(error))


# -- Pythons the cluster user can run -------------------------------------------------------


def source_digest(*paths: Path) -> str:
    """A digest of the files under `paths` (names and contents, caches left out)."""
    digest = hashlib.sha256()
    for root in paths:
        files = [root] if root.is_file() else sorted(root.rglob("*"))
        for path in files:
            if path.is_file() and "__pycache__" not in path.parts:
                digest.update(str(path.relative_to(REPO)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def system_venv(prefix: str, key: str, install: Callable[[Path], None]) -> Path:
    """The venv `<repo>/.cache/{prefix}-{key}/`, made from `/usr/bin/python3` (which the
    cluster user can run, unlike the repo's own Python under /root) and filled by
    `install(python)` unless a complete one is there; venvs of the same prefix and
    another key are removed after a day. Returns its python."""
    CACHE.mkdir(exist_ok=True)
    CACHE.chmod(0o755)
    venv = CACHE / f"{prefix}-{key}"
    with (CACHE / f"{prefix}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # parallel sessions build it once
        if not (venv / "qfractal-complete").exists():
            shutil.rmtree(venv, ignore_errors=True)
            subprocess.run(["/usr/bin/python3", "-m", "venv", venv], check=True, timeout=300)
            install(venv / "bin" / "python")
            (venv / "qfractal-complete").touch()
        for old in CACHE.glob(f"{prefix}-*"):
            stale = time.time() - old.stat().st_mtime > _STALE_VENV_SECONDS
            if old.is_dir() and old != venv and stale:
                shutil.rmtree(old, ignore_errors=True)
    return venv / "bin" / "python"


def check_runs_as(username: str, python: Path, code: str) -> None:
    """Fail unless `username` can run `code` with `python`."""
    check = subprocess.run(
        ["runuser", "-u", username, "--", python, "-c", code],
        capture_output=True,
        text=True,
        cwd="/",
        timeout=60,
    )
    assert check.returncode == 0, f"{username} cannot use {python}: {check.stderr}"


def _package_key() -> str:
    """qfractal's version and a digest of the files a `pip install` of it would use."""
    pyproject = REPO / "pyproject.toml"
    version = tomllib.loads(pyproject.read_text())["project"]["version"]
    return f"{version}-{source_digest(pyproject, REPO / 'qfractal')}"


def _install_qfractal(python: Path) -> None:
    with tempfile.TemporaryDirectory() as source:  # a clean copy: no build/ in the repo
        shutil.copy(REPO / "pyproject.toml", source)
        shutil.copy(REPO / "README.md", source)
        shutil.copytree(
            REPO / "qfractal",
            Path(source) / "qfractal",
            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
        )
        subprocess.run(
            [python, "-m", "pip", "install", "--quiet", "--no-deps", source],
            check=True,
            timeout=600,
        )


def worker_venv_python() -> Path:
    """The python of a venv the cluster user can run, holding qfractal without dependencies.

    Built from `/usr/bin/python3` under `<repo>/.cache/worker-python-<version>-<digest>/`
    and reused while the package's sources are unchanged.
    """
    return system_venv("worker-python", _package_key(), _install_qfractal)


@pytest.fixture(scope="session")
def worker_python(slurm_user: str) -> Path:
    """`worker_venv_python`, checked to run as the cluster user."""
    python = worker_venv_python()
    check_runs_as(slurm_user, python, "import qfractal.compute.executors")
    return python


# -- a service account for sudo ---------------------------------------------------------


@dataclass(frozen=True)
class ServiceUser:
    """A non-root account like the one a production server runs as."""

    name: str

    def run_python(self, code: str, *, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        """Run `code` as this user with /usr/bin/python3 (standard library + the repo)."""
        env = {
            "PATH": "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin",
            "PYTHONPATH": str(REPO),
            "PYTHONDONTWRITEBYTECODE": "1",
            "LANG": "C.UTF-8",
        }
        return subprocess.run(
            ["runuser", "-u", self.name, "--", "/usr/bin/python3", "-c", code],
            capture_output=True,
            text=True,
            env=env,
            cwd="/",
            timeout=timeout,
        )


@pytest.fixture(scope="session")
def service_user() -> ServiceUser:
    """The non-root user `qfractalsvc` (created if missing), without any sudo rule."""
    try:
        pwd.getpwnam(SERVICE_USER)
    except KeyError:
        no_login = ["--no-create-home", "--shell", "/usr/sbin/nologin"]
        subprocess.run(["useradd", "--system", *no_login, SERVICE_USER], check=True)
    return ServiceUser(SERVICE_USER)


@pytest.fixture
def sudo_rule(service_user: ServiceUser, slurm_user: str) -> Iterator[str]:
    """The sudoers rule qfractal documents, in /etc/sudoers.d/qfractal-test while the test
    runs (checked with `visudo -cf`, removed afterwards); yields the rule."""
    paths = []
    for command in SUDO_RULE_COMMANDS:
        path = shutil.which(command)
        assert path, f"{command} is not installed"
        paths.append(path)
    rule = f"{service_user.name} ALL=({slurm_user}) NOPASSWD: {', '.join(paths)}\n"
    with tempfile.NamedTemporaryFile("w", suffix=".sudoers", delete=False) as draft:
        draft.write(rule)
    try:
        subprocess.run(["visudo", "-cf", draft.name], check=True, capture_output=True)
        shutil.copy(draft.name, SUDO_RULE_FILE)
        SUDO_RULE_FILE.chmod(0o440)
        yield rule
    finally:
        os.unlink(draft.name)
        SUDO_RULE_FILE.unlink(missing_ok=True)
