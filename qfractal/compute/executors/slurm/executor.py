"""The SLURM executor: units packed into sbatch jobs, run on the cluster by the remote
worker, followed with `squeue`, their results read back.

One `run_units` call (the calls of one workflow task, or of its init or compute side):

1. the task's SLURM options (`options`) and how many units go into each SLURM job
   (`batching`); invalid options fail here, before anything reaches the cluster;
2. for each batch, a folder `{unit folder}/slurm/{first unit's log name}/` in the job
   folder with the sbatch script and each unit's remote-worker input; on the cluster,
   `mkdir -p` makes the units' working folders and the folders of their files, then those
   batch folders and the units' existing `files` and logs go over in one tar stream
   (`transport.upload`);
3. one `sbatch --parsable` per batch (a batch the `SubmissionLog` already knows, because
   it was submitted before a restart, is not submitted again: its SLURM job is followed).
   An sbatch that started is waited for and recorded even if the call is cancelled
   meanwhile, so that a submitted job is never forgotten;
4. `squeue` every `poll_interval` seconds until every SLURM job has left the queue or
   finished; then each batch's folder, the units' logs and output files come back;
5. each unit's outcome (`outcomes`) from its remote-worker result, its job's last SLURM
   state and stderr: the command's exit status, the worker's own error, or, when SLURM
   killed the job (TIMEOUT, OUT_OF_MEMORY, ...) or the worker left no result, an `error`
   naming the state with the job's stderr, also appended to the unit's log.

Paths: the job folder is `local_root` on the server and `remote_root` on the cluster; a
unit's argv, cwd and log under `local_root` are rewritten to the same places under
`remote_root`. A unit's `env` is not used: commands get the SLURM job's environment.

A stop (`stop` set) cancels every unfinished SLURM job of the call (`scancel`), gives the
jobs `STOP_WAIT_SECONDS` to end, and reads back what they left: units that had ended keep
their outcome, the others come back stopped. Cancelling the call (the server shuts down)
leaves the SLURM jobs running, so that a restarted server can follow them again. An
`ExecutorError` (the cluster refused a command, sbatch failed) cancels the SLURM jobs the
call had submitted or followed, and so does a failing `SubmissionLog`: nothing is left
running that nobody follows.
"""

import asyncio
import contextlib
import json
import logging
import posixpath
from collections.abc import Awaitable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol, TypeVar

from qfractal.compute.events import wait_event
from qfractal.compute.executors.base import ExecutorError, Unit, UnitOutcome
from qfractal.compute.executors.slurm import outcomes, squeue
from qfractal.compute.executors.slurm.batching import batches, plan_batching
from qfractal.compute.executors.slurm.options import SlurmOptions, SlurmOptionsError, slurm_options
from qfractal.compute.executors.slurm.remote import (
    RemoteResult,
    ResultError,
    input_document,
    read_result,
)
from qfractal.compute.executors.slurm.script import render_script
from qfractal.compute.executors.slurm.transport import (
    Transport,
    TransportError,
    download,
    upload,
)

logger = logging.getLogger(__name__)

SBATCH_AT_ONCE = 4
"""sbatch commands in flight at once (each is a process or an ssh channel)."""
STOP_WAIT_SECONDS = 15.0
"""After a stop's `scancel`, how long the jobs get to end (their workers report the units
they killed; a command that ignores SIGTERM gets the worker's SIGKILL after 10 s) before
their files are read back."""
ERR_TAIL_CHARS = 2_000
_NOT_LISTED = "no longer listed by squeue"

_T = TypeVar("_T")


class SubmissionLog(Protocol):
    """Where the executor records its SLURM jobs (the caller's database)."""

    async def find(self, batch: str) -> int | None:
        """The SLURM job id of `batch` (a folder relative to the job folder), if it was
        submitted before."""
        ...

    async def record(self, batch: str, slurm_job_id: int) -> None:
        """`batch` was submitted as `slurm_job_id`: remember it before anything else."""
        ...

    async def submitted(self, slurm_job_ids: list[int]) -> None:
        """One `run_units` call submitted these SLURM jobs (for accounting)."""
        ...


@dataclass(frozen=True)
class SlurmSite:
    """Where and how a job's units run on the cluster."""

    transport: Transport
    runner_config: Mapping[str, Any]
    """The resource's `jobs_runner_config` (default/GPU SLURM configs, batching, exports)."""
    python_worker: str
    poll_interval: float
    slurm_account: str | None
    worker_init: list[str]
    """The job's own `worker_init` lines, run before the task's."""
    local_root: Path
    remote_root: str
    user_cache_dir: str


@dataclass
class _Batch:
    folder: str
    """Relative to the job folder."""
    indices: range
    slurm_job_id: int | None = None
    state: str | None = None
    """The SLURM state squeue last reported, `_NOT_LISTED` once it forgot the job."""
    ended: bool = False
    """Its outcomes are known (collected, or stopped)."""

    def input_file(self, k: int) -> str:
        return f"{self.folder}/unit-{k}-input.json"

    def output_file(self, k: int) -> str:
        return f"{self.folder}/unit-{k}-output.json"

    @property
    def script(self) -> str:
        return f"{self.folder}/submit.sh"


class SlurmExecutor:
    def __init__(self, site: SlurmSite, submissions: SubmissionLog) -> None:
        self.site = site
        self.submissions = submissions

    async def run_units(
        self,
        units: Sequence[Unit],
        *,
        parallel: int | None,
        stop: asyncio.Event,
        meta: Mapping[str, Any] | None = None,
    ) -> list[UnitOutcome]:
        """Run `units` as SLURM jobs; `parallel` is not used, the batching decides.

        Raises:
            ExecutorError: invalid SLURM options (before anything is sent), a unit log
                outside the job folder, the cluster unreachable or refusing a command,
                sbatch or squeue failing; the message says which.
        """
        if not units:
            return []
        try:
            options = slurm_options(self.site.runner_config, meta or {}, self.site.slurm_account)
            options = replace(options, worker_init=[*self.site.worker_init, *options.worker_init])
            batching = plan_batching(
                len(units), options, self.site.runner_config.get("batching_config", {})
            )
        except SlurmOptionsError as error:
            raise ExecutorError(f"Invalid SLURM options: {error}") from error
        planned = [
            _Batch(self._batch_folder(units[indices[0]]), indices)
            for indices in batches(len(units), batching)
        ]
        run = _Run(self, units, options, batching.parallel_tasks_per_job, planned)
        return await run.run(stop)

    def relative(self, path: Path) -> str | None:
        """`path` relative to the job folder; None if it is outside."""
        try:
            return path.relative_to(self.site.local_root).as_posix()
        except ValueError:
            return None

    def remote(self, path: Path) -> str:
        """Where `path` (in the job folder) is on the cluster; other paths are the same."""
        relative = self.relative(path)
        if relative is None:
            return str(path)
        return posixpath.normpath(posixpath.join(self.site.remote_root, relative))

    def _batch_folder(self, first: Unit) -> str:
        folder = self.relative(first.log_path.parent)
        if folder is None:
            raise ExecutorError(f"The unit log {first.log_path} is outside the job folder.")
        return posixpath.normpath(f"{folder}/slurm/{first.log_path.stem}")


class _Run:
    """One `run_units` call, from writing its inputs to reading its results."""

    def __init__(
        self,
        executor: SlurmExecutor,
        units: Sequence[Unit],
        options: SlurmOptions,
        parallel: int,
        batches: list[_Batch],
    ) -> None:
        self.executor = executor
        self.site = executor.site
        self.units = units
        self.options = options
        self.parallel = parallel
        self.batches = batches
        self.outcomes: dict[int, UnitOutcome] = {}

    async def run(self, stop: asyncio.Event) -> list[UnitOutcome]:
        await self._attach_previous()
        try:
            new = [batch for batch in self.batches if batch.slurm_job_id is None]
            if new and not stop.is_set():
                await self._prepare(new)
                await self._submit(new, stop)
            await self._follow(stop)
        except Exception:  # ExecutorError, or the SubmissionLog failing: nobody will follow
            await self._scancel(
                [b for b in self.batches if b.slurm_job_id is not None and not b.ended]
            )
            raise
        return [self.outcomes[index] for index in range(len(self.units))]

    async def _attach_previous(self) -> None:
        for batch in self.batches:
            batch.slurm_job_id = await self.executor.submissions.find(batch.folder)

    # -- inputs ----------------------------------------------------------------------------

    async def _prepare(self, batches: Sequence[_Batch]) -> None:
        """The batches' inputs and scripts, written here and sent to the cluster."""
        try:
            await asyncio.to_thread(self._write_inputs, batches)
        except ValueError as error:  # render_script: a relative python_worker, ...
            raise ExecutorError(f"Cannot write the SLURM job scripts: {error}") from error
        await self._make_remote_folders(batches)
        await self._upload(batches)

    def _write_inputs(self, batches: Sequence[_Batch]) -> None:
        remote = self.executor.remote
        for batch in batches:
            folder = self.site.local_root / batch.folder
            folder.mkdir(parents=True, exist_ok=True)
            pairs = []
            for k, index in enumerate(batch.indices):
                unit = self.units[index]
                rewrite = {str(path): remote(path) for path in (*unit.files, unit.log_path)}
                document = input_document(
                    argv=[rewrite.get(arg, arg) for arg in unit.argv],
                    cwd=remote(unit.cwd),
                    log_path=remote(unit.log_path),
                )
                (self.site.local_root / batch.input_file(k)).write_text(json.dumps(document))
                (self.site.local_root / batch.output_file(k)).unlink(missing_ok=True)
                pairs.append(
                    (self._remote(batch.input_file(k)), self._remote(batch.output_file(k)))
                )
            script = render_script(
                self.options,
                pairs,
                parallel=self.parallel,
                python_worker=self.site.python_worker,
                job_name=f"qfractal-{Path(batch.folder).name}",
                stdout_path=self._remote(f"{batch.folder}/slurm-%j.out"),
                stderr_path=self._remote(f"{batch.folder}/slurm-%j.err"),
                chdir=self._remote(batch.folder),
                user_cache_dir=self.site.user_cache_dir,
            )
            (self.site.local_root / batch.script).write_text(script)

    def _remote(self, relative: str) -> str:
        return posixpath.join(self.site.remote_root, relative)

    def _unit_paths(self, batches: Sequence[_Batch], *, existing: bool) -> list[str]:
        paths: dict[str, None] = {}
        for batch in batches:
            for index in batch.indices:
                unit = self.units[index]
                for path in (*unit.files, unit.log_path):
                    relative = self.executor.relative(path)
                    if relative is not None and (not existing or path.exists()):
                        paths[relative] = None
        return list(paths)

    async def _make_remote_folders(self, batches: Sequence[_Batch]) -> None:
        """The units' working folders and the folders of their files and logs, which the
        tar stream does not create when nothing in them exists yet (an output's folder)."""
        folders: dict[str, None] = {self.site.remote_root: None}
        for batch in batches:
            for index in batch.indices:
                unit = self.units[index]
                for path in (unit.cwd, *(p.parent for p in (*unit.files, unit.log_path))):
                    if self.executor.relative(path) is not None:
                        folders[self.executor.remote(path)] = None
        failed = "Could not make the job folders on the cluster"
        try:
            result = await self.site.transport.run(["mkdir", "-p", "--", *folders])
        except TransportError as error:
            raise ExecutorError(f"{failed}: {error}") from error
        if result.returncode != 0:
            stderr = result.stderr.decode(errors="replace").strip()
            raise ExecutorError(f"{failed}: {stderr or result.returncode}")

    async def _upload(self, batches: Sequence[_Batch]) -> None:
        paths = [batch.folder for batch in batches] + self._unit_paths(batches, existing=True)
        try:
            await upload(self.site.transport, self.site.local_root, paths, self.site.remote_root)
        except TransportError as error:
            raise ExecutorError(f"Could not send the job files to the cluster: {error}") from error

    # -- submission ------------------------------------------------------------------------

    async def _submit(self, batches: Sequence[_Batch], stop: asyncio.Event) -> None:
        """sbatch each batch, `SBATCH_AT_ONCE` at a time; after a failure no new one starts,
        the ones in flight end and are recorded, then the first failure is raised."""
        slots = asyncio.Semaphore(SBATCH_AT_ONCE)
        submitted: list[int] = []
        failures: list[BaseException] = []

        async def one(batch: _Batch) -> None:
            async with slots:
                if stop.is_set() or failures:
                    return
                try:
                    await _uninterrupted(self._sbatch_and_record(batch, submitted))
                except Exception as error:
                    failures.append(error)

        try:
            await asyncio.gather(*(one(batch) for batch in batches))
        finally:
            if submitted:
                await self.executor.submissions.submitted(sorted(submitted))
        if failures:
            raise failures[0]

    async def _sbatch_and_record(self, batch: _Batch, submitted: list[int]) -> None:
        batch.slurm_job_id = await self._sbatch(batch)
        submitted.append(batch.slurm_job_id)
        await self.executor.submissions.record(batch.folder, batch.slurm_job_id)

    async def _sbatch(self, batch: _Batch) -> int:
        argv = ["sbatch", "--parsable", self._remote(batch.script)]
        try:
            result = await self.site.transport.run(argv)
        except TransportError as error:
            raise ExecutorError(f"sbatch failed: {error}") from error
        if result.returncode != 0:
            stderr = result.stderr.decode(errors="replace").strip()
            raise ExecutorError(f"sbatch of {batch.script} failed: {stderr or result.returncode}")
        try:
            return squeue.parse_sbatch(result.stdout.decode(errors="replace"))
        except ValueError as error:
            raise ExecutorError(f"sbatch of {batch.script}: {error}") from error

    # -- following -------------------------------------------------------------------------

    async def _follow(self, stop: asyncio.Event) -> None:
        for batch in self.batches:
            if batch.slurm_job_id is None:  # never submitted: a stop came first
                batch.ended = True
                for index in batch.indices:
                    self.outcomes[index] = UnitOutcome(None, True, None, None)
        pending = [batch for batch in self.batches if not batch.ended]
        while pending:
            if stop.is_set():
                await self._cancel(pending)
                return
            ended = await self._finished(pending)
            if ended:
                await self._collect(ended)
                pending = [batch for batch in pending if not batch.ended]
                continue
            await wait_event(stop, self.site.poll_interval)

    async def _finished(self, batches: Sequence[_Batch]) -> list[_Batch]:
        """The batches whose SLURM job has finished; their `state` updated."""
        states = await self._poll(batches)
        if states is None:
            return []
        for batch in batches:
            batch.state = states.get(batch.slurm_job_id, _NOT_LISTED)  # type: ignore[arg-type]
        done = squeue.finished([b.slurm_job_id for b in batches], states)  # type: ignore[misc]
        return [batch for batch in batches if batch.slurm_job_id in done]

    async def _poll(self, batches: Sequence[_Batch]) -> dict[int, str] | None:
        """The SLURM states of the batches' jobs; None when squeue should be asked again
        later (the controller timed out)."""
        ids = [batch.slurm_job_id for batch in batches]
        try:
            result = await self.site.transport.run(squeue.squeue_argv(ids))  # type: ignore[arg-type]
        except TransportError as error:
            logger.warning("squeue failed, asking again later: %s", error)
            return None
        stderr = result.stderr.decode(errors="replace")
        if result.returncode == 0:
            try:
                return squeue.parse_squeue(result.stdout.decode(errors="replace"))
            except ValueError as error:
                raise ExecutorError(f"squeue: {error}") from error
        if squeue.is_invalid_job_id(stderr) and len(ids) > 1:
            states: dict[int, str] = {}
            for batch in batches:  # one unknown id fails the whole list: ask one by one
                found = await self._poll([batch])
                if found is None:
                    return None
                states |= found
            return states
        if squeue.is_invalid_job_id(stderr):
            return {}  # gone from SLURM's memory: finished
        if squeue.is_transient_failure(stderr):
            logger.warning("squeue: %s; asking again later", stderr.strip())
            return None
        raise ExecutorError(f"squeue failed: {stderr.strip() or result.returncode}")

    async def _scancel(self, batches: Sequence[_Batch]) -> None:
        """Cancel the batches' SLURM jobs; failures are only logged (best effort)."""
        ids = [str(batch.slurm_job_id) for batch in batches if batch.slurm_job_id is not None]
        if not ids:
            return
        try:
            result = await self.site.transport.run(["scancel", *ids])
            if result.returncode != 0:
                logger.warning("scancel %s: %s", ids, result.stderr.decode(errors="replace"))
        except TransportError as error:
            logger.warning("scancel %s failed: %s", ids, error)

    async def _cancel(self, batches: Sequence[_Batch]) -> None:
        """A stop: cancel the jobs, let them end, read back what their units did."""
        await self._scancel(batches)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + STOP_WAIT_SECONDS
        waiting = list(batches)
        while waiting and loop.time() < deadline:
            await asyncio.sleep(min(self.site.poll_interval, 0.5))
            with contextlib.suppress(ExecutorError):
                ended = await self._finished(waiting)
                waiting = [batch for batch in waiting if batch not in ended]
        with contextlib.suppress(ExecutorError):
            await self._download(batches)
        for batch in batches:
            batch.ended = True
            for k, index in enumerate(batch.indices):
                outcome = await asyncio.to_thread(self._outcome, batch, k, index, stopped=True)
                self.outcomes[index] = outcome

    # -- results ---------------------------------------------------------------------------

    async def _download(self, batches: Sequence[_Batch]) -> None:
        """The batches' folders and their units' files (those that exist) from the cluster."""
        paths = [batch.folder for batch in batches] + self._unit_paths(batches, existing=False)
        local, remote = self.site.local_root, self.site.remote_root
        try:
            await download(self.site.transport, remote, paths, local, missing_ok=True)
        except TransportError as error:
            raise ExecutorError(f"Could not read the job files back: {error}") from error

    async def _collect(self, batches: Sequence[_Batch]) -> None:
        await self._download(batches)
        for batch in batches:
            batch.ended = True
            for k, index in enumerate(batch.indices):
                self.outcomes[index] = await asyncio.to_thread(self._outcome, batch, k, index)

    def _outcome(self, batch: _Batch, k: int, index: int, *, stopped: bool = False) -> UnitOutcome:
        """The unit's outcome from its result file and its job's end; notes go to its log."""
        try:
            result: RemoteResult | None = read_result(self.site.local_root / batch.output_file(k))
        except (OSError, ResultError):
            result = None
        assert batch.slurm_job_id is not None
        stderr = _tail(self.site.local_root / batch.folder / f"slurm-{batch.slurm_job_id}.err")
        job = outcomes.JobEnd(batch.slurm_job_id, batch.state, stderr)
        judge = outcomes.stopped_outcome if stopped else outcomes.unit_outcome
        outcome, note = judge(result, job, datetime.now(UTC))
        if note is not None:
            _append(self.units[index].log_path, note)
        return outcome


async def _uninterrupted(awaitable: Awaitable[_T]) -> _T:
    """Await `awaitable` to its end even if the caller is cancelled meanwhile (the
    cancellation goes on afterwards): an sbatch that may have submitted a job must be
    followed by its record."""
    task = asyncio.ensure_future(awaitable)
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        with contextlib.suppress(Exception):
            await task
        raise


def _tail(path: Path) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return ""
    return text if len(text) <= ERR_TAIL_CHARS else "[...]" + text[-ERR_TAIL_CHARS:]


def _append(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as log:
        log.write(text.rstrip() + "\n")
