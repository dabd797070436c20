"""A sandbox for untrusted Python source: a child process behind walls, never exec()
in the server.

`run_in_sandbox(source, entry=SandboxEntry(collector=...), limits=Limits(...))` runs the
source in a fresh interpreter with time, CPU, memory, file, process and output limits,
an empty private working folder, an environment built from scratch, no network and,
when the server is root, a user id of its own; then a trusted collector turns the
program's variable into `str` or `bytes`. See `Isolation` for the walls and
`probe_isolation` for what the system allows.
"""

from qfractal.compute.sandbox.isolation import IsolationSupport, probe_isolation
from qfractal.compute.sandbox.outcome import (
    AppliedIsolation,
    SandboxOutcome,
    SandboxSetupError,
    SandboxStatus,
)
from qfractal.compute.sandbox.runner import run_in_sandbox, run_in_sandbox_blocking
from qfractal.compute.sandbox.spec import DEFAULT_PRELOAD, Isolation, Limits, SandboxEntry

__all__ = [
    "DEFAULT_PRELOAD",
    "AppliedIsolation",
    "Isolation",
    "IsolationSupport",
    "Limits",
    "SandboxEntry",
    "SandboxOutcome",
    "SandboxSetupError",
    "SandboxStatus",
    "probe_isolation",
    "run_in_sandbox",
    "run_in_sandbox_blocking",
]
