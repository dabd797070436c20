"""Which walls the system allows, the users programs run as, the processes they leave.

`probe_isolation` asks a throw-away child (the bootstrap in probe mode) once per server
process whether it may create network and mount namespaces, and logs a warning for each
wall that is missing. Every run then asks only for walls that exist (or fails, when its
`Isolation` is `strict`).
"""

import asyncio
import json
import logging
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from qfractal.compute.sandbox.environment import minimal_environment
from qfractal.compute.sandbox.outcome import SandboxSetupError
from qfractal.compute.sandbox.spec import Isolation

logger = logging.getLogger(__name__)

BOOTSTRAP = Path(__file__).with_name("bootstrap.py")
PROBE_SECONDS = 60.0
_KILL_ROUNDS = 200


@dataclass(frozen=True)
class IsolationSupport:
    """What this system allows; for each namespace None when available, else why not."""

    root: bool
    network: str | None
    private_tmp: str | None


_support: IsolationSupport | None = None
_support_lock = threading.Lock()


def probe_isolation() -> IsolationSupport:
    """What this system allows (probed once, then cached); blocking, about 50 ms.

    Raises:
        SandboxSetupError: the probe child did not answer.
    """
    global _support
    with _support_lock:
        if _support is None:
            _support = _probe()
            _warn(_support)
        return _support


def _probe() -> IsolationSupport:
    home = Path(tempfile.mkdtemp(prefix="qfractal-probe-"))
    try:
        done = subprocess.run(
            [sys.executable, "-I", "-B", str(BOOTSTRAP)],
            input=json.dumps({"mode": "probe"}).encode(),
            capture_output=True,
            cwd=home,
            env=minimal_environment(home=home),
            timeout=PROBE_SECONDS,
            start_new_session=True,
            check=False,
        )
        report = json.loads(done.stdout.decode().splitlines()[0])
    except (OSError, subprocess.SubprocessError, ValueError, IndexError) as exc:
        raise SandboxSetupError(f"the sandbox probe failed: {exc}") from exc
    finally:
        shutil.rmtree(home, ignore_errors=True)
    return IsolationSupport(
        root=report["euid"] == 0, network=report["network"], private_tmp=report["private_tmp"]
    )


def _warn(support: IsolationSupport) -> None:
    if not support.root:
        logger.warning(
            "the server does not run as root: sandboxed programs run as the server's own"
            " user and can read every file it can read (its data folder included, unless"
            " hidden with a mount namespace)"
        )
    if support.network is not None:
        logger.warning(
            "no network namespace (%s): sandboxed programs can open network connections",
            support.network,
        )
    if support.private_tmp is not None:
        logger.warning(
            "no mount namespace (%s): sandboxed programs share /tmp with the server and"
            " hidden paths stay visible",
            support.private_tmp,
        )


@dataclass(frozen=True)
class Walls:
    """The walls one run asks the child for."""

    network: bool
    private_tmp: bool
    drop_privileges: bool


def choose_walls(isolation: Isolation, support: IsolationSupport) -> Walls:
    """The walls of `isolation` that `support` allows.

    Raises:
        SandboxSetupError: `isolation.strict` and a wall it asks for is unavailable.
    """
    missing = []
    if isolation.network and support.network is not None:
        missing.append(f"network namespace ({support.network})")
    if isolation.private_tmp and support.private_tmp is not None:
        missing.append(f"mount namespace ({support.private_tmp})")
    if isolation.drop_privileges and not support.root:
        missing.append("a user of its own (the server is not root)")
    if missing and isolation.strict:
        raise SandboxSetupError(f"the sandbox cannot have: {', '.join(missing)}")
    return Walls(
        network=isolation.network and support.network is None,
        private_tmp=isolation.private_tmp and support.private_tmp is None,
        drop_privileges=isolation.drop_privileges and support.root,
    )


class SandboxUsers:
    """The user ids runs of this server process hold: one per run, never shared."""

    def __init__(self) -> None:
        self._in_use: set[int] = set()
        self._lock = threading.Lock()

    def acquire(self, isolation: Isolation) -> int:
        """A free id of `isolation`'s range, picked at random: another server process
        using the same range is unlikely to pick the same id at the same time."""
        with self._lock:
            if len(self._in_use) >= isolation.uid_count:
                raise SandboxSetupError("every sandbox user id is in use")
            while True:
                uid = isolation.uid_base + random.randrange(isolation.uid_count)
                if uid not in self._in_use:
                    self._in_use.add(uid)
                    return uid

    def release(self, uid: int) -> None:
        with self._lock:
            self._in_use.discard(uid)


sandbox_users = SandboxUsers()


async def kill_user_processes(uid: int) -> int:
    """SIGKILL every process running as `uid` (those a program detached from its
    process group included), until none is left; the number of kills.

    The program's user holds no other process, so this never hits anything else.
    """
    kills = 0
    for _ in range(_KILL_ROUNDS):
        pids = _processes_of(uid)
        if not pids:
            return kills
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
                kills += 1
            except ProcessLookupError:
                pass
        await asyncio.sleep(0.005)
    logger.error("processes of sandbox user %d survive %d rounds of SIGKILL", uid, _KILL_ROUNDS)
    return kills


def _processes_of(uid: int) -> list[int]:
    """Live (not zombie) processes whose real, effective or saved user id is `uid`."""
    found = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/status", encoding="ascii", errors="replace") as f:
                status = dict(line.split(":", 1) for line in f if ":" in line)
        except OSError:
            continue
        state = status.get("State", "").split()
        ids = status.get("Uid", "").split()[:3]
        if state and state[0] not in ("Z", "X") and str(uid) in ids:
            found.append(int(entry.name))
    return found
