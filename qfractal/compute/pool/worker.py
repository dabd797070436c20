"""A pool worker's main program: preload once, then run calls one at a time.

Run as a script, `python -I worker.py`, by `WorkerProcess`: frames (`protocol`) come on
stdin, replies go on stdout, which is kept for them alone (fd 1 is pointed at stderr, so
what a function prints goes to the server's log). The first frame names the modules to
preload and the initializer; the reply says the worker is ready, or why it is not. Each
later frame is a call `{"function": "package.module:function", "payload": kind}`; the
function gets the payload and returns the result. The end of stdin ends the worker.
"""

import importlib
import os
import sys
import time
import traceback
from pathlib import Path
from typing import Any

ROOT = str(Path(__file__).resolve().parents[3])
if ROOT not in sys.path:
    sys.path.append(ROOT)

from qfractal.compute.pool.protocol import (  # noqa: E402 - after the path is set
    encode_frame,
    pack_value,
    read_frame,
    unpack_value,
)


def main() -> int:
    requests = sys.stdin.buffer
    replies = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    frame = read_frame(requests)
    if frame is None:
        return 0
    started = time.monotonic()
    try:
        start, _ = frame
        _add_paths(start.get("import_paths", []))
        for module in start.get("preload", []):
            importlib.import_module(module)
        if start.get("initializer"):
            _resolve(start["initializer"])()
    except BaseException as exc:
        _send(replies, {"ready": False, **_error(exc)})
        return 1
    ready = {"ready": True, "pid": os.getpid(), "seconds": time.monotonic() - started}
    _send(replies, ready)
    while (frame := read_frame(requests)) is not None:
        header, body = frame
        try:
            _add_paths(header.get("import_paths", []))
            function = _resolve(header["function"])
            result = function(unpack_value(header["payload"], body))
            kind, data = pack_value(result)
            _send(replies, {"ok": True, "result": kind}, data)
        except BaseException as exc:
            _send(replies, {"ok": False, **_error(exc)})
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
    return 0


def _add_paths(paths: list[str]) -> None:
    for path in paths:
        if path not in sys.path:
            sys.path.append(path)


def _resolve(path: str) -> Any:
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


def _error(exc: BaseException) -> dict[str, str]:
    kind = type(exc)
    name = (
        kind.__qualname__
        if kind.__module__ == "builtins"
        else f"{kind.__module__}.{kind.__qualname__}"
    )
    return {
        "error_type": name,
        "message": str(exc),
        "traceback": "".join(traceback.format_exception(exc)),
    }


def _send(stream: Any, header: dict[str, Any], body: bytes = b"") -> None:
    stream.write(encode_frame(header, body))
    stream.flush()


if __name__ == "__main__":
    sys.exit(main())
