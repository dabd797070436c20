"""How a sandboxed run ended."""

from dataclasses import dataclass
from enum import StrEnum


class SandboxSetupError(Exception):
    """The sandbox itself failed (the child could not start, a preload or the collector
    could not be imported, a `strict` wall is unavailable): a fault of the server, not
    of the program. The message is for the server's log, not for the program's author."""


class SandboxStatus(StrEnum):
    OK = "ok"
    TIMEOUT = "timeout"
    """The wall-clock limit passed."""
    CPU_TIME = "cpu_time"
    """The CPU-time limit passed (SIGXCPU)."""
    MEMORY = "memory"
    """An allocation failed at the memory limit (MemoryError)."""
    USER_ERROR = "user_error"
    """The program raised an exception (syntax errors included)."""
    MISSING_VARIABLE = "missing_variable"
    """The program ran but did not define the variable."""
    INVALID_VALUE = "invalid_value"
    """The collector refused the variable's value."""
    OUTPUT_TOO_LARGE = "output_too_large"
    """The collected value or the printed output passed its limit."""
    CRASHED = "crashed"
    """The child died without a result (a signal, os._exit, a broken result)."""


@dataclass(frozen=True)
class AppliedIsolation:
    """The walls a run actually had."""

    network: bool
    private_tmp: bool
    uid: int | None
    """The user id the program ran as; None: the server's own."""


@dataclass(frozen=True)
class SandboxOutcome:
    """The collected value (`status` OK), or why there is none.

    `message` explains a failure in words meant for the program's author; for
    USER_ERROR, `exception_type` (e.g. `PermissionError`, `qiskit.exceptions.QiskitError`)
    and `traceback` (only the program's own frames, file `<program>`) come with it.
    `output` is what the program printed (stdout and stderr, interleaved), cut at the
    output limit. `value` is untrusted data: a program can write anything on the
    result channel, so parse it as such.
    """

    status: SandboxStatus
    value: str | bytes | None = None
    message: str = ""
    exception_type: str | None = None
    traceback: str | None = None
    output: str = ""
    seconds: float = 0.0
    """Wall-clock time of the program, setup excluded."""
    setup_seconds: float = 0.0
    """Time from spawning the child to the program's start (interpreter, preloads)."""
    isolation: AppliedIsolation | None = None

    @property
    def ok(self) -> bool:
        return self.status is SandboxStatus.OK
