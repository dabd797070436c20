"""Both transports against the real cluster, sshd and sudo: jobs, files, limits, errors."""

import asyncio
import io
import json
import os
import pwd
import re
import signal
import socket
import tarfile
import textwrap
import time
import tomllib
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from qfractal.compute.executors.slurm.ssh import SSHTransport
from qfractal.compute.executors.slurm.sudo import SudoTransport
from qfractal.compute.executors.slurm.transport import (
    CommandResult,
    Transport,
    TransportError,
    download,
    upload,
)
from tests.compute.slurm.conftest import (
    REPO,
    SUDO_RULE_FILE,
    ServiceUser,
    SSHServer,
    make_key,
    processes_holding_tcp,
    start_sshd,
    stop_sshd,
)

pytestmark = pytest.mark.slurm


def ssh_transport(server: SSHServer, **options: float) -> SSHTransport:
    return SSHTransport(server.host, server.port, server.username, server.key_path, **options)


@pytest.fixture(params=["sudo", "ssh"])
async def transport(request: pytest.FixtureRequest, slurm_user: str) -> AsyncIterator[Transport]:
    """Each test using it runs once through sudo and once through ssh."""
    if request.param == "sudo":
        chosen: Transport = SudoTransport(slurm_user)
    else:
        chosen = ssh_transport(request.getfixturevalue("sshd"))
    yield chosen
    await chosen.close()


def owner(path: Path) -> str:
    return pwd.getpwuid(path.lstat().st_uid).pw_name


async def wait_for_text(path: Path, timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    while not (path.exists() and path.read_text().strip()):
        assert time.monotonic() < deadline, f"{path} was never written"
        await asyncio.sleep(0.1)
    return path.read_text()


async def ssh_client_port(transport: Transport) -> int:
    """The local port of the transport's ssh connection, as sshd reports it ($SSH_CLIENT)."""
    result = await transport.run(["sh", "-c", "echo $SSH_CLIENT"])
    assert result.returncode == 0, result
    return int(result.stdout.split()[1])


# -- jobs -------------------------------------------------------------------------------


async def test_sbatch_runs_a_job_as_the_cluster_user(
    transport: Transport, slurm_user: str, shared_dir: Path
) -> None:
    submitted = await transport.run(
        [
            "sbatch",
            "--parsable",
            f"--chdir={shared_dir}",
            f"--output={shared_dir}/%j.out",
            "--wrap",
            'echo "hello from $(id -un) in $(pwd)"',
        ]
    )
    assert submitted.returncode == 0, submitted
    job_id = submitted.stdout.decode().strip().split(";")[0]
    assert job_id.isdigit()

    listed = await transport.run(["squeue", "-h", "-t", "all", "-j", job_id, "-o", "%i|%u"])
    assert listed.returncode == 0, listed
    assert listed.stdout.decode().split() == [f"{job_id}|{slurm_user}"]

    output = shared_dir / f"{job_id}.out"
    assert await wait_for_text(output) == f"hello from {slurm_user} in {shared_dir}\n"
    assert owner(output) == slurm_user


async def test_run_passes_arguments_and_stdin_unchanged(transport: Transport) -> None:
    tricky = ["it's", "a $HOME", "`id`", "; true", "*", "", "ünï"]
    echoed = await transport.run(["printf", "%s\\n", *tricky])
    assert echoed == CommandResult(0, "".join(f"{a}\n" for a in tricky).encode(), b"")

    data = bytes(range(256)) * 1000
    copied = await transport.run(["cat"], stdin=data)
    assert (copied.returncode, copied.stdout) == (0, data)

    failed = await transport.run(["sh", "-c", "echo oops >&2; exit 3"])
    assert failed == CommandResult(3, b"", b"oops\n")


async def test_a_command_past_its_timeout_is_killed(transport: Transport) -> None:
    marker = f"{time.time_ns() % 10**6 + 1000}.5"  # an argument no other sleep has
    started = time.monotonic()
    with pytest.raises(TransportError, match=r"did not end within 0\.5 s"):
        await transport.run(["sleep", marker], timeout=0.5)
    assert time.monotonic() - started < 5
    deadline = time.monotonic() + 5
    while sleeping(marker):
        assert time.monotonic() < deadline, "the timed-out command is still running"
        await asyncio.sleep(0.05)


def sleeping(marker: str) -> bool:
    wanted = f"sleep\0{marker}\0".encode()
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and (entry / "cmdline").read_bytes() == wanted:
                return True
        except OSError:
            continue
    return False


async def test_the_worker_python_runs_as_the_cluster_user(
    transport: Transport, worker_python: Path
) -> None:
    code = "import qfractal, sys; print(qfractal.__version__, qfractal.__file__, sys.prefix)"
    result = await transport.run([str(worker_python), "-c", code])
    assert result.returncode == 0, result
    version, package, prefix = result.stdout.decode().split()
    venv = worker_python.parent.parent
    assert version == tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
    assert Path(package).is_relative_to(venv)  # installed, not the repo's own tree
    assert prefix == str(venv)


# -- files ------------------------------------------------------------------------------


def make_tree(root: Path) -> None:
    (root / "a" / "b").mkdir(parents=True)
    (root / "a" / "empty").mkdir()
    (root / "a" / "b" / "c.txt").write_text("deep\n")
    (root / "a" / "ünï côdé.txt").write_text("unicode name\n")
    (root / "a" / "link").symlink_to("b/c.txt")
    (root / "top.bin").write_bytes(bytes(range(256)) * 64)
    (root / "not sent.txt").write_text("stays here\n")


def tree(root: Path) -> dict[str, str | bytes | None]:
    """Every path under `root`: file contents, `-> target` for links, None for folders."""
    found: dict[str, str | bytes | None] = {}
    for path in sorted(root.rglob("*")):
        name = str(path.relative_to(root))
        if path.is_symlink():
            found[name] = f"-> {os.readlink(path)}"
        elif path.is_dir():
            found[name] = None
        else:
            found[name] = path.read_bytes()
    return found


async def test_upload_then_download_gives_the_same_files(
    transport: Transport, slurm_user: str, shared_dir: Path, tmp_path: Path
) -> None:
    source = tmp_path / "source"
    make_tree(source)
    remote = shared_dir / "not" / "yet" / "there"

    await upload(transport, source, ["a", "top.bin"], str(remote))

    sent = {k: v for k, v in tree(source).items() if k != "not sent.txt"}
    assert tree(remote) == sent
    assert {owner(remote / name) for name in sent} == {slurm_user}

    back = tmp_path / "back"
    await download(transport, str(remote), ["a", "top.bin"], back)
    assert tree(back) == sent

    await download(transport, str(remote), ["a/b/c.txt"], tmp_path / "one")
    assert tree(tmp_path / "one") == {"a": None, "a/b": None, "a/b/c.txt": b"deep\n"}


async def test_missing_files_fail_with_tars_message(
    transport: Transport, shared_dir: Path, tmp_path: Path
) -> None:
    with pytest.raises(TransportError, match=r"download from .* failed: .*missing\.txt"):
        await download(transport, str(shared_dir), ["missing.txt"], tmp_path / "back")
    (tmp_path / "x.txt").write_text("x\n")
    with pytest.raises(TransportError, match=r"upload to /proc/forbidden failed: .*tar"):
        await upload(transport, tmp_path, ["x.txt"], "/proc/forbidden")


async def test_missing_ok_brings_back_what_exists(
    transport: Transport, shared_dir: Path, tmp_path: Path
) -> None:
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "there.txt").write_text("here\n")
    await upload(transport, tmp_path, ["out"], str(shared_dir))

    back = tmp_path / "back"
    await download(
        transport, str(shared_dir), ["out/there.txt", "out/missing.txt"], back, missing_ok=True
    )

    assert tree(back) == {"out": None, "out/there.txt": b"here\n"}


async def test_bad_relative_paths_are_refused_before_running_anything(tmp_path: Path) -> None:
    transport = SudoTransport("nobody-would-be-asked")
    for bad in ("../x", "/etc/passwd", "a/../../b", "", "."):
        with pytest.raises(ValueError, match="not a relative path"):
            await download(transport, "/tmp", [bad], tmp_path)
        with pytest.raises(ValueError, match="not a relative path"):
            await upload(transport, tmp_path, [bad], "/tmp/x")
    with pytest.raises(ValueError, match="must be an absolute path"):
        await upload(transport, tmp_path, ["x"], "relative/folder")
    with pytest.raises(ValueError, match="must be an absolute path"):
        await download(transport, "relative/folder", ["x"], tmp_path)


async def test_download_refuses_links_out_of_the_folder(
    transport: Transport, shared_dir: Path, tmp_path: Path
) -> None:
    for name, target in [("absolute", "/etc/passwd"), ("up", "../../outside")]:
        remote = shared_dir / name
        (remote / "sub").mkdir(parents=True)
        (remote / "sub" / "fine.txt").write_text("fine\n")
        (remote / "sub" / "evil").symlink_to(target)
        local = tmp_path / name

        with pytest.raises(TransportError, match=r"'sub/evil' is a link .*nothing was written"):
            await download(transport, str(remote), ["sub"], local)
        assert not local.exists()


class CompromisedTar:
    """A cluster whose `tar -c` answers with a prepared archive: the real transport runs
    `cat ARCHIVE` as the cluster user instead, so the hostile bytes travel the real way."""

    def __init__(self, transport: Transport, archive: Path) -> None:
        self.transport = transport
        self.archive = archive

    async def run(
        self, argv: Sequence[str], *, stdin: bytes | None = None, timeout: float | None = None
    ) -> CommandResult:
        assert argv[:2] == ["tar", "-c"]
        return await self.transport.run(["cat", str(self.archive)], stdin=stdin, timeout=timeout)

    async def close(self) -> None:
        await self.transport.close()


def hostile_archive(path: Path, member: str) -> None:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for name in ("harmless.txt", member):
            info = tarfile.TarInfo(name)
            info.size = 5
            archive.addfile(info, io.BytesIO(b"evil\n"))
    path.write_bytes(buffer.getvalue())


@pytest.mark.parametrize(
    ("member", "message"),
    [
        ("../escaped.txt", "has '..' in its path"),
        ("ok/../../escaped.txt", "has '..' in its path"),
        ("/tmp/qfractal-escaped.txt", "is an absolute path"),
    ],
)
async def test_download_refuses_a_hostile_archive(
    transport: Transport, shared_dir: Path, tmp_path: Path, member: str, message: str
) -> None:
    archive = shared_dir / "hostile.tar"
    hostile_archive(archive, member)
    local = tmp_path / "deep" / "back"

    expected = re.escape(f"{member!r} {message}; nothing was written")
    with pytest.raises(TransportError, match=expected):
        await download(CompromisedTar(transport, archive), str(shared_dir), ["x"], local)
    assert not local.exists()
    assert not (tmp_path / "deep" / "escaped.txt").exists()
    assert not Path("/tmp/qfractal-escaped.txt").exists()


# -- ssh: one connection, bounded channels, reconnection --------------------------------


async def test_twenty_concurrent_commands_share_one_capped_connection(sshd: SSHServer) -> None:
    transport = ssh_transport(sshd)  # max_channels=8, below sshd's MaxSessions 10
    try:
        results = await asyncio.gather(
            *(transport.run(["sh", "-c", "sleep 0.3; echo $SSH_CLIENT"]) for _ in range(20))
        )
    finally:
        await transport.close()
    assert {r.returncode for r in results} == {0}
    assert len({r.stdout for r in results}) == 1  # the same client port: one connection


async def test_without_the_cap_sshd_refuses_the_eleventh_session(sshd: SSHServer) -> None:
    transport = ssh_transport(sshd, max_channels=20)
    try:
        results = await asyncio.gather(
            *(transport.run(["sleep", "5"]) for _ in range(20)), return_exceptions=True
        )
    finally:
        await transport.close()
    refused = [r for r in results if isinstance(r, TransportError)]
    assert 0 < len(refused) <= 10
    assert "refused a new session" in str(refused[0])
    assert "MaxSessions below max_channels=20" in str(refused[0])


@pytest.mark.parametrize("noticed", [False, True], ids=["at-next-command", "noticed-first"])
async def test_a_dropped_connection_is_replaced(sshd: SSHServer, noticed: bool) -> None:
    """Killed sshd processes: the next command runs on a new connection, whether the
    drop shows when its channel opens or was noticed (connection closed) before."""
    transport = ssh_transport(sshd)
    try:
        first_port = await ssh_client_port(transport)
        serving = processes_holding_tcp(sshd.port, first_port)
        assert serving, "no sshd process found for the connection"
        for pid in serving:
            os.kill(pid, signal.SIGKILL)
        if noticed:
            await asyncio.sleep(0.5)

        second_port = await ssh_client_port(transport)
        assert second_port != first_port
        assert await ssh_client_port(transport) == second_port
    finally:
        await transport.close()


async def test_a_second_failure_after_a_drop_is_an_error(sshd: SSHServer, tmp_path: Path) -> None:
    port = free_port()
    listener = start_sshd(tmp_path, port, sshd.username)
    transport = SSHTransport(sshd.host, port, sshd.username, sshd.key_path)
    try:
        assert (await transport.run(["true"])).returncode == 0
        stop_sshd(listener)  # the connection and the server are both gone

        with pytest.raises(TransportError, match=f"{port} refused: no sshd listens there"):
            await transport.run(["true"])
    finally:
        stop_sshd(listener)
        await transport.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# -- ssh errors -------------------------------------------------------------------------


async def test_ssh_login_refused_for_a_wrong_user_or_an_unknown_key(
    sshd: SSHServer, tmp_path: Path
) -> None:
    stranger_key = make_key(tmp_path / "stranger")
    cases = [
        ("nosuchuser", sshd.key_path),
        (sshd.username, str(stranger_key)),
    ]
    for username, key in cases:
        transport = SSHTransport(sshd.host, sshd.port, username, key)
        expected = (
            f"ssh login as {username} on {sshd.host}:{sshd.port} refused: "
            "wrong username, or the key .* is not authorized"
        )
        with pytest.raises(TransportError, match=expected):
            await transport.run(["true"])
        await transport.close()


async def test_bad_key_files_are_named(sshd: SSHServer, tmp_path: Path) -> None:
    not_a_key = tmp_path / "not-a-key"
    not_a_key.write_text("hello\n")
    cases = [
        (tmp_path / "missing", "no such file"),
        (not_a_key, "not a usable private key"),
        (tmp_path, "cannot read it"),  # a folder
    ]
    for key, problem in cases:
        transport = SSHTransport(sshd.host, sshd.port, sshd.username, str(key))
        with pytest.raises(TransportError, match=f"bad key {key}: {problem}"):
            await transport.run(["true"])


async def test_unreachable_hosts_are_named(tmp_path: Path) -> None:
    key = str(make_key(tmp_path / "key"))
    refused = SSHTransport("127.0.0.1", free_port(), "someone", key)
    with pytest.raises(TransportError, match="refused: no sshd listens there"):
        await refused.run(["true"])
    unknown = SSHTransport("no-such-host.invalid", 22, "someone", key)
    with pytest.raises(TransportError, match=r"unknown ssh host 'no-such-host\.invalid'"):
        await unknown.run(["true"])


async def test_ssh_command_not_found(sshd: SSHServer) -> None:
    transport = ssh_transport(sshd)
    try:
        with pytest.raises(TransportError, match=r"command not found on .*'qfractal-nope'"):
            await transport.run(["qfractal-nope", "x"])
    finally:
        await transport.close()


# -- sudo errors and the sudo rule ------------------------------------------------------


async def test_sudo_unknown_user() -> None:
    with pytest.raises(TransportError, match="sudo: unknown user 'qfractal-no-such-user'"):
        await SudoTransport("qfractal-no-such-user").run(["true"])


async def test_sudo_command_not_found(slurm_user: str) -> None:
    with pytest.raises(TransportError, match="command not found: 'qfractal-nope'"):
        await SudoTransport(slurm_user).run(["qfractal-nope"])


SUDO_SNIPPET = textwrap.dedent(
    """
    import asyncio, json, sys
    from pathlib import Path
    from qfractal.compute.executors.slurm.sudo import SudoTransport
    from qfractal.compute.executors.slurm.transport import TransportError, download, upload

    async def main(user, shared):
        transport = SudoTransport(user)
        report = {}
        try:
            job = await transport.run(
                ["sbatch", "--parsable", "--chdir=" + shared,
                 "--output=" + shared + "/%j.out", "--wrap", "id -un"]
            )
            report["sbatch"] = [job.returncode, job.stdout.decode(), job.stderr.decode()]
            queue = await transport.run(["squeue", "-h", "-t", "all", "-o", "%i|%u"])
            report["squeue"] = queue.stdout.decode().split()
            long = await transport.run(["sbatch", "--parsable", "--chdir=" + shared,
                                        "--output=/dev/null", "--wrap", "sleep 60"])
            stop = await transport.run(["scancel", long.stdout.decode().strip()])
            made = await transport.run(["mkdir", "-p", shared + "/made/here"])
            report["scancel, mkdir"] = [stop.returncode, made.returncode]
            source = Path(shared) / "local"
            (source / "sub").mkdir(parents=True)
            (source / "sub" / "f.txt").write_text("through sudo")
            await upload(transport, source, ["sub"], shared + "/remote/x")
            await download(transport, shared + "/remote/x", ["sub"], Path(shared) / "back")
            report["back"] = (Path(shared) / "back" / "sub" / "f.txt").read_text()
        except TransportError as exc:
            report["error"] = str(exc)
        print(json.dumps(report))

    asyncio.run(main(sys.argv[1], sys.argv[2]))
    """
)


MKDIR_SNIPPET = textwrap.dedent(
    """
    import asyncio, json, sys
    from qfractal.compute.executors.slurm.sudo import SudoTransport
    from qfractal.compute.executors.slurm.transport import TransportError

    async def main(user, shared):
        try:
            result = await SudoTransport(user).run(["mkdir", shared + "/made"])
            print(json.dumps({"returncode": result.returncode}))
        except TransportError as exc:
            print(json.dumps({"error": str(exc)}))

    asyncio.run(main(sys.argv[1], sys.argv[2]))
    """
)
"""`mkdir`: a command no other rule of this machine grants (slurm-single-node.sh's
`SLURM_SUDO_FROM` rule covers sbatch, scancel, squeue and scontrol)."""


def run_as_service(
    service_user: ServiceUser, snippet: str, slurm_user: str, shared: Path
) -> dict[str, Any]:
    code = f"import sys; sys.argv = ['-', {slurm_user!r}, {str(shared)!r}]\n{snippet}"
    result = service_user.run_python(code)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_sudo_without_a_rule_says_the_rule_is_missing(
    service_user: ServiceUser, slurm_user: str, shared_dir: Path
) -> None:
    assert not SUDO_RULE_FILE.exists()
    report = run_as_service(service_user, MKDIR_SNIPPET, slurm_user, shared_dir)
    assert report.keys() == {"error"}
    assert not (shared_dir / "made").exists()
    assert f"may not run 'mkdir' as {slurm_user} through sudo" in report["error"]
    assert f"ALL=({slurm_user}) NOPASSWD: /usr/bin/sbatch" in report["error"]


async def test_sudo_with_the_documented_rule_works(
    service_user: ServiceUser, slurm_user: str, shared_dir: Path, sudo_rule: str
) -> None:
    report = run_as_service(service_user, SUDO_SNIPPET, slurm_user, shared_dir)
    assert "error" not in report, report
    returncode, stdout, _ = report["sbatch"]
    assert returncode == 0
    job_id = stdout.strip()
    assert f"{job_id}|{slurm_user}" in report["squeue"]
    assert report["scancel, mkdir"] == [0, 0]
    assert owner(shared_dir / "made" / "here") == slurm_user
    assert report["back"] == "through sudo"
    assert await wait_for_text(shared_dir / f"{job_id}.out") == f"{slurm_user}\n"
