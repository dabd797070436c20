"""Benchmark of the quantum face: many small jobs on Aer, and one large GHZ circuit per
local simulator, through the HTTP API of a live `qfractal serve`.

The server is started as for the end-to-end tests (`tests/e2e/live_server.py`): `qfractal
init` with an admin, then `qfractal serve` on a free port, embedded engine with
`QFRACTAL_ENGINE_WORKERS=--workers`, on SQLite in a temporary folder (default) or on a
throw-away PostgreSQL database (`--database postgresql`: created on
postgresql://postgres@127.0.0.1:5432, trust auth, dropped at the end). The script logs in
as the admin (POST /auth/token/login/), makes deployments (POST /quantum/deployments/, one
QASM2 program each) and submits RUNNER jobs (POST /quantum/jobs/ with `deploymentId`,
`providerName`, `deviceName`, `shots`), as the tests do.

1. Throughput: `--jobs` jobs of the 2-qubit Bell circuit, `--shots` shots, on IBM
   `aer_simulator`. First `--workers` warm-up jobs (not counted) start the server's warm
   worker pool (its workers import the simulators once). Then all jobs are submitted one
   after the other, and the job list of the deployment is polled every 0.1 s until every
   job has ended; each job is then read once (GET /quantum/jobs/{id}/).
   * wall s: from just before the first POST to the latest `finishedAt` (the server's
     clock; same machine);
   * jobs/s = jobs / wall;
   * latency p50/p95 s: per job, from just before its POST to its `finishedAt` (the job
     JSON has no creation time);
   * run p50 ms: per job, `startedAt` → `finishedAt` (the engine's handling of the job,
     the simulation in a pool worker included);
   * direct ms: the same circuit run in this process, `run_aer(qasm2.loads(BELL),
     shots=--shots)`, median of `--direct-runs` calls after one warm-up call;
   * overhead/job ms = wall * workers / jobs - direct: the time per job that the server
     adds to the simulator's own time (HTTP, database, queueing, the pool's round trip,
     parsing and transpiling the QASM), with `workers` jobs running at once.
2. GHZ: `--ghz-qubits` qubits (H on q0, a CX chain, every qubit measured), `--ghz-shots`
   shots, one job at a time on each local device: IBM `aer_simulator`, AWS
   `local_simulator` (at most 26 qubits) and the largest Rigetti device (`9q-qvm`: the
   Rigetti devices are QVMs of 2, 5 and 9 qubits). On a device smaller than the circuit the
   job is submitted anyway (it should end ERROR: the row shows the refusal), and again with
   as many qubits as the device has (labelled "device max").
   * wall s: from just before the POST to `finishedAt`; run s: `startedAt` → `finishedAt`;
   * keys: distinct outcomes in the COUNTS result; a GHZ state gives exactly 2, all zeros
     and all ones ("GHZ ok").

    .venv/bin/python bench/quantum.py                           # 200 jobs, GHZ on 24 qubits
    .venv/bin/python bench/quantum.py --database postgresql --workers 4
    .venv/bin/python bench/quantum.py --jobs 10 --ghz-qubits 8 --ghz-shots 500   # quick

Prints two tables; asserts nothing. Exits non-zero only when the server or the database
cannot be set up (exit 2); failed or timed-out jobs are reported in the tables.
"""

import argparse
import math
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.reference_server import POSTGRES, SetupError, postgres_database
from qfractal.quantum.devices.catalog import AWS, IBM, RIGETTI
from qfractal.quantum.enums import UNLIMITED_QUBITS
from tests.e2e.live_server import ADMIN, live_server, server_env
from tests.quantum.api.conftest import BELL_QASM2 as BELL

ENDED = ("FINISHED", "ERROR", "CANCELED")
POLL_SECONDS = 0.1
PAGE = 1000
"""Most items per page of GET /quantum/jobs/."""


def ghz(qubits: int) -> str:
    """QASM2 of an n-qubit GHZ circuit: H on q0, CX chain, every qubit measured."""
    lines = [
        "OPENQASM 2.0;",
        'include "qelib1.inc";',
        f"qreg q[{qubits}];",
        f"creg meas[{qubits}];",
        "h q[0];",
        *(f"cx q[{i}],q[{i + 1}];" for i in range(qubits - 1)),
        *(f"measure q[{i}] -> meas[{i}];" for i in range(qubits)),
    ]
    return "\n".join(lines) + "\n"


class Problem(RuntimeError):
    """A measurement went wrong (a route failed, a job timed out): reported, not fatal."""


# --------------------------------------------------------------------------- HTTP driver


def _time(text: str | None) -> float | None:
    """Epoch seconds of an ISO timestamp of the API (UTC if it has no zone)."""
    if not text:
        return None
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


@dataclass
class Job:
    """One submitted job: its id, when it was submitted (this process's clock), and its
    JSON once it has ended."""

    id: int
    submitted: float
    body: dict[str, Any] = field(default_factory=dict)

    @property
    def state(self) -> str:
        return self.body.get("state", "?")

    @property
    def finished(self) -> float | None:
        return _time(self.body.get("finishedAt"))

    @property
    def started(self) -> float | None:
        return _time(self.body.get("startedAt"))

    def results(self, kind: str) -> list[dict[str, Any]]:
        return [r for r in self.body.get("results", []) if r.get("resultType") == kind]

    def error(self) -> str:
        messages = [
            str(r["data"].get("exception_message", r["data"])) for r in self.results("ERROR")
        ]
        return "; ".join(messages)


class Driver:
    """The live server, driven through /auth and /quantum as the tests do."""

    def __init__(self, base_url: str) -> None:
        self.client = httpx.Client(base_url=base_url, timeout=600)
        login = self.client.post(
            "/auth/token/login/", data={"username": ADMIN[0], "password": ADMIN[1]}
        )
        if login.status_code != 200:
            raise SetupError(f"login failed: {login.status_code} {login.text}")
        self.client.headers["Authorization"] = f"Bearer {login.json()['access_token']}"

    def call(self, method: str, url: str, expect: int, **kwargs: Any) -> httpx.Response:
        try:
            response = self.client.request(method, url, **kwargs)
        except httpx.HTTPError as exc:
            raise Problem(f"{method} {url} → {type(exc).__name__}: {exc}") from exc
        if response.status_code != expect:
            raise Problem(
                f"{method} {url} → {response.status_code} (expected {expect}): "
                f"{response.text[:2000]}"
            )
        return response

    def deploy(self, name: str, circuit: str) -> int:
        program = {"quantumCircuit": circuit, "assemblerLanguage": "QASM2"}
        body = {"name": name, "programs": [program]}
        return self.call("POST", "/quantum/deployments/", 201, json=body).json()["id"]

    def submit(self, deployment_id: int, provider: str, device: str, shots: int) -> Job:
        body = {
            "name": f"bench on {device}",
            "providerName": provider,
            "deviceName": device,
            "shots": shots,
            "type": "RUNNER",
            "token": "",
            "deploymentId": deployment_id,
        }
        submitted = time.time()
        job = self.call("POST", "/quantum/jobs/", 201, json=body).json()
        return Job(job["id"], submitted)

    def states(self, deployment_id: int) -> dict[int, str]:
        """State of every job of a deployment, from the job list (all pages)."""
        found: dict[int, str] = {}
        page = 1
        while True:
            params = {"deployment": deployment_id, "page": page, "item-count": PAGE}
            response = self.client.get("/quantum/jobs/", params=params)
            if response.status_code == 404 and page > 1:
                return found  # an empty page after the first
            if response.status_code != 200:
                raise Problem(f"GET /quantum/jobs/ → {response.status_code}: {response.text}")
            items = response.json()
            found.update((item["id"], item["state"]) for item in items)
            if len(items) < PAGE:
                return found
            page += 1

    def read(self, job: Job) -> None:
        job.body = self.call("GET", f"/quantum/jobs/{job.id}/", 200).json()

    def wait(self, jobs: list[Job], deployment_id: int, timeout: float) -> float:
        """Poll the deployment's job list until every job in `jobs` has ended (or the
        timeout), then read each job; return when the poll saw the last one end."""
        deadline = time.monotonic() + timeout
        wanted = {job.id for job in jobs}
        while True:
            states = self.states(deployment_id)
            if all(states.get(i) in ENDED for i in wanted):
                break
            if time.monotonic() > deadline:
                left = sorted(i for i in wanted if states.get(i) not in ENDED)
                for job in jobs:
                    self.read(job)
                raise Problem(f"{len(left)} job(s) not ended after {timeout:.0f} s: {left[:10]}")
            time.sleep(POLL_SECONDS)
        seen = time.time()
        for job in jobs:
            self.read(job)
        return seen


# --------------------------------------------------------------------------- measurements


def direct_bell_ms(shots: int, runs: int) -> float:
    """Median ms of `run_aer` on the Bell circuit in this process, after one warm-up."""
    from qiskit import qasm2

    from qfractal.quantum.results.simulators import run_aer

    times = []
    for n in range(runs + 1):
        start = time.perf_counter()
        run_aer(qasm2.loads(BELL), shots=shots)
        if n:
            times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


@dataclass
class Throughput:
    jobs: list[Job]
    wall_s: float | None = None
    polled_s: float | None = None
    note: str = ""


def run_throughput(driver: Driver, args: argparse.Namespace) -> Throughput:
    deployment = driver.deploy("bench-bell", BELL)
    warmup = [
        driver.submit(deployment, "IBM", "aer_simulator", args.shots) for _ in range(args.workers)
    ]
    driver.wait(warmup, deployment, args.timeout)
    bad = [job for job in warmup if job.state != "FINISHED"]
    if bad:
        raise Problem(f"warm-up job {bad[0].id} ended {bad[0].state}: {bad[0].error()}")
    print(f"warm-up: {len(warmup)} job(s) finished", file=sys.stderr, flush=True)

    jobs: list[Job] = []
    result = Throughput(jobs)
    try:
        for _ in range(args.jobs):
            jobs.append(driver.submit(deployment, "IBM", "aer_simulator", args.shots))
        submitted = time.time() - jobs[0].submitted
        print(f"submitted {len(jobs)} jobs in {submitted:.1f} s", file=sys.stderr, flush=True)
        seen = driver.wait(jobs, deployment, args.timeout)
    except Problem as exc:
        result.note = str(exc)
        return result
    result.polled_s = seen - jobs[0].submitted
    finished = [job.finished for job in jobs if job.finished is not None]
    if finished:
        result.wall_s = max(finished) - jobs[0].submitted
    return result


@dataclass
class GhzRun:
    provider: str
    device: str
    device_qubits: int
    qubits: int
    label: str
    job: Job | None = None
    wall_s: float | None = None
    note: str = ""

    @property
    def keys(self) -> list[str]:
        if self.job is None:
            return []
        return [key for result in self.job.results("COUNTS") for key in result["data"]]

    @property
    def ghz_ok(self) -> bool:
        return sorted(self.keys, key=lambda k: int(k, 16)) == ["0x0", hex(2**self.qubits - 1)]


def ghz_plan(qubits: int) -> list[GhzRun]:
    """The GHZ rows: each local device, capped to its size where it is smaller."""
    rigetti = max(RIGETTI.devices, key=lambda device: device.num_qubits)
    plan = []
    for provider, name in (
        (IBM, "aer_simulator"),
        (AWS, "local_simulator"),
        (RIGETTI, rigetti.name),
    ):
        (device,) = (d for d in provider.devices if d.name == name)
        size = device.num_qubits
        plan.append(GhzRun(provider.name.value, name, size, qubits, str(qubits)))
        if size != UNLIMITED_QUBITS and qubits > size:
            plan.append(GhzRun(provider.name.value, name, size, size, f"{size} (device max)"))
    return plan


def run_ghz(driver: Driver, args: argparse.Namespace) -> list[GhzRun]:
    runs = ghz_plan(args.ghz_qubits)
    deployments: dict[int, int] = {}
    for run in runs:
        try:
            if run.qubits not in deployments:
                deployments[run.qubits] = driver.deploy(f"bench-ghz-{run.qubits}", ghz(run.qubits))
            deployment = deployments[run.qubits]
            run.job = driver.submit(deployment, run.provider, run.device, args.ghz_shots)
            driver.wait([run.job], deployment, args.timeout)
        except Problem as exc:
            run.note = str(exc)
        if run.job is not None and run.job.finished is not None:
            run.wall_s = run.job.finished - run.job.submitted
        if run.job is not None and run.job.state == "ERROR":
            run.note = run.job.error()
        print(
            f"GHZ {run.qubits} qubits on {run.provider} {run.device}: "
            f"{run.job.state if run.job else 'not submitted'}, wall {_fmt(run.wall_s, '.2f')} s",
            file=sys.stderr,
            flush=True,
        )
    return runs


# --------------------------------------------------------------------------- tables


def _fmt(value: float | None, pattern: str) -> str:
    return "—" if value is None else format(value, pattern)


def print_table(title: str, header: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    print(f"\n{title}")
    print("| " + " | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for cells in rows:
        print("| " + " | ".join(c.rjust(w) for c, w in zip(cells, widths, strict=True)) + " |")


def print_throughput(result: Throughput, direct_ms: float, args: argparse.Namespace) -> None:
    jobs = result.jobs
    done = [job for job in jobs if job.state == "FINISHED" and job.finished is not None]
    latencies = [job.finished - job.submitted for job in done]  # type: ignore[operator]
    runs = [
        (job.finished - job.started) * 1000  # type: ignore[operator]
        for job in done
        if job.started is not None
    ]
    states = {}
    for job in jobs:
        states[job.state] = states.get(job.state, 0) + 1
    wall = result.wall_s
    overhead = None
    if wall is not None and jobs:
        overhead = wall * args.workers / len(jobs) * 1000 - direct_ms
    header = [
        "database", "workers", "jobs", "finished", "wall s", "jobs/s", "latency p50 s",
        "latency p95 s", "run p50 ms", "direct ms", "overhead/job ms",
    ]  # fmt: skip
    row = [
        args.database,
        str(args.workers),
        str(len(jobs)),
        str(len(done)),
        _fmt(wall, ".2f"),
        _fmt(len(jobs) / wall if wall else None, ".1f"),
        _fmt(statistics.median(latencies) if latencies else None, ".2f"),
        _fmt(percentile(latencies, 0.95) if latencies else None, ".2f"),
        _fmt(statistics.median(runs) if runs else None, ".0f"),
        f"{direct_ms:.1f}",
        _fmt(overhead, ".1f"),
    ]
    print_table(
        f"Bell circuit (QASM2, {args.shots} shots, RUNNER) on IBM aer_simulator, embedded "
        f"engine, QFRACTAL_ENGINE_WORKERS={args.workers}",
        header,
        [row],
    )
    print(
        f"states: {', '.join(f'{n} {s}' for s, n in sorted(states.items()))}; "
        f"direct = median of {args.direct_runs} in-process run_aer calls"
    )
    if result.polled_s is not None:
        print(f"the last job was seen ended by a poll {result.polled_s:.2f} s after the first POST")
    if result.note:
        print(f"problem: {result.note}")
    failed = [job for job in jobs if job.state not in ("FINISHED", "?")]
    for job in failed[:5]:
        print(f"job {job.id}: {job.state}: {job.error()[:500]}")


def print_ghz(runs: list[GhzRun], args: argparse.Namespace) -> None:
    header = [
        "provider", "device", "device qubits", "GHZ qubits", "shots", "state", "wall s",
        "run s", "keys", "GHZ ok",
    ]  # fmt: skip
    rows = []
    for run in runs:
        job = run.job
        run_s = None
        if job is not None and job.started is not None and job.finished is not None:
            run_s = job.finished - job.started
        finished = job is not None and job.state == "FINISHED"
        rows.append(
            [
                run.provider,
                run.device,
                "unlimited" if run.device_qubits == UNLIMITED_QUBITS else str(run.device_qubits),
                run.label,
                str(args.ghz_shots),
                job.state if job is not None else "error",
                _fmt(run.wall_s, ".2f"),
                _fmt(run_s, ".2f"),
                str(len(run.keys)) if finished else "—",
                ("yes" if run.ghz_ok else "no") if finished else "—",
            ]
        )
    print_table(
        f"GHZ circuit (QASM2, {args.ghz_qubits} qubits, {args.ghz_shots} shots), one job at a "
        "time on each local device",
        header,
        rows,
    )
    for run in runs:
        if run.note:
            print(f"{run.provider} {run.device}, {run.qubits} qubits: {run.note[:500]}")


# --------------------------------------------------------------------------- main


@contextmanager
def server(folder: Path, database: str, workers: int) -> Iterator[str]:
    """`qfractal init` + `serve` (embedded engine) on SQLite or a new PostgreSQL database."""
    with database_url(folder, database) as url:
        env = server_env(
            folder / "data",
            url,
            QFRACTAL_LOG_LEVEL="WARNING",
            QFRACTAL_ENGINE="embedded",
            QFRACTAL_ENGINE_WORKERS=str(workers),
        )
        try:
            with live_server(env) as live:
                yield live.base_url
        except AssertionError as exc:  # live_server asserts on setup failures
            raise SetupError(f"qfractal did not start: {exc}") from exc


@contextmanager
def database_url(folder: Path, database: str) -> Iterator[str]:
    if database == "sqlite":
        (folder / "data").mkdir(parents=True, exist_ok=True)
        yield f"sqlite:///{folder / 'data' / 'qfractal.db'}"
        return
    with postgres_database("qfractal_bench_quantum") as name:
        yield f"{POSTGRES}/{name}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=200, help="Bell jobs (default 200)")
    parser.add_argument("--shots", type=int, default=1000, help="shots per Bell job")
    parser.add_argument("--ghz-qubits", type=int, default=24, help="qubits of the GHZ circuit")
    parser.add_argument("--ghz-shots", type=int, default=4000, help="shots per GHZ job")
    parser.add_argument("--workers", type=int, default=2, help="QFRACTAL_ENGINE_WORKERS")
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--skip-ghz", action="store_true", help="only the Bell jobs")
    parser.add_argument("--direct-runs", type=int, default=50, help="in-process run_aer calls")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds per wait")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()
    if args.jobs < 1 or args.workers < 1 or args.ghz_qubits < 2:
        parser.error("--jobs and --workers must be at least 1, --ghz-qubits at least 2")

    started = time.perf_counter()
    print("timing run_aer in this process ...", file=sys.stderr, flush=True)
    direct_ms = direct_bell_ms(args.shots, args.direct_runs)
    folder = Path(tempfile.mkdtemp(prefix="qfractal-bench-quantum-"))
    try:
        with server(folder, args.database, args.workers) as base:
            print(f"qfractal ready at {base} ({args.database})", file=sys.stderr, flush=True)
            driver = Driver(base)
            try:
                throughput = run_throughput(driver, args)
            except Problem as exc:
                throughput = Throughput([], note=str(exc))
            ghz_runs = [] if args.skip_ghz else run_ghz(driver, args)
    except SetupError as exc:
        print(f"setup error: {exc}", file=sys.stderr)
        print(f"(files kept in {folder})", file=sys.stderr)
        return 2
    print_throughput(throughput, direct_ms, args)
    if ghz_runs:
        print_ghz(ghz_runs, args)
    print(f"\ntotal run time {time.perf_counter() - started:.0f} s")
    if args.keep:
        print(f"files kept in {folder}")
    else:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
