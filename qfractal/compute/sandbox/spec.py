"""What a sandboxed run executes, and the walls around it."""

from dataclasses import dataclass
from pathlib import Path

MIB = 1024 * 1024

DEFAULT_PRELOAD = (
    "cmath",
    "collections",
    "copy",
    "dataclasses",
    "enum",
    "fractions",
    "functools",
    "itertools",
    "json",
    "math",
    "numbers",
    "operator",
    "random",
    "re",
    "string",
    "time",
    "typing",
)
"""Standard modules every program may use. Imported before privileges are dropped, so a
program can use them even when the interpreter's own files are unreadable to the
sandbox user (a Python installed under /root)."""


def split_import_path(path: str) -> tuple[str, str]:
    """`"package.module:function"` as `("package.module", "function")`.

    Raises:
        ValueError: not of that form.
    """
    module, sep, name = path.partition(":")
    if not sep or not module or not name.isidentifier():
        raise ValueError(f"expected 'package.module:function', not {path!r}")
    if not all(part.isidentifier() for part in module.split(".")):
        raise ValueError(f"{module!r} is not a module name")
    return module, name


@dataclass(frozen=True)
class SandboxEntry:
    """What the child does after running the program's source.

    `collector` names a trusted function (`"package.module:function"`) that takes the
    value of the program's variable `variable` and returns `str` or `bytes` (OpenQASM
    text, QPY, ...), or raises `TypeError`/`ValueError` to refuse the value. It is
    imported before the program runs and before privileges are dropped, so it must
    import what it needs at module level. `preload` lists more modules to import
    beforehand (the SDKs the program uses), besides `DEFAULT_PRELOAD`: each costs
    startup time in every run.
    """

    collector: str
    variable: str = "circuit"
    preload: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        split_import_path(self.collector)
        if not self.variable.isidentifier():
            raise ValueError(f"{self.variable!r} is not a variable name")


@dataclass(frozen=True)
class Limits:
    """Resource limits of one run.

    `wall_seconds` runs from the moment the program starts (after the child's setup,
    which `startup_seconds` bounds). `cpu_seconds` and `memory_bytes` are counted on top
    of what the child used for its setup (interpreter, preloaded SDKs): `memory_bytes` is
    the address space (RLIMIT_AS) the program may add. `processes` (RLIMIT_NPROC, threads
    included) applies only when the program runs as its own user (see `Isolation`).
    `result_bytes` bounds the collector's value, `output_bytes` what the program prints.
    `tmp_bytes` is the size of the private /tmp, /var/tmp and /dev/shm (mount namespace).
    """

    wall_seconds: float = 30.0
    cpu_seconds: int = 30
    memory_bytes: int = 1024 * MIB
    file_bytes: int = 16 * MIB
    processes: int = 32
    open_files: int = 256
    result_bytes: int = 16 * MIB
    output_bytes: int = 1 * MIB
    tmp_bytes: int = 64 * MIB
    startup_seconds: float = 60.0

    def __post_init__(self) -> None:
        for name, value in vars(self).items():
            if value <= 0:
                raise ValueError(f"{name} must be positive, not {value!r}")


SANDBOX_UID_BASE = 0x7A000000
"""First user id of the range sandboxed programs run as (when the server is root): an
id with no account and no files, outside the ranges systemd and container tools use."""


@dataclass(frozen=True)
class Isolation:
    """Which walls to raise, when the system allows them (see `probe_isolation`).

    - `network`: a new, empty network namespace (no interface up: every connection
      fails, loopback included).
    - `private_tmp`: a mount namespace where /tmp, /var/tmp and /dev/shm are fresh
      size-limited tmpfs, and each of `hidden_paths` (the server's data folder, its
      `.env`) is covered by an empty read-only file system (a file by /dev/null).
    - `drop_privileges`: when the server is root, the program runs as a user id of its
      own, picked from `uid_base` .. `uid_base + uid_count - 1` per run, with no groups
      and `no_new_privs` (setuid binaries grant nothing). Its own id makes
      RLIMIT_NPROC count only its processes, keeps concurrent runs from signalling each
      other, and lets every process it leaves behind be found and killed.

    A wall the system refuses is skipped with a warning (logged once), unless `strict`:
    then the run fails with `SandboxSetupError`.
    """

    network: bool = True
    private_tmp: bool = True
    drop_privileges: bool = True
    hidden_paths: tuple[Path, ...] = ()
    uid_base: int = SANDBOX_UID_BASE
    uid_count: int = 65536
    strict: bool = False

    def __post_init__(self) -> None:
        for path in self.hidden_paths:
            if not Path(path).is_absolute():
                raise ValueError(f"hidden paths must be absolute, not {str(path)!r}")
        if self.uid_base < 1000 or self.uid_count < 1 or self.uid_base + self.uid_count > 2**31:
            raise ValueError("the sandbox user ids must be in 1000 .. 2**31 - 1")
