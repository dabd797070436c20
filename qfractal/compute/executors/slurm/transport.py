"""How the server runs commands as the cluster user, and moves files with nothing but `run`.

A `Transport` runs one command (an argv list, never a shell line of ours) as the cluster
user and returns its exit status and output. Two implementations: `sudo.SudoTransport`
(the server and the cluster share a machine or a file system) and `ssh.SSHTransport`
(asyncssh to a login node). Whatever cannot even start or finish the command, the
transport reports as `TransportError`; a command that ran and failed is a `CommandResult`
with a non-zero `returncode`, for the caller to judge.

`upload` and `download` move files and folders as tar streams through `run`, so both transports
share them and need no other channel (no SFTP, no scp). They need GNU tar >= 1.28 on the
cluster (`--one-top-level`, 2014). Archives are built and read in memory: they are meant
for job inputs and outputs (scripts, arguments, logs, small results), not for image data,
which lives on a shared file system. Remote folders are absolute paths: a sudo command
starts in `/`, an ssh command in the user's home.

Module is standard library only: `remote` code and the sudo transport run under a
Python without our dependencies.
"""

import asyncio
import io
import posixpath
import tarfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Protocol


@dataclass(frozen=True)
class CommandResult:
    """A command that ran to its end: exit status (negative: killed by that signal)."""

    returncode: int
    stdout: bytes
    stderr: bytes


class TransportError(Exception):
    """The command could not be run, or its outcome is unknown.

    The message says what went wrong and what to check (the sudo rule, the ssh key, the
    host); callers show it as is.
    """


class Transport(Protocol):
    async def run(
        self, argv: Sequence[str], *, stdin: bytes | None = None, timeout: float | None = None
    ) -> CommandResult:
        """Run `argv` as the cluster user and wait for it to end.

        No shell of ours is involved: sudo gets `argv` as is, ssh gets it `shlex.join`ed
        for the login shell on the other side. `stdin` is fed to the command, then
        closed (None: empty input). A command that takes longer than `timeout` seconds
        is killed.

        Raises:
            TransportError: the command could not be started, did not end within
                `timeout`, or its outcome is unknown (connection lost while it ran).
        """
        ...

    async def close(self) -> None:
        """Release connections and processes; `run` may open new ones later."""
        ...


async def upload(
    transport: Transport, local_root: Path, relative_paths: Sequence[str], remote_root: str
) -> None:
    """Copy files and folders under `local_root` to the same places under `remote_root`.

    One command on the cluster: `tar -x -f - --one-top-level=REMOTE_ROOT`, fed a tar
    stream of `relative_paths` (folders with everything in them). `--one-top-level` with
    an absolute folder extracts into it and creates it and its missing parents, so no
    `mkdir -p` round trip is needed. `remote_root` must therefore be absolute; existing
    files are overwritten. Symbolic links are copied as links.

    Raises:
        ValueError: `remote_root` is relative, or a relative path is absolute or has `..`.
        OSError: a local file cannot be read.
        TransportError: tar failed on the cluster (its stderr is in the message), or the
            transport could not run it.
    """
    root = _absolute_remote_root(remote_root)
    names = [_relative_name(path) for path in relative_paths]
    archive = await asyncio.to_thread(_pack, local_root, names)
    argv = ["tar", "-x", "-f", "-", f"--one-top-level={root}"]
    result = await transport.run(argv, stdin=archive)
    if result.returncode != 0:
        hint = ""
        if b"one-top-level" in result.stderr:
            hint = " (the cluster's tar is older than GNU tar 1.28, which qfractal needs)"
        raise TransportError(
            f"upload to {root} failed{hint}: tar exited with {result.returncode}: "
            f"{_text(result.stderr)}"
        )


async def download(
    transport: Transport,
    remote_root: str,
    relative_paths: Sequence[str],
    local_root: Path,
    *,
    missing_ok: bool = False,
) -> None:
    """Copy files and folders under `remote_root` to the same places under `local_root`.

    Runs `tar -c -f - -C REMOTE_ROOT -- PATHS...` on the cluster (`remote_root` must be
    absolute) and extracts its output under `local_root` (created if missing). The
    archive comes from the cluster user, so it is checked before anything is written:
    absolute names, `..` in names, links leading out of `local_root`, devices and fifos
    make the whole download fail. With `missing_ok`, paths that do not exist on the
    cluster are left out (`--ignore-failed-read`) instead of failing the download.

    Raises:
        ValueError: `remote_root` is relative, or a relative path is absolute or has `..`.
        OSError: `local_root` cannot be written.
        TransportError: tar failed on the cluster (a missing path, for instance: its
            stderr is in the message), the archive is unreadable or hostile, or the
            transport could not run tar.
    """
    remote_root = _absolute_remote_root(remote_root)
    names = [_relative_name(path) for path in relative_paths]
    ignore = ["--ignore-failed-read"] if missing_ok else []
    argv = ["tar", "-c", "-f", "-", *ignore, "-C", remote_root, "--", *names]
    result = await transport.run(argv)
    if result.returncode != 0:
        raise TransportError(
            f"download from {remote_root} failed: tar exited with {result.returncode}: "
            f"{_text(result.stderr)}"
        )
    await asyncio.to_thread(_unpack, result.stdout, local_root, remote_root)


def _absolute_remote_root(remote_root: str) -> str:
    if not remote_root.startswith("/"):
        raise ValueError(f"the remote folder must be an absolute path, not {remote_root!r}")
    return posixpath.normpath(remote_root)


def _relative_name(path: str) -> str:
    """`path` as a clean relative name, refused if it could leave its root."""
    pure = PurePosixPath(path)
    if not path or pure.is_absolute() or ".." in pure.parts:
        raise ValueError(f"not a relative path inside the folder: {path!r}")
    name = posixpath.normpath(path)
    if name == ".":
        raise ValueError(f"not a relative path inside the folder: {path!r}")
    return name


def _pack(local_root: Path, names: Sequence[str]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as archive:
        for name in names:
            archive.add(local_root / name, arcname=name, recursive=True)
    return buffer.getvalue()


def _unpack(data: bytes, local_root: Path, remote_root: str) -> None:
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as archive:
            members = archive.getmembers()
            for member in members:
                problem = _member_problem(member)
                if problem is not None:
                    raise TransportError(
                        f"download from {remote_root} refused: the archive's member "
                        f"{member.name!r} {problem}; nothing was written"
                    )
            local_root.mkdir(parents=True, exist_ok=True)
            if hasattr(tarfile, "data_filter"):  # Python >= 3.11.4: a second guard
                archive.extractall(local_root, members=members, filter="data")
            else:  # pragma: no cover - older 3.11 interpreters
                archive.extractall(local_root, members=members)
    except tarfile.TarError as exc:
        raise TransportError(f"download from {remote_root}: unreadable archive: {exc}") from exc


def _member_problem(member: tarfile.TarInfo) -> str | None:
    """Why `member` must not be extracted, or None when it stays inside the folder."""
    name = PurePosixPath(member.name)
    if name.is_absolute():
        return "is an absolute path"
    if ".." in name.parts:
        return "has '..' in its path"
    if not (member.isreg() or member.isdir() or member.issym() or member.islnk()):
        return "is a device, fifo or other special file"
    if member.issym() or member.islnk():
        target = PurePosixPath(member.linkname)
        if target.is_absolute():
            return f"is a link to the absolute path {member.linkname!r}"
        # a symlink is relative to its own folder, a hard link to the archive's root
        base = posixpath.dirname(member.name) if member.issym() else ""
        resolved = posixpath.normpath(posixpath.join(base, member.linkname))
        if resolved == ".." or resolved.startswith("../"):
            return f"is a link leading out of the folder ({member.linkname!r})"
    return None


def _text(stderr: bytes) -> str:
    text = stderr.decode(errors="replace").strip()
    return text or "(no error output)"
