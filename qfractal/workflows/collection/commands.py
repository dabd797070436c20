"""Running the commands of task collection: argument lists only, never a shell.

Every value that reaches an argument list (package names, versions, extras, paths) has
been validated by the request schemas before; each argument is passed to the program as
one word, so nothing in it is interpreted.
"""

import asyncio
import contextlib
import logging
import os
import signal
from collections.abc import Sequence
from dataclasses import dataclass

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 30 * 60.0
"""Seconds a single collection command may take (big packages need minutes)."""

OUTPUT_TAIL = 4000
"""How many characters of a failed command's output end up in the activity log."""


class CommandFailed(Exception):
    """A command exited with an error, timed out or could not be started."""


@dataclass(frozen=True)
class CommandResult:
    argv: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str


def _tail(text: str) -> str:
    text = text.strip()
    return text if len(text) <= OUTPUT_TAIL else "[...]\n" + text[-OUTPUT_TAIL:]


async def run(
    argv: Sequence[str], *, timeout: float = DEFAULT_TIMEOUT, check: bool = True
) -> CommandResult:
    """Run `argv` in its own process group; the group is killed on timeout or cancellation.

    With `check`, a non-zero exit raises CommandFailed carrying the end of the output.
    """
    try:
        process = await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            start_new_session=True,
        )
    except OSError as exc:
        raise CommandFailed(f"Cannot run {argv[0]}: {exc}") from exc
    try:
        stdout, stderr = await asyncio.wait_for(process.communicate(), timeout)
    except (TimeoutError, asyncio.CancelledError) as exc:
        _kill_group(process)
        await process.wait()
        if isinstance(exc, TimeoutError):
            raise CommandFailed(f"{' '.join(argv)} timed out after {timeout:.0f} s") from exc
        raise
    result = CommandResult(
        argv=tuple(argv),
        returncode=process.returncode if process.returncode is not None else -1,
        stdout=stdout.decode(errors="replace"),
        stderr=stderr.decode(errors="replace"),
    )
    if check and result.returncode != 0:
        output = _tail(result.stderr + "\n" + result.stdout)
        raise CommandFailed(
            f"{' '.join(argv)} failed with exit code {result.returncode}:\n{output}"
        )
    return result


def _kill_group(process: asyncio.subprocess.Process) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


# --- pip argument lists ----------------------------------------------------------------------


def pip_install(python: str, requirements: Sequence[str], *, cache_dir: str | None) -> list[str]:
    cache = ["--cache-dir", cache_dir] if cache_dir else ["--no-cache-dir"]
    return [python, "-m", "pip", "install", "--disable-pip-version-check", *cache, *requirements]


def pip_freeze(python: str) -> list[str]:
    return [python, "-m", "pip", "freeze", "--all", "--disable-pip-version-check"]


def pip_show_files(python: str, distribution: str) -> list[str]:
    return [python, "-m", "pip", "show", "--files", "--disable-pip-version-check", distribution]


def pip_resolve(python: str, requirement: str, *, cache_dir: str | None) -> list[str]:
    """Ask pip which distribution it would install, as a JSON report on stdout.

    Going through pip (instead of reading the index's JSON API) makes mirrors, proxies,
    HTML-only indexes and pip's own configuration work.
    """
    cache = ["--cache-dir", cache_dir] if cache_dir else ["--no-cache-dir"]
    return [
        python,
        "-m",
        "pip",
        "install",
        "--disable-pip-version-check",
        *cache,
        "--dry-run",
        "--ignore-installed",
        "--no-deps",
        "--quiet",
        "--report",
        "-",
        requirement,
    ]


def create_venv(python: str, venv_path: str) -> list[str]:
    return [python, "-m", "venv", "--copies", venv_path]
