"""Programs trying to leave the sandbox: refused, or contained (real children)."""

import asyncio
import json
import os
import time
import uuid
from pathlib import Path

import pytest

from qfractal.compute.sandbox import (
    Isolation,
    Limits,
    SandboxEntry,
    SandboxStatus,
    probe_isolation,
    run_in_sandbox,
)

TEXT = SandboxEntry(collector="tests.compute.sandbox.collectors:collect_text", variable="x")
SUPPORT = probe_isolation()
needs_root = pytest.mark.skipif(not SUPPORT.root, reason="a user of its own needs root")
needs_netns = pytest.mark.skipif(SUPPORT.network is not None, reason="no network namespace")
needs_mountns = pytest.mark.skipif(SUPPORT.private_tmp is not None, reason="no mount namespace")


async def _text(source: str, **options) -> str:
    outcome = await run_in_sandbox(source, entry=TEXT, **options)
    assert outcome.ok, outcome
    assert isinstance(outcome.value, str)
    return outcome.value


async def test_the_servers_environment_stays_out(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QFRACTAL_SECRET", "hunter2")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "also-secret")
    source = (
        "import json, os\n"
        "x = json.dumps({'env': dict(os.environ), 'ppid': os.getppid()})\n"
        "try:\n"
        "    open(f'/proc/{os.getppid()}/environ', 'rb').read()\n"
        "except OSError as exc:\n"
        "    x = x[:-1] + ', \"proc\": ' + json.dumps(type(exc).__name__) + '}'\n"
    )
    seen = json.loads(await _text(source))
    assert seen["ppid"] == os.getpid()
    assert "QFRACTAL_SECRET" not in seen["env"]
    assert "hunter2" not in json.dumps(seen["env"])
    assert set(seen["env"]) <= {
        "PATH",
        "LANG",
        "HOME",
        "TMPDIR",
        "OMP_NUM_THREADS",
        "OPENBLAS_NUM_THREADS",
        "MKL_NUM_THREADS",
        "RAYON_NUM_THREADS",
        "LC_CTYPE",  # Python's UTF-8 mode may add it
    }
    assert seen["env"]["HOME"] != os.path.expanduser("~")
    if SUPPORT.root:
        assert seen["proc"] == "PermissionError"


@needs_root
async def test_the_program_runs_as_an_unprivileged_user_of_its_own() -> None:
    source = (
        "import json, os\n"
        "try:\n"
        "    os.setuid(0)\n"
        "    back = True\n"
        "except PermissionError:\n"
        "    back = False\n"
        "x = json.dumps([os.getuid(), os.geteuid(), os.getgid(), os.getgroups(), back])\n"
    )
    outcome = await run_in_sandbox(source, entry=TEXT)
    uid, euid, gid, groups, back = json.loads(outcome.value)
    assert outcome.isolation is not None
    assert uid == euid == gid == outcome.isolation.uid
    assert uid >= Isolation().uid_base
    assert groups == []
    assert back is False


@needs_root
async def test_a_root_file_outside_its_folder_is_unreadable(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("root only")
    secret.chmod(0o600)
    tmp_path.chmod(0o755)  # the folder is searchable: only the file's mode protects it
    source = f"x = open({str(secret)!r}).read()"
    shared_tmp = Isolation(private_tmp=False)
    outcome = await run_in_sandbox(source, entry=TEXT, isolation=shared_tmp)
    assert outcome.status is SandboxStatus.USER_ERROR
    assert outcome.exception_type == "PermissionError"
    assert "root only" not in outcome.message + (outcome.traceback or "")


@needs_mountns
async def test_the_servers_tmp_is_not_the_programs(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("in the server's /tmp")
    outcome = await run_in_sandbox(f"x = open({str(secret)!r}).read()", entry=TEXT)
    assert outcome.status is SandboxStatus.USER_ERROR
    assert outcome.exception_type == "FileNotFoundError"


@needs_root
async def test_writing_outside_its_folder_is_refused(tmp_path: Path) -> None:
    tmp_path.chmod(0o755)
    target = tmp_path / "planted.txt"
    source = f"open({str(target)!r}, 'w').write('pwned')"
    outcome = await run_in_sandbox(source, entry=TEXT, isolation=Isolation(private_tmp=False))
    assert outcome.status is SandboxStatus.USER_ERROR
    assert outcome.exception_type == "PermissionError"
    assert not target.exists()
    repo_file = Path(__file__).with_name(f"planted-{uuid.uuid4().hex}.txt")
    outcome = await run_in_sandbox(f"open({str(repo_file)!r}, 'w').write('pwned')", entry=TEXT)
    assert outcome.exception_type in ("PermissionError", "OSError")
    assert not repo_file.exists()


@needs_mountns
async def test_what_it_writes_in_tmp_vanishes() -> None:
    name = f"/tmp/qfractal-escape-{uuid.uuid4().hex}"
    source = (
        "import os\n"
        f"open({name!r}, 'w').write('left behind?')\n"
        "open('here.txt', 'w').write('mine')\n"
        "x = os.getcwd() + '|' + ','.join(sorted(os.listdir('.')))\n"
    )
    workdir, listing = (await _text(source)).split("|")
    assert listing == "here.txt"
    assert not Path(name).exists()
    assert not Path(workdir).exists()


@needs_mountns
async def test_hidden_paths_are_empty_and_read_only() -> None:
    """The server's data folder and its .env, say: here a folder and a file of the repo."""
    folder = Path(__file__).parent.parent  # tests/compute
    file = folder.parent / "conftest.py"  # tests/conftest.py
    hide = Isolation(hidden_paths=(folder, file))
    source = (
        "import json, os\n"
        f"listing = os.listdir({str(folder)!r})\n"
        "try:\n"
        f"    open({str(folder / 'new')!r}, 'w')\n"
        "    wrote = True\n"
        "except OSError:\n"
        "    wrote = False\n"
        f"x = json.dumps([listing, wrote, open({str(file)!r}).read()])\n"
    )
    listing, wrote, content = json.loads(await _text(source, isolation=hide))
    assert listing == []
    assert wrote is False
    assert content == ""
    assert file.read_text() != ""
    assert not (folder / "new").exists()


@needs_netns
async def test_no_network_not_even_loopback() -> None:
    connections: list[str] = []

    async def accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append("accepted")
        writer.close()

    server = await asyncio.start_server(accept, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    source = (
        "import socket\n"
        f"socket.create_connection(('127.0.0.1', {port}), timeout=5).close()\n"
        "x = 'connected'\n"
    )
    entry = SandboxEntry(collector=TEXT.collector, variable="x", preload=("socket",))
    async with server:
        refused = await run_in_sandbox(source, entry=entry)
        assert refused.status is SandboxStatus.USER_ERROR
        assert refused.exception_type in ("OSError", "ConnectionRefusedError")
        assert "unreachable" in refused.message.lower()
        assert connections == []
        # The same program reaches the listener without the namespace: the test is real.
        allowed = await run_in_sandbox(source, entry=entry, isolation=Isolation(network=False))
        assert allowed.value == "connected", allowed
        for _ in range(50):
            if connections:
                break
            await asyncio.sleep(0.01)
        assert connections == ["accepted"]


@needs_root
async def test_a_fork_bomb_is_contained_and_nothing_survives() -> None:
    source = (
        "import os, time\n"
        "if os.fork() == 0:\n"
        "    os.setsid()  # leaves the process group\n"
        "    while True:\n"
        "        time.sleep(1)\n"
        "while True:\n"
        "    try:\n"
        "        os.fork()\n"
        "    except OSError:\n"
        "        time.sleep(0.01)\n"
    )
    limits = Limits(wall_seconds=2.0, processes=20)
    started = time.monotonic()
    outcome = await run_in_sandbox(source, entry=TEXT, limits=limits)
    assert outcome.status is SandboxStatus.TIMEOUT
    assert time.monotonic() - started < 10
    assert outcome.isolation is not None and outcome.isolation.uid is not None
    assert _processes_of(outcome.isolation.uid) == []
    assert (await _text("x = 'still serving'")) == "still serving"


@needs_root
async def test_cancelling_the_caller_kills_the_program() -> None:
    source = (
        "import os, time\n"
        "open(os.path.join(os.environ['HOME'], 'pid'), 'w')\n"
        "print(os.getuid(), flush=True)\n"
        "time.sleep(60)\n"
    )
    before = set(_sandbox_pids())
    task = asyncio.create_task(run_in_sandbox(source, entry=TEXT))
    for _ in range(500):
        if set(_sandbox_pids()) - before:
            break
        await asyncio.sleep(0.01)
    running = set(_sandbox_pids()) - before
    assert running
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    for pid in running:
        assert not Path(f"/proc/{pid}").exists() or _state(pid) == "Z"


def _processes_of(uid: int) -> list[int]:
    return _pids(lambda real: real == uid)


def _sandbox_pids() -> list[int]:
    base, count = Isolation().uid_base, Isolation().uid_count
    return _pids(lambda real: base <= real < base + count)


def _pids(matches) -> list[int]:
    """Live processes whose real user id `matches`."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        if matches(int(fields["Uid"].split()[0])) and fields["State"].split()[0] != "Z":
            found.append(int(pid))
    return found


def _state(pid: int) -> str:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return "gone"
    return status.split("State:")[1].split()[0]


@needs_mountns
async def test_a_program_imports_modules_nobody_preloaded() -> None:
    """Its import paths are reachable for the sandbox user (bound through an empty
    tmpfs when the interpreter sits under a folder only root may enter)."""
    source = "import csv, sqlite3, xml.dom.minidom, numpy\nx = csv.__name__ + numpy.__name__"
    assert await _text(source) == "csvnumpy"
