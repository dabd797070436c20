"""What a child process gets from the server: environment variables and import paths.

Built from scratch, never copied from the server's environment: no `QFRACTAL_*`
setting, no credential, no HOME of the server reaches a child.
"""

import importlib.util
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path

SYSTEM_PATH = ("/usr/local/bin", "/usr/bin", "/bin")


def minimal_environment(*, home: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """PATH (the interpreter's folder first), a UTF-8 locale, HOME and TMPDIR at `home`,
    then `extra`. PYTHONPATH is never needed: children run `python -I` and get their
    import paths from their parent (`import_roots`)."""
    path = [str(Path(sys.executable).parent), *SYSTEM_PATH]
    environment = {
        "PATH": ":".join(dict.fromkeys(path)),
        "LANG": "C.UTF-8",
        "HOME": str(home),
        "TMPDIR": str(home),
    }
    environment.update(extra or {})
    return environment


def import_root(module: str) -> str | None:
    """The folder to put on `sys.path` so that `module` imports as it does here.

    None for built-in and frozen modules.

    Raises:
        ValueError: no such top-level package or module.
    """
    top = module.partition(".")[0]
    spec = importlib.util.find_spec(top)
    if spec is None:
        raise ValueError(f"no module named {top!r}")
    if spec.origin and spec.origin not in ("built-in", "frozen"):
        origin = Path(spec.origin)
        return str(origin.parent.parent if spec.submodule_search_locations else origin.parent)
    locations = list(spec.submodule_search_locations or ())
    return str(Path(locations[0]).parent) if locations else None


def import_roots(modules: Iterable[str]) -> list[str]:
    """`import_root` of each module, once each, in order."""
    roots = (import_root(module) for module in modules)
    return list(dict.fromkeys(root for root in roots if root is not None))
