"""The trusted first code of a sandboxed child: raise the walls, then run the program.

Run as a script, `python -I -B bootstrap.py`, with one JSON request on stdin. Standard
library only, and it imports nothing from qfractal: the child must not depend on the
server's package being importable before its paths are set.

Order of work (the first steps run with the server's privileges):

1. read the request, then replace stdin by /dev/null; keep the original stdout as the
   result channel and silence fds 1 and 2 during the setup;
2. a new network namespace, as the request says;
3. import the preloads and the collector (they see the whole file system);
   then a new mount namespace (private /tmp, /var/tmp, /dev/shm and working folder;
   hidden paths; import paths made reachable for the sandbox user);
4. resource limits, `no_new_privs`, then the switch to the sandbox user (no way back);
5. write `{"event": "started"}`, point fds 1 and 2 at the output pipe, run the program;
6. hand the named variable to the collector, write the final line, `os._exit`.

The result channel carries JSON lines. A program can write on it too (it runs in this
process): the parent trusts a `setup_error` only before `started`, and treats the value
as untrusted data. Probe mode (`{"mode": "probe"}`) tries the namespaces and reports.
"""

import base64
import builtins
import contextlib
import ctypes
import importlib
import json
import linecache
import os
import resource
import sys
import traceback

PROGRAM = "<program>"

CLONE_NEWNS = 0x00020000
CLONE_NEWNET = 0x40000000
MS_RDONLY = 0x1
MS_NOSUID = 0x2
MS_NODEV = 0x4
MS_REMOUNT = 0x20
MS_BIND = 0x1000
MS_REC = 0x4000
MS_PRIVATE = 0x40000
PR_SET_NO_NEW_PRIVS = 38
PRIVATE_DIRS = ("/tmp", "/var/tmp", "/dev/shm")
MAX_TRACEBACK_CHARS = 8000
MAX_MESSAGE_CHARS = 2000

_libc = ctypes.CDLL(None, use_errno=True)


class SetupError(Exception):
    pass


def _check(result: int, what: str) -> None:
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")


def _unshare(flags: int, what: str) -> None:
    _check(_libc.unshare(flags), what)


def _mount(source: str | None, target: str, fstype: str | None, flags: int, data: str) -> None:
    encode = lambda value: value.encode() if value is not None else None  # noqa: E731
    result = _libc.mount(encode(source), encode(target), encode(fstype), flags, encode(data))
    _check(result, f"mount {target}")


class Channel:
    """The result channel: JSON lines on a private duplicate of the original stdout."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self._dumps = json.dumps
        self._write = os.write

    def send(self, message: dict) -> None:
        data = memoryview((self._dumps(message) + "\n").encode())
        while data:
            data = data[self._write(self.fd, data) :]


def main() -> None:
    request = json.loads(sys.stdin.buffer.read())
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(null, 0)
    channel = Channel(os.dup(1))
    output = os.dup(2)
    os.dup2(null, 1)
    os.dup2(null, 2)
    os.close(null)
    if request.get("mode") == "probe":
        channel.send(probe())
        os._exit(0)
    try:
        collect = setup(request)
    except BaseException as exc:
        channel.send({"status": "setup_error", "message": _describe(exc, full=True)})
        os._exit(3)
    channel.send({"event": "started"})
    os.dup2(output, 1)
    os.dup2(output, 2)
    os.close(output)
    channel.send(run(request, collect))
    os._exit(0)


def probe() -> dict:
    """Which namespaces this process may create (in its own, throw-away, namespaces)."""
    report = {"euid": os.geteuid()}
    try:
        _unshare(CLONE_NEWNET, "unshare(CLONE_NEWNET)")
        report["network"] = None
    except OSError as exc:
        report["network"] = str(exc)
    try:
        _private_mounts(tmp_bytes=1024 * 1024, hidden=[])
        report["private_tmp"] = None
    except OSError as exc:
        report["private_tmp"] = str(exc)
    return report


def setup(request: dict):
    if request["network"]:
        _unshare(CLONE_NEWNET, "unshare(CLONE_NEWNET)")
    for path in request["import_paths"]:
        if path not in sys.path:
            sys.path.append(path)
    for module in request["preload"]:
        importlib.import_module(module)
    module, _, name = request["collector"].partition(":")
    collect = getattr(importlib.import_module(module), name)
    if request["private_tmp"]:
        limits, hidden = request["limits"], request["hidden"]
        _private_mounts(tmp_bytes=limits["tmp_bytes"], hidden=hidden, uid=request["uid"])
    _limit(request["limits"], drop=request["uid"] is not None)
    _check(_libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl(PR_SET_NO_NEW_PRIVS)")
    if request["uid"] is not None:
        _drop_privileges(request["uid"])
    return collect


def _private_mounts(*, tmp_bytes: int, hidden: list[str], uid: int | None = None) -> None:
    """A mount namespace: import paths reachable for the sandbox user `uid`, fresh
    temporary folders, `hidden` paths covered, and the working folder a fresh
    size-limited tmpfs owned by `uid` (the host's folder, empty, stays behind it)."""
    _unshare(CLONE_NEWNS, "unshare(CLONE_NEWNS)")
    _mount(None, "/", None, MS_REC | MS_PRIVATE, "")
    workdir = os.getcwd()
    imports = [os.path.normpath(path) for path in sys.path if os.path.isabs(path)]
    imports = [path for path in imports if os.path.isdir(path)]
    if uid is not None:
        _expose(imports)
    for folder in PRIVATE_DIRS:
        if os.path.isdir(folder):
            # Import paths under it (a checkout in /tmp) are bound back onto the new tmpfs.
            inside = _outermost([path for path in imports if path.startswith(folder + "/")])
            handles = [(path, os.open(path, os.O_PATH)) for path in inside]
            _mount("tmpfs", folder, "tmpfs", MS_NOSUID | MS_NODEV, f"size={tmp_bytes},mode=1777")
            _bind_back(handles)
    for path in hidden:
        if os.path.isdir(path):
            _mount("tmpfs", path, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV, "size=4k")
        elif os.path.exists(path):
            _mount(os.devnull, path, None, MS_BIND, "")
            _mount(None, path, None, MS_BIND | MS_REMOUNT | MS_RDONLY, "")
    os.makedirs(workdir, exist_ok=True)
    owner = f",uid={uid},gid={uid}" if uid is not None else ""
    data = f"size={tmp_bytes},mode=0700{owner}"
    _mount("tmpfs", workdir, "tmpfs", MS_NOSUID | MS_NODEV, data)
    os.chdir(workdir)


def _expose(paths: list[str]) -> None:
    """Make the import paths reachable for the sandbox user: a folder above them that
    others may not search (a Python installed under /root) is covered by an empty
    read-only tmpfs, through which only the import paths are bound back."""
    blocked: dict[str, list[str]] = {}
    for path in paths:
        if not os.path.isdir(path):
            continue
        parts = os.path.normpath(path).split("/")
        for end in range(2, len(parts)):
            ancestor = "/".join(parts[:end])
            if not os.stat(ancestor).st_mode & 0o001:
                blocked.setdefault(ancestor, []).append(os.path.normpath(path))
                break
    for ancestor, inner in blocked.items():
        handles = [(path, os.open(path, os.O_PATH)) for path in _outermost(inner)]
        flags = MS_NOSUID | MS_NODEV
        _mount("tmpfs", ancestor, "tmpfs", flags, "size=64k,mode=0755")
        _bind_back(handles)
        _mount(None, ancestor, None, MS_REMOUNT | MS_RDONLY | flags, "")


def _outermost(paths: list[str]) -> list[str]:
    """`paths` without those inside another one of them, without repeats."""
    return list(dict.fromkeys(p for p in paths if not any(p.startswith(q + "/") for q in paths)))


def _bind_back(handles: list[tuple[str, int]]) -> None:
    """Bind each folder, opened before a mount covered it, back at its path."""
    for path, handle in handles:
        os.makedirs(path, exist_ok=True)
        _mount(f"/proc/self/fd/{handle}", path, None, MS_BIND | MS_REC, "")
        os.close(handle)


def _limit(limits: dict, *, drop: bool) -> None:
    setrlimit = resource.setrlimit
    setrlimit(resource.RLIMIT_CORE, (0, 0))
    setrlimit(resource.RLIMIT_FSIZE, (limits["file_bytes"],) * 2)
    setrlimit(resource.RLIMIT_NOFILE, (limits["open_files"],) * 2)
    if drop:  # counted per user: only meaningful for a user of the run's own
        setrlimit(resource.RLIMIT_NPROC, (limits["processes"],) * 2)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu = int(usage.ru_utime + usage.ru_stime) + limits["cpu_seconds"]
    setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    memory = _address_space() + limits["memory_bytes"]
    setrlimit(resource.RLIMIT_AS, (memory, memory))


def _address_space() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    raise SetupError("no VmSize in /proc/self/status")


def _drop_privileges(uid: int) -> None:
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)
    try:
        os.setuid(0)
    except PermissionError:
        return
    raise SetupError("the privileges did not drop")


def run(request: dict, collect) -> dict:
    source = request["source"]
    variable = request["variable"]
    result_bytes = request["limits"]["result_bytes"]
    namespace = {"__name__": "__main__", "__builtins__": builtins}
    linecache.cache[PROGRAM] = (len(source), None, source.splitlines(True), PROGRAM)
    sys.argv = [PROGRAM]
    try:
        exec(compile(source, PROGRAM, "exec"), namespace)
    except BaseException as exc:
        return _failure(exc)
    finally:
        _flush()
    if variable not in namespace:
        return {"status": "missing_variable", "message": f"the program defines no {variable!r}"}
    try:
        value = collect(namespace[variable])
    except MemoryError as exc:
        return _failure(exc)
    except BaseException as exc:
        message = f"{variable!r} cannot be used: {_describe(exc)}"
        return {"status": "invalid_value", "message": message}
    if isinstance(value, str):
        encoding, size = "text", len(value.encode())
    elif isinstance(value, bytes):
        encoding, size, value = "base64", len(value), base64.b64encode(value).decode()
    else:
        message = f"the collector returned {type(value).__name__}, not str or bytes"
        return {"status": "invalid_value", "message": message}
    if size > result_bytes:
        message = f"the collected {variable!r} has {size} bytes, more than {result_bytes}"
        return {"status": "output_too_large", "message": message}
    return {"status": "ok", "encoding": encoding, "value": value}


def _flush() -> None:
    for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
        with contextlib.suppress(BaseException):
            stream.flush()


def _failure(exc: BaseException) -> dict:
    status = "memory" if isinstance(exc, MemoryError) else "user_error"
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == PROGRAM]
    lines = (
        ["Traceback (most recent call last):\n", *traceback.format_list(frames)] if frames else []
    )
    try:
        lines += traceback.format_exception_only(type(exc), exc)
    except BaseException:
        lines.append(f"{_type_name(exc)}\n")
    text = "".join(lines)
    if len(text) > MAX_TRACEBACK_CHARS:
        text = "...\n" + text[-MAX_TRACEBACK_CHARS:]
    return {
        "status": status,
        "exception_type": _type_name(exc),
        "message": _describe(exc),
        "traceback": text,
    }


def _type_name(exc: BaseException) -> str:
    kind = type(exc)
    module = getattr(kind, "__module__", "")
    name = getattr(kind, "__qualname__", kind.__name__)
    return name if module == "builtins" else f"{module}.{name}"


def _describe(exc: BaseException, *, full: bool = False) -> str:
    if full:
        return "".join(traceback.format_exception(exc))[-MAX_TRACEBACK_CHARS:]
    try:
        text = str(exc)
    except BaseException:
        text = ""
    text = f"{_type_name(exc)}: {text}" if text else _type_name(exc)
    return text[:MAX_MESSAGE_CHARS]


if __name__ == "__main__":
    main()
