"""Run commands as the cluster user through `sudo -n -u USER`, on the server's own machine.

For a server that shares a machine (or a file system and SLURM client) with the cluster:
each command is `sudo -n --set-home -u USER -- ARGV...`, a subprocess of the server, in
its own session (so sudo never sees a terminal and never asks for a password) and with
`/` as its working directory (pass absolute paths and `sbatch --chdir`).

The sudo rule qfractal needs, for a server running as `qfractal` and jobs run as the
cluster users in the (example) group `slurmusers`, in `/etc/sudoers.d/qfractal` (check it
with `visudo -cf FILE`, mode 0440)::

    qfractal ALL=(%slurmusers) NOPASSWD: /usr/bin/sbatch, /usr/bin/squeue, \\
        /usr/bin/scancel, /usr/bin/tar, /usr/bin/mkdir

`sbatch`/`squeue`/`scancel` submit, watch and cancel jobs; `tar` carries files both ways
(`transport.upload` and `download`); `mkdir` makes job folders. Use the paths `command -v`
prints on the server's machine. `NOPASSWD` is required: the server cannot type a password.

Standard library only: a test runs this module under a system Python.
"""

import asyncio
import contextlib
import os
import signal
import subprocess
from collections.abc import Sequence

from qfractal.compute.executors.slurm.transport import CommandResult, TransportError

KILL_GRACE_SECONDS = 2.0
"""Time a timed-out command gets after SIGTERM before sudo is killed."""

_SUDO = "sudo"


class SudoTransport:
    """A `Transport` that runs each command as `username` through sudo, no connection kept."""

    def __init__(self, username: str) -> None:
        if not username or username.startswith("-"):
            raise ValueError(f"not a user name: {username!r}")
        self.username = username

    async def run(
        self, argv: Sequence[str], *, stdin: bytes | None = None, timeout: float | None = None
    ) -> CommandResult:
        if not argv:
            raise ValueError("a command needs at least a program name")
        command = [_SUDO, "-n", "--set-home", "-u", self.username, "--", *argv]
        try:
            process = await asyncio.create_subprocess_exec(
                *command,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                cwd="/",
                start_new_session=True,
            )
        except OSError as exc:
            raise TransportError(
                f"cannot start sudo to run {argv[0]} as {self.username}: {exc} "
                "(is sudo installed on the server's machine?)"
            ) from exc
        try:
            stdout, stderr = await asyncio.wait_for(process.communicate(stdin), timeout)
        except TimeoutError:
            await _stop(process)
            raise TransportError(
                f"{argv[0]} as {self.username} did not end within {timeout} s and was killed"
            ) from None
        except BaseException:  # cancelled: leave no command behind
            await _stop(process)
            raise
        assert process.returncode is not None
        if process.returncode == 1:
            self._raise_for_sudo_refusal(argv, stderr)
        return CommandResult(process.returncode, stdout, stderr)

    async def close(self) -> None:
        """Nothing to release: each command is its own process."""

    def _raise_for_sudo_refusal(self, argv: Sequence[str], stderr: bytes) -> None:
        """Raise when sudo itself refused (exit status 1 and a `sudo:` message)."""
        text = stderr.decode(errors="replace")
        lines = [line.strip() for line in text.splitlines() if line.startswith("sudo:")]
        said = " ".join(lines)
        if not lines and "is not allowed to execute" not in text:
            return  # the command's own exit status 1
        if "unknown user" in said:
            raise TransportError(
                f"sudo: unknown user {self.username!r} on the server's machine: "
                "check the cluster user name (it must exist here, e.g. through LDAP)"
            )
        if "a password is required" in said or "is not allowed to execute" in text:
            raise TransportError(
                f"the server's user may not run {argv[0]!r} as {self.username} through sudo "
                f"without a password (sudo said: {said or text.strip()}). A sudoers rule "
                f"like 'SERVER_USER ALL=({self.username}) NOPASSWD: /usr/bin/sbatch, "
                "/usr/bin/squeue, /usr/bin/scancel, /usr/bin/tar, /usr/bin/mkdir' is needed "
                "(full paths of those commands on this machine; see qfractal's sudo docs)"
            )
        if "command not found" in said:
            raise TransportError(
                f"command not found: {argv[0]!r} is not on sudo's secure_path "
                f"for {self.username} (sudo said: {said})"
            )
        raise TransportError(f"sudo refused to run {argv[0]!r} as {self.username}: {said}")


async def _stop(process: asyncio.subprocess.Process) -> None:
    """SIGTERM sudo (it passes the signal on to the command), then SIGKILL, and reap it."""
    with contextlib.suppress(ProcessLookupError):
        process.send_signal(signal.SIGTERM)
    try:
        await asyncio.wait_for(process.wait(), KILL_GRACE_SECONDS)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        await process.wait()
