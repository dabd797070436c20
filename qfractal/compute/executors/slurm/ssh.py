"""Run commands as the cluster user over ssh (asyncssh), on one shared connection.

One connection per transport, opened by the first `run`, authenticated with one private
key (no agent, no password, no `~/.ssh/config`). Commands share it as channels, at most
`max_channels` at once: OpenSSH's sshd refuses the 11th concurrent session of a connection
(`MaxSessions 10` by default), so the cap must stay below the server's setting.

A dropped connection is replaced once per command: when the connection is found closed,
or the command's channel cannot be opened because the connection went away, a new
connection is made and the command starts on it; if that fails too, `TransportError`.
A command past its timeout is killed with an ssh signal request (SIGKILL; OpenSSH's sshd
honours them), since closing its channel alone would leave it running. A connection
that drops *while* a command runs is not retried: the command may have
taken effect (a job submitted), so the caller gets a `TransportError` saying its outcome
is unknown; the next `run` reconnects.

Host keys are not checked yet (`known_hosts=None`): the transport trusts whatever answers
on HOST:PORT. Good enough for a login node on a trusted network and for tests; pinning
the cluster's host key is a planned setting.
"""

import asyncio
import contextlib
import shlex
import socket
from collections.abc import Sequence

import asyncssh

from qfractal.compute.executors.slurm.transport import CommandResult, TransportError

KEEPALIVE_SECONDS = 30.0
"""Interval of ssh keepalives, so that a dead connection is noticed between commands."""


SESSION_RETRY_DELAYS = (0.05, 0.1, 0.2, 0.4, 0.8)
"""Waits before asking again for a session sshd refused: it counts a closed session until
it has processed the close, so a busy sshd refuses briefly even below its MaxSessions.
The command never started, so asking again is safe."""


class _SessionRefused(Exception):
    """sshd refused to open a channel on a live connection."""


class _ConnectionGone(Exception):
    """The command's channel could not be opened because the connection is gone."""


class SSHTransport:
    """A `Transport` over one asyncssh connection to `username@host:port`."""

    def __init__(
        self,
        host: str,
        port: int,
        username: str,
        key_path: str,
        max_channels: int = 8,
        connect_timeout: float = 10,
    ) -> None:
        if max_channels < 1:
            raise ValueError("max_channels must be at least 1")
        self.host = host
        self.port = port
        self.username = username
        self.key_path = key_path
        self.max_channels = max_channels
        self.connect_timeout = connect_timeout
        self._channels = asyncio.Semaphore(max_channels)
        self._connecting = asyncio.Lock()
        self._connection: asyncssh.SSHClientConnection | None = None

    @property
    def _where(self) -> str:
        return f"{self.username}@{self.host}:{self.port}"

    async def run(
        self, argv: Sequence[str], *, stdin: bytes | None = None, timeout: float | None = None
    ) -> CommandResult:
        if not argv:
            raise ValueError("a command needs at least a program name")
        command = shlex.join(argv)
        async with self._channels:
            for delay in SESSION_RETRY_DELAYS:
                with contextlib.suppress(_SessionRefused):
                    return await self._run_once(argv, command, stdin, timeout)
                await asyncio.sleep(delay)
            try:
                return await self._run_once(argv, command, stdin, timeout)
            except _SessionRefused as exc:
                raise TransportError(
                    f"sshd on {self.host}:{self.port} refused a new session for {argv[0]} "
                    f"({exc}): is its MaxSessions below max_channels={self.max_channels}?"
                ) from exc

    async def _run_once(
        self, argv: Sequence[str], command: str, stdin: bytes | None, timeout: float | None
    ) -> CommandResult:
        """Run on the connection, reconnecting once if it was gone before the command."""
        connection = await self._connected()
        try:
            return await self._run_on(connection, argv, command, stdin, timeout)
        except _ConnectionGone:
            connection = await self._reconnect(connection)
        try:
            return await self._run_on(connection, argv, command, stdin, timeout)
        except _ConnectionGone as exc:
            raise TransportError(
                f"ssh connection to {self._where} lost again right after reconnecting, "
                f"before {argv[0]} could start: {exc}"
            ) from exc

    async def close(self) -> None:
        async with self._connecting:
            connection, self._connection = self._connection, None
        if connection is not None:
            connection.close()
            await connection.wait_closed()

    async def _run_on(
        self,
        connection: asyncssh.SSHClientConnection,
        argv: Sequence[str],
        command: str,
        stdin: bytes | None,
        timeout: float | None,
    ) -> CommandResult:
        try:
            process = await connection.create_process(command, encoding=None)
        except asyncssh.ChannelOpenError as exc:
            if connection.is_closed() or "connection closed" in exc.reason.lower():
                raise _ConnectionGone(exc.reason) from exc
            raise _SessionRefused(exc.reason) from exc
        except (asyncssh.DisconnectError, OSError) as exc:
            raise _ConnectionGone(str(exc)) from exc
        ended = False
        try:
            if stdin:
                process.stdin.write(stdin)
            process.stdin.write_eof()
            completed = await process.wait(timeout=timeout)
            ended = True
        except asyncssh.TimeoutError:
            raise TransportError(
                f"{argv[0]} on {self._where} did not end within {timeout} s and was killed"
            ) from None
        except (asyncssh.Error, OSError) as exc:
            raise self._unknown_outcome(argv, exc) from exc
        finally:
            if not ended:  # timed out or cancelled: closing the channel alone leaves it running
                with contextlib.suppress(asyncssh.Error, OSError):
                    process.kill()
            process.close()
        if completed.returncode is None:
            raise self._unknown_outcome(argv, "no exit status (connection lost?)")
        stderr = completed.stderr or b""
        if completed.returncode == 127 and argv[0].encode() + b": " in stderr:
            raise TransportError(
                f"command not found on {self._where}: {argv[0]!r} is not on the login "
                f"shell's PATH ({_text(stderr)})"
            )
        return CommandResult(completed.returncode, completed.stdout or b"", stderr)

    def _unknown_outcome(self, argv: Sequence[str], cause: object) -> TransportError:
        return TransportError(
            f"ssh connection to {self._where} failed while {argv[0]} ran ({cause}): "
            "it may or may not have taken effect; the next command reconnects"
        )

    async def _connected(self) -> asyncssh.SSHClientConnection:
        """The open connection, made now if there is none or it was found closed."""
        connection = self._connection
        if connection is not None and not connection.is_closed():
            return connection
        return await self._reconnect(connection)

    async def _reconnect(
        self, dead: asyncssh.SSHClientConnection | None
    ) -> asyncssh.SSHClientConnection:
        """Replace `dead` by a new connection, once for all commands that saw it die."""
        async with self._connecting:
            current = self._connection
            if current is not None and current is not dead and not current.is_closed():
                return current  # another command reconnected already
            if current is not None:
                current.abort()
            self._connection = None
            self._connection = await self._connect()
            return self._connection

    async def _connect(self) -> asyncssh.SSHClientConnection:
        key = self._read_key()
        try:
            return await asyncssh.connect(
                self.host,
                port=self.port,
                username=self.username,
                client_keys=[key],
                known_hosts=None,
                agent_path=None,
                password=None,
                preferred_auth="publickey",
                config=None,
                connect_timeout=self.connect_timeout,
                keepalive_interval=KEEPALIVE_SECONDS,
            )
        except asyncssh.PermissionDenied as exc:
            raise TransportError(
                f"ssh login as {self.username} on {self.host}:{self.port} refused: wrong "
                f"username, or the key {self.key_path} is not authorized "
                f"(not in ~{self.username}/.ssh/authorized_keys)"
            ) from exc
        except asyncssh.Error as exc:
            raise TransportError(
                f"ssh connection to {self._where} failed: {exc.reason or exc}"
            ) from exc
        except socket.gaierror as exc:
            raise TransportError(f"unknown ssh host {self.host!r}: {exc}") from exc
        except ConnectionRefusedError as exc:
            raise TransportError(
                f"ssh connection to {self.host}:{self.port} refused: no sshd listens there "
                "(check the host, the port and that sshd runs)"
            ) from exc
        except TimeoutError as exc:
            raise TransportError(
                f"ssh host {self.host}:{self.port} unreachable: no answer within "
                f"{self.connect_timeout} s (check the host, the port and firewalls)"
            ) from exc
        except OSError as exc:
            raise TransportError(
                f"ssh host {self.host}:{self.port} unreachable: {exc.strerror or exc}"
            ) from exc

    def _read_key(self) -> asyncssh.SSHKey:
        try:
            return asyncssh.read_private_key(self.key_path)
        except FileNotFoundError as exc:
            raise TransportError(f"bad key {self.key_path}: no such file") from exc
        except OSError as exc:
            raise TransportError(
                f"bad key {self.key_path}: cannot read it ({exc.strerror or exc}); "
                "the server's user must be able to read it"
            ) from exc
        except (asyncssh.KeyImportError, ValueError) as exc:
            raise TransportError(
                f"bad key {self.key_path}: not a usable private key ({exc}); "
                "qfractal needs an unencrypted OpenSSH or PEM private key"
            ) from exc


def _text(stderr: bytes) -> str:
    return stderr.decode(errors="replace").strip()
