"""Benchmark of a 3-task workflow on the local executor, qfractal beside fractal-server 2.17.2.

The workflow, from the mock task package `tests/qfractal_tasks_mock`: `illumination_correction`
(parallel: one unit per image), `MIP_compound` (compound: one init unit, then one unit per
image, each creating a projected image), `generic_task` (non_parallel: one unit over the
N projections). Over N images that is 2N + 2 units, each a Python subprocess.

Both servers run on this machine on their own PostgreSQL database (127.0.0.1:5432, trust
auth, user postgres; created for the run, dropped at the end): `qfractal init` + `qfractal
serve`, and fractal-server 2.17.2 from the package index in `<repo>/.cache/fractal-server-
2.17.2` (`fractalctl set-db`, `init-db-data`, `start`). The same code drives both over HTTP:
set the resource's `jobs_runner_config.parallel_tasks_per_job` (PUT /admin/v2/resource/),
collect the mock wheel (multipart `file`), import a dataset of N 3D images
(POST .../dataset/import/), build the workflow, submit, poll the job every 0.1 s, download
the job's logs (GET .../job/{id}/download/). Sizes run one after the other, each on
qfractal and then on the reference (`--repeat R`: R times, alternating which goes first),
so that background load hits both alike; the table shows medians over the runs.

Figures:
* wall s: from just before `POST .../job/submit/` until a poll sees the job `done`.
* unit time: the wheel given to both servers is the mock package plus a `.pth` file that
  records, in every task process, the time from interpreter start-up (site import, before
  the task imports anything) to exit (atexit), and prints it to the unit's log. The few
  milliseconds of process creation, interpreter bootstrap and teardown outside that window
  are measured once by running one unit's command directly (no server) and added to
  every unit. Σ unit s is the sum over all units of the job.
* overhead/unit ms = (wall * P - Σ unit) / units, P = parallel_tasks_per_job: the time per
  unit that the server adds to the units' own run time (spawning, bookkeeping, database,
  idle slots). The 2 serial units (compound init, non_parallel) leave P - 1 slots idle
  while they run; that idle time is counted as overhead on both servers alike.
* unit ms: median unit run time inside the job; compare with the direct run printed below
  the table (the difference is CPU contention from the server and the other units).
* server CPU s: user + system CPU time of the server process (all its threads, not the
  units) from submit to done, read from /proc.
* ratio: qfractal / reference, of wall time and of overhead per unit, at the same N.

    .venv/bin/python bench/run_workflow.py                        # --sizes 100,1000
    .venv/bin/python bench/run_workflow.py --sizes 100,1000 --repeat 3
    .venv/bin/python bench/run_workflow.py --sizes 100 --parallel 4 --servers qfractal

Prints a table; asserts nothing. Exits non-zero only when a server, database or the wheel
cannot be set up (exit 2); a failed or timed-out job is reported in the table.
"""

import argparse
import io
import json
import os
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.reference_server import (
    VERSION,
    SetupError,
    postgres_database,
    reference_server,
)
from tests.e2e.live_server import ADMIN, free_port, live_server, server_env

MOCK_PACKAGE = Path(__file__).resolve().parent.parent / "tests" / "qfractal_tasks_mock"
WORKFLOW = ("illumination_correction", "MIP_compound", "generic_task")
CLOCK = "qfractal_bench_unit_clock"
MARKER = "QFRACTAL_BENCH_UNIT"
MARKER_RE = re.compile(rf"{MARKER} start=(\d+\.\d+) end=(\d+\.\d+)")
CLOCK_SOURCE = f'''"""Loaded by {CLOCK}.pth at interpreter start-up: a task's own run time."""

import atexit
import sys
import time

_START = time.time()


def _report() -> None:
    if "--args-json" in sys.argv:
        sys.stderr.write(f"\\n{MARKER} start={{_START:.6f}} end={{time.time():.6f}}\\n")
        sys.stderr.flush()


atexit.register(_report)
'''
POLL_SECONDS = 0.1
DOWNLOAD_TRIES = 10


class Problem(RuntimeError):
    """A measurement went wrong (a route failed, a job failed): reported, not fatal."""


# --------------------------------------------------------------------------- the wheel


def build_timed_wheel(folder: Path) -> Path:
    """The mock package plus the `.pth` clock, built (no network) into `folder`."""
    source = folder / "source"
    shutil.copytree(MOCK_PACKAGE, source, ignore=shutil.ignore_patterns("__pycache__"))
    (source / f"{CLOCK}.py").write_text(CLOCK_SOURCE)
    (source / f"{CLOCK}.pth").write_text(f"import {CLOCK}\n")
    pyproject = source / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text()
        + "\n[tool.hatch.build.targets.wheel.force-include]\n"
        + f'"{CLOCK}.py" = "{CLOCK}.py"\n"{CLOCK}.pth" = "{CLOCK}.pth"\n'
    )
    out = folder / "dist"
    argv = [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out)]
    done = subprocess.run([*argv, str(source)], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SetupError(f"cannot build the mock wheel:\n{done.stdout}\n{done.stderr}")
    (wheel,) = out.glob("*.whl")
    return wheel


# --------------------------------------------------------------------------- HTTP driver


@dataclass
class JobResult:
    status: str
    wall_s: float
    server_s: float | None
    unit_times: list[float] = field(default_factory=list)
    server_cpu_s: float | None = None
    """CPU time (user + system, all threads, not the units) of the server process."""
    images: int | None = None
    note: str = ""


class Driver:
    """One server, driven through the fractal-server 2.17 API (the same calls for both)."""

    def __init__(self, name: str, base_url: str, pid: int) -> None:
        self.name = name
        self.pid = pid
        self.client = httpx.Client(base_url=base_url, timeout=600)
        login = self.client.post(
            "/auth/token/login/", data={"username": ADMIN[0], "password": ADMIN[1]}
        )
        if login.status_code != 200:
            raise SetupError(f"{name}: login failed: {login.status_code} {login.text}")
        self.client.headers["Authorization"] = f"Bearer {login.json()['access_token']}"
        self.task_ids: dict[str, int] = {}
        self.task_python = ""
        self.task_script = ""
        self.collect_s = 0.0
        self.gap_s = 0.0
        self.direct_s = 0.0

    def call(self, method: str, url: str, expect: int, **kwargs: object) -> httpx.Response:
        try:
            response = self.client.request(method, url, **kwargs)  # type: ignore[arg-type]
        except httpx.HTTPError as exc:
            raise Problem(f"{self.name}: {method} {url} → {type(exc).__name__}: {exc}") from exc
        if response.status_code != expect:
            raise Problem(
                f"{self.name}: {method} {url} → {response.status_code} (expected {expect}): "
                f"{response.text[:2000]}"
            )
        return response

    # setup (errors here are SetupError)

    def setup(self, wheel: Path, parallel: int, folder: Path) -> None:
        try:
            self._set_parallel(parallel)
            self._collect(wheel)
            self._calibrate(folder)
        except Problem as exc:
            raise SetupError(str(exc)) from exc

    def _set_parallel(self, parallel: int) -> None:
        resources = self.call("GET", "/admin/v2/resource/", 200).json()
        for resource in resources:
            body = {k: v for k, v in resource.items() if k not in ("id", "timestamp_created")}
            body["jobs_runner_config"] = {"parallel_tasks_per_job": parallel}
            updated = self.call("PUT", f"/admin/v2/resource/{resource['id']}/", 200, json=body)
            if updated.json()["jobs_runner_config"] != body["jobs_runner_config"]:
                raise Problem(f"{self.name}: jobs_runner_config not updated: {updated.text}")

    def _collect(self, wheel: Path) -> None:
        start = time.perf_counter()
        files = {"file": (wheel.name, wheel.read_bytes(), "application/octet-stream")}
        activity = self.call("POST", "/api/v2/task/collect/pip/", 202, files=files).json()
        deadline = time.monotonic() + 900
        while activity["status"] not in ("OK", "failed") and time.monotonic() < deadline:
            time.sleep(0.5)
            activity = self.call("GET", f"/api/v2/task-group/activity/{activity['id']}/", 200)
            activity = activity.json()
        self.collect_s = time.perf_counter() - start
        if activity["status"] != "OK":
            raise Problem(f"{self.name}: collection {activity['status']}:\n{activity['log']}")
        group_id = activity["taskgroupv2_id"]
        tasks = self.call("GET", "/api/v2/task/", 200).json()
        tasks = [t for t in tasks if t.get("taskgroupv2_id") == group_id]
        self.task_ids = {t["name"]: t["id"] for t in tasks}
        missing = [name for name in WORKFLOW if name not in self.task_ids]
        if missing:
            raise Problem(f"{self.name}: collected package lacks tasks {missing}")
        command = next(t for t in tasks if t["name"] == WORKFLOW[0])["command_parallel"]
        self.task_python, self.task_script = shlex.split(command)[:2]

    def _calibrate(self, folder: Path, runs: int = 10) -> None:
        """Run one unit's command directly: its wall time, and how much of it lies outside
        the clock's window (process creation, bootstrap before site, teardown)."""
        work = folder / f"calibrate-{self.name}"
        work.mkdir(parents=True)
        args = work / "args.json"
        args.write_text(json.dumps({"zarr_url": str(work / "plate.zarr" / "A" / "01" / "0")}))
        out = work / "out.json"
        gaps, walls = [], []
        for n in range(runs + 1):
            out.unlink(missing_ok=True)
            start = time.perf_counter()
            done = subprocess.run(
                [self.task_python, self.task_script, "--args-json", str(args), "--out-json",
                 str(out)],
                capture_output=True, text=True, check=False, cwd=work,
            )  # fmt: skip
            wall = time.perf_counter() - start
            found = MARKER_RE.findall(done.stderr)
            if done.returncode != 0 or len(found) != 1:
                raise Problem(f"{self.name}: direct run of a unit failed:\n{done.stderr}")
            if n:  # the first run warms the caches
                walls.append(wall)
                gaps.append(wall - (float(found[0][1]) - float(found[0][0])))
        self.gap_s = statistics.median(gaps)
        self.direct_s = statistics.median(walls)

    # measurement (errors here are Problem)

    def prepare(self, size: int, zarr_root: Path) -> tuple[int, int, int]:
        """Project, workflow and a dataset of `size` 3D images: their ids."""
        tag = f"{size}-{time.time_ns()}"
        pid = self.call("POST", "/api/v2/project/", 201, json={"name": f"bench-{tag}"}).json()["id"]
        wid = self.call(
            "POST", f"/api/v2/project/{pid}/workflow/", 201, json={"name": f"wf-{tag}"}
        ).json()["id"]
        for name in WORKFLOW:
            self.call(
                "POST",
                f"/api/v2/project/{pid}/workflow/{wid}/wftask/",
                201,
                params={"task_id": self.task_ids[name]},
                json={},
            )
        zarr_dir = str(zarr_root / f"size_{size}")
        images = [
            {
                "zarr_url": f"{zarr_dir}/plate.zarr/{chr(65 + n // 24 % 26)}/{n % 24 + 1:02d}/"
                f"{n // 624}",
                "attributes": {"well": f"{chr(65 + n // 24 % 26)}{n % 24 + 1:02d}"},
                "types": {"3D": True},
            }
            for n in range(size)
        ]
        body = {"name": f"ds-{tag}", "zarr_dir": zarr_dir, "images": images}
        did = self.call("POST", f"/api/v2/project/{pid}/dataset/import/", 201, json=body)
        return pid, wid, did.json()["id"]

    def run_job(self, pid: int, wid: int, did: int, *, units: int, timeout: float) -> JobResult:
        """Submit, poll until the job ends, then read its units' times (`units` expected)."""
        params = {"workflow_id": wid, "dataset_id": did}
        cpu = cpu_seconds(self.pid)
        start = time.perf_counter()
        job = self.call("POST", f"/api/v2/project/{pid}/job/submit/", 202, params=params, json={})
        job = job.json()
        deadline = time.monotonic() + timeout
        while job["status"] == "submitted" and time.monotonic() < deadline:
            time.sleep(POLL_SECONDS)
            job = self.call("GET", f"/api/v2/project/{pid}/job/{job['id']}/", 200).json()
        wall = time.perf_counter() - start
        cpu = cpu_seconds(self.pid) - cpu
        if job["status"] == "submitted":
            return JobResult("timeout", wall, None, note=f"still running after {timeout:.0f} s")
        server_s = None
        if job.get("end_timestamp"):
            server_s = (_time(job["end_timestamp"]) - _time(job["start_timestamp"])).total_seconds()
        result = JobResult(job["status"], wall, server_s, server_cpu_s=cpu)
        if job["status"] != "done":
            result.note = (job.get("log") or "")[-1500:]
        try:
            result.unit_times = self._unit_times(pid, job["id"])
            first, tries = len(result.unit_times), 1
            while len(result.unit_times) < units and tries < DOWNLOAD_TRIES:
                # qfractal 0.1.0 marks a job done before zipping its folder; a download in
                # between streams the folder while it is being removed: files are missing
                # from the zip, or the stream breaks off (FileNotFoundError in the server).
                time.sleep(1)
                result.unit_times = self._unit_times(pid, job["id"])
                tries += 1
            if tries > 1:
                result.note = (
                    f"{result.note}\nthe download right after `done` held {first} of {units} "
                    f"unit logs; {len(result.unit_times)} after {tries} downloads"
                ).strip()
            query = f"/api/v2/project/{pid}/dataset/{did}/images/query/"
            page = self.call("POST", query, 200, params={"page_size": 1}, json={}).json()
            result.images = page["total_count"]
        except Problem as exc:
            result.note = (result.note + "\n" + str(exc)).strip()
        return result

    def _unit_times(self, pid: int, job_id: int) -> list[float]:
        """Each unit's clock window plus the calibrated gap, from the job's log archive."""
        url = f"/api/v2/project/{pid}/job/{job_id}/download/"
        try:
            zipped = self.call("GET", url, 200).content
        except Problem as exc:  # e.g. a stream cut short: the caller downloads again
            print(exc, file=sys.stderr, flush=True)
            return []
        times = []
        try:
            with zipfile.ZipFile(io.BytesIO(zipped)) as archive:
                for name in archive.namelist():
                    if name.endswith("workflow.log"):
                        continue
                    text = archive.read(name).decode("utf-8", errors="replace")
                    for start, end in MARKER_RE.findall(text):
                        times.append(float(end) - float(start) + self.gap_s)
        except zipfile.BadZipFile:
            return []  # a truncated archive counts as none (the caller downloads again)
        return times


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (all its threads, not its children)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


# --------------------------------------------------------------------------- servers


@contextmanager
def qfractal_server(folder: Path) -> Iterator[tuple[str, int]]:
    """`qfractal init` + `serve` on a new PostgreSQL database: base URL and process id."""
    folder.mkdir(parents=True, exist_ok=True)
    with postgres_database("qfractal_bench") as database:
        url = f"postgresql://postgres@127.0.0.1:5432/{database}"
        env = server_env(folder / "data", url, QFRACTAL_LOG_LEVEL="WARNING")
        try:
            with live_server(env) as server:
                yield server.base_url, server.process.pid
        except AssertionError as exc:  # live_server asserts on setup failures
            raise SetupError(f"qfractal did not start: {exc}") from exc


@contextmanager
def fractal_server(folder: Path) -> Iterator[tuple[str, int]]:
    """fractal-server on a new PostgreSQL database: base URL and process id."""
    with (
        postgres_database("fractal_ref_bench") as database,
        reference_server(folder, database, port=free_port(), admin=ADMIN) as server,
    ):
        yield server.base_url, server.process.pid


# --------------------------------------------------------------------------- table


@dataclass
class Run:
    server: str
    size: int
    result: JobResult
    parallel: int

    @property
    def units(self) -> int:
        return len(self.result.unit_times)

    @property
    def overhead_ms(self) -> float | None:
        if self.result.status != "done" or not self.units:
            return None
        own = sum(self.result.unit_times)
        return (self.result.wall_s * self.parallel - own) / self.units * 1000


def _fmt(value: float | None, pattern: str) -> str:
    return "—" if value is None else format(value, pattern)


def _median(values: list[float | None]) -> float | None:
    known = [v for v in values if v is not None and v == v]  # not None, not NaN
    return statistics.median(known) if known else None


@dataclass
class Summary:
    """The runs of one server at one size: medians over the completed ones."""

    runs: list[Run]

    @property
    def done(self) -> list[Run]:
        return [run for run in self.runs if run.result.status == "done"]

    def median(self, value: Callable[[Run], float | None]) -> float | None:
        return _median([value(run) for run in self.done])


def print_table(runs: list[Run], drivers: dict[str, Driver], parallel: int) -> None:
    header = [
        "server", "N images", "runs", "status", "wall s", "wall range s", "units", "Σ unit s",
        "unit ms", "overhead/unit ms", "server CPU s", "wall ratio q/ref", "overhead ratio q/ref",
    ]  # fmt: skip
    summaries: dict[tuple[str, int], Summary] = {}
    for run in runs:
        summaries.setdefault((run.server, run.size), Summary([])).runs.append(run)
    table = []
    for (server, size), summary in summaries.items():
        done = summary.done
        statuses = sorted({run.result.status for run in summary.runs})
        status = "done" if len(done) == len(summary.runs) else "/".join(statuses)
        wrong = {r.result.images for r in done if r.result.images not in (None, 2 * size)}
        if wrong:
            status += f" (images: {sorted(wrong)}, expected {2 * size})"
        units = sorted({run.units for run in done})
        expected = 2 * size + 2
        units_text = ",".join(map(str, units)) + ("" if units == [expected] else f" (≠{expected})")
        walls = [run.result.wall_s for run in done]
        wall = summary.median(lambda run: run.result.wall_s)
        overhead = summary.median(lambda run: run.overhead_ms)
        ratios = ["", ""]
        ref = summaries.get(("fractal-server", size))
        if server == "qfractal" and ref is not None and wall is not None:
            ref_wall = ref.median(lambda run: run.result.wall_s)
            ref_overhead = ref.median(lambda run: run.overhead_ms)
            if ref_wall:
                ratios[0] = f"{wall / ref_wall:.2f}"
            if overhead is not None and ref_overhead:
                ratios[1] = f"{overhead / ref_overhead:.2f}"
        table.append(
            [
                server,
                f"{size:,}",
                str(len(summary.runs)),
                status,
                _fmt(wall, ".1f"),
                f"{min(walls):.1f}-{max(walls):.1f}" if len(walls) > 1 else "",
                units_text,
                _fmt(summary.median(lambda run: sum(run.result.unit_times)), ".1f"),
                _fmt(summary.median(
                    lambda run: statistics.median(run.result.unit_times) * 1000
                    if run.result.unit_times else None
                ), ".0f"),
                _fmt(overhead, ".1f"),
                _fmt(summary.median(lambda run: run.result.server_cpu_s), ".1f"),
                *ratios,
            ]
        )  # fmt: skip
    widths = [max(len(h), *(len(r[i]) for r in table)) for i, h in enumerate(header)]
    print(
        f"\nWorkflow illumination_correction → MIP_compound → generic_task, local executor, "
        f"parallel_tasks_per_job={parallel}, PostgreSQL; reference = fractal-server {VERSION}; "
        f"medians over the runs"
    )
    print("| " + " | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for cells in table:
        print("| " + " | ".join(c.rjust(w) for c, w in zip(cells, widths, strict=True)) + " |")
    print()
    for name, driver in drivers.items():
        print(
            f"{name}: mock wheel collected in {driver.collect_s:.1f} s; one unit run directly: "
            f"{driver.direct_s * 1000:.0f} ms, of which {driver.gap_s * 1000:.0f} ms outside "
            f"the in-task clock (added to every unit)"
        )
    for run in runs:
        result = run.result
        line = f"{run.server} N={run.size}: {result.status}, wall {result.wall_s:.1f} s"
        if result.server_s is not None:
            line += f", start→end by the server's timestamps {result.server_s:.1f} s"
        print(line + (f"; {result.note}" if result.note else ""))


# --------------------------------------------------------------------------- main


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,1000", help="comma-separated image counts")
    parser.add_argument(
        "--parallel",
        type=int,
        default=os.cpu_count() or 2,
        help="parallel_tasks_per_job of both servers (default: the number of CPUs)",
    )
    parser.add_argument("--repeat", type=int, default=1, help="jobs per server and size")
    parser.add_argument("--servers", default="qfractal,fractal-server", help="which servers to run")
    parser.add_argument("--job-timeout", type=float, default=3600, help="seconds per job")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    servers = [s.strip() for s in args.servers.split(",")]
    unknown = set(servers) - {"qfractal", "fractal-server"}
    if unknown:
        parser.error(f"unknown servers {sorted(unknown)}")

    started = time.perf_counter()
    folder = Path(tempfile.mkdtemp(prefix="qfractal-bench-wf-"))
    runs: list[Run] = []
    drivers: dict[str, Driver] = {}
    try:
        with ExitStack() as stack:
            wheel = build_timed_wheel(folder / "wheel")
            starters = {"qfractal": qfractal_server, "fractal-server": fractal_server}
            for name in servers:
                t0 = time.perf_counter()
                base, pid = stack.enter_context(starters[name](folder / name))
                driver = Driver(name, base, pid)
                driver.setup(wheel, args.parallel, folder)
                drivers[name] = driver
                print(
                    f"{name} ready at {base} in {time.perf_counter() - t0:.0f} s "
                    f"(collection {driver.collect_s:.0f} s)",
                    file=sys.stderr,
                    flush=True,
                )
            for size in sizes:
                for repeat in range(args.repeat):
                    # alternate the order, so that neither server always runs first
                    order = list(drivers.values())[:: -1 if repeat % 2 else 1]
                    for driver in order:
                        runs.append(_one_run(driver, size, args, folder))
    except SetupError as exc:
        print(f"setup error: {exc}", file=sys.stderr)
        print(f"(files kept in {folder})", file=sys.stderr)
        return 2
    if runs:
        print_table(runs, drivers, args.parallel)
    print(f"\ntotal run time {time.perf_counter() - started:.0f} s")
    if args.keep:
        print(f"files kept in {folder}")
    else:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


def _one_run(driver: Driver, size: int, args: argparse.Namespace, folder: Path) -> Run:
    try:
        ids = driver.prepare(size, folder / "zarr" / driver.name)
        result = driver.run_job(*ids, units=2 * size + 2, timeout=args.job_timeout)
    except Problem as exc:
        result = JobResult("error", float("nan"), None, note=str(exc))
    run = Run(driver.name, size, result, args.parallel)
    print(
        f"{driver.name} N={size}: {result.status} in {result.wall_s:.1f} s, {run.units} units, "
        f"overhead/unit {_fmt(run.overhead_ms, '.1f')} ms, server CPU "
        f"{_fmt(result.server_cpu_s, '.1f')} s",
        file=sys.stderr,
        flush=True,
    )
    return run


if __name__ == "__main__":
    sys.exit(main())
