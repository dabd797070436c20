"""One workflow task of a job (fractal-server 2.17, §2.4 steps 3-8).

Select the input images, record a HistoryRun, plan and record the units, make the
calls, parse and merge the outputs of the successful ones, then save in one transaction
the changed images, the units' and the run's statuses and an accounting record. If any
call failed, the job fails after that save, so successful outputs are kept.

One improvement on fractal-server: when the merged output is empty, only the inputs of
successful units count as updated (fractal-server also gives failed images the task's
output types).
"""

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from qfractal.compute.executors.base import Executor, ExecutorError
from qfractal.workflows.models import HistoryRun
from qfractal.workflows.runner import persist
from qfractal.workflows.runner.calls import Call, CallResult, append_to_log, log_tail, run_calls
from qfractal.workflows.runner.errors import JobExecutionError, TaskOutputError
from qfractal.workflows.runner.history import (
    COMPOUND_TYPES,
    PlannedUnit,
    UnitStatus,
    plan_compute_units,
    plan_units,
    run_status,
    unit_statuses,
)
from qfractal.workflows.runner.image_updates import (
    ImageChanges,
    apply_task_output,
    zarr_urls_to_load,
)
from qfractal.workflows.runner.inputs import load_images, select_inputs
from qfractal.workflows.runner.job_log import JobLog
from qfractal.workflows.runner.job_setup import JobSetup, TaskSpec
from qfractal.workflows.runner.merge import compound_outputs, merge_outputs
from qfractal.workflows.runner.selection import (
    Selection,
    check_has_images,
    input_type_filters,
    is_converter,
)
from qfractal.workflows.runner.task_args import compute_args, non_parallel_args, parallel_args
from qfractal.workflows.runner.task_output import (
    TaskOutput,
    check_parallelization_size,
    parse_init_task_output,
    parse_task_output,
)
from qfractal.workflows.runner.unit_files import task_folder
from qfractal.workflows.tasks.schemas import TaskType

Parsed = TypeVar("Parsed")
PARALLEL_KEY = "parallel_tasks_per_job"


@dataclass(frozen=True)
class JobRun:
    """What every task of a running job shares."""

    setup: JobSetup
    executor: Executor
    sessionmaker: async_sessionmaker[AsyncSession]
    stop: asyncio.Event
    log: JobLog
    executor_errors: list[str] = field(default_factory=list)
    """Failures of the executor itself (a unit it could not start, a cluster command that
    failed), as opposed to tasks that failed: the first one becomes the job's
    `executor_error_log`."""


@dataclass(frozen=True)
class Ran:
    """The calls of a task, made."""

    unit_ids: list[int]
    statuses: list[UnitStatus]
    outputs: list[TaskOutput]
    """The outputs to merge (of the successful calls)."""
    done_inputs: list[str]
    """Inputs whose unit is done: those an empty output counts as updated."""
    results: list[CallResult]


def parallel_limit(meta: Mapping[str, Any], default: Any) -> int | None:
    """How many calls may run at once: the workflow task's meta, else the resource's
    `jobs_runner_config` (None: all)."""
    value = meta.get(PARALLEL_KEY, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise JobExecutionError(f"{PARALLEL_KEY} must be a positive integer, not {value!r}.")
    return value


def _failure_message(task: TaskSpec, results: Sequence[CallResult], working_dir: Path) -> str:
    failed = [result for result in results if result.failed]
    first = failed[0]
    return (
        f'Task "{task.name}" (workflow task {task.order}): {len(failed)} of {len(results)} '
        f"call(s) failed.\nFirst failure ({first.files.log_file}): {first.failure}\n"
        f"Its log:\n{log_tail(working_dir, first.files)}"
    ).rstrip()


class _Execution:
    def __init__(self, job: JobRun, task: TaskSpec, *, run_id: int, inputs: list[str]) -> None:
        self.job = job
        self.setup = job.setup
        self.task = task
        self.run_id = run_id
        self.inputs = inputs
        self.folder = task_folder(task.order, task.name)

    async def _insert(self, planned: Sequence[PlannedUnit]) -> list[int]:
        async with self.job.sessionmaker() as session, session.begin():
            return await persist.insert_units(
                session,
                run_id=self.run_id,
                dataset_id=self.setup.dataset_id,
                workflowtask_id=self.task.wftask_id,
                units=planned,
                working_dir=self.setup.working_dir,
            )

    async def _call(
        self,
        command: str | None,
        calls: Sequence[Call],
        parallel: int | None,
        meta: Mapping[str, Any],
    ) -> list[CallResult]:
        if command is None:
            raise JobExecutionError(f'Task "{self.task.name}" has no command for these calls.')
        if not calls:
            return []
        try:
            results = await run_calls(
                self.job.executor,
                working_dir=self.setup.working_dir,
                command=command,
                calls=calls,
                parallel=parallel,
                stop=self.job.stop,
                meta=meta,
            )
        except ExecutorError as error:
            self.job.executor_errors.append(str(error))
            raise JobExecutionError(str(error)) from error
        self.job.executor_errors.extend(
            result.outcome.error for result in results if result.outcome.error is not None
        )
        return results

    def _parse(self, result: CallResult, parse: Callable[[bytes | None], Parsed]) -> Parsed | None:
        """The call's output; None if it failed or its output is invalid (then it failed)."""
        if result.failed:
            return None
        try:
            return parse(result.output)
        except TaskOutputError as error:
            result.failure = str(error)
            append_to_log(self.setup.working_dir, result.files, f"qfractal: {error}")
            return None

    def _limit(self, meta: Mapping[str, Any]) -> int | None:
        return parallel_limit(meta, self.setup.jobs_runner_config.get(PARALLEL_KEY))

    async def simple(self) -> Ran:
        """A non-parallel (or converter) task, or a parallel one."""
        task = self.task
        parallel = task.type is TaskType.PARALLEL
        meta = task.meta_parallel if parallel else task.meta_non_parallel
        limit = self._limit(meta)
        if parallel:
            check_parallelization_size(len(self.inputs))
        planned = plan_units(
            task.type,
            input_zarr_urls=self.inputs,
            folder=self.folder,
            batch_size=limit or max(len(self.inputs), 1),
        )
        unit_ids = await self._insert(planned)
        if parallel:
            calls = [
                Call(unit.files, parallel_args(url, args=task.args_parallel))
                for unit, url in zip(planned, self.inputs, strict=True)
            ]
            results = await self._call(task.command_parallel, calls, limit, meta)
        else:
            args = non_parallel_args(
                task.type,
                zarr_urls=self.inputs,
                zarr_dir=self.setup.zarr_dir,
                args=task.args_non_parallel,
            )
            results = await self._call(
                task.command_non_parallel, [Call(planned[0].files, args)], 1, meta
            )
        outputs = [self._parse(result, parse_task_output) for result in results]
        statuses = unit_statuses(task.type, [result.failed for result in results])
        done = [
            url
            for unit, status in zip(planned, statuses, strict=True)
            if status == "done"
            for url in unit.zarr_urls
        ]
        return Ran(
            unit_ids=unit_ids,
            statuses=statuses,
            outputs=[output for output in outputs if output is not None],
            done_inputs=done,
            results=results,
        )

    async def compound(self) -> Ran:
        """A compound task: the init call, then one compute call per item it returns."""
        task = self.task
        (init,) = plan_units(
            task.type, input_zarr_urls=self.inputs, folder=self.folder, batch_size=1
        )
        init_ids = await self._insert([init])
        args = non_parallel_args(
            task.type,
            zarr_urls=self.inputs,
            zarr_dir=self.setup.zarr_dir,
            args=task.args_non_parallel,
        )
        init_results = await self._call(
            task.command_non_parallel, [Call(init.files, args)], 1, task.meta_non_parallel
        )
        init_output = self._parse(init_results[0], parse_init_task_output)
        if init_output is None:
            return Ran(init_ids, unit_statuses(task.type, [True]), [], [], init_results)
        items = init_output.parallelization_list
        check_parallelization_size(len(items))
        limit = self._limit(task.meta_parallel)
        planned = plan_compute_units(
            items, folder=self.folder, batch_size=limit or max(len(items), 1)
        )
        compute_ids = await self._insert(planned)
        calls = [
            Call(unit.files, compute_args(item, args=task.args_parallel))
            for unit, item in zip(planned, items, strict=True)
        ]
        results = await self._call(task.command_parallel, calls, limit, task.meta_parallel)
        outputs = [self._parse(result, parse_task_output) for result in results]
        statuses = unit_statuses(task.type, [False] + [result.failed for result in results])
        return Ran(
            unit_ids=init_ids + compute_ids,
            statuses=statuses,
            outputs=compound_outputs(items, [output for output in outputs if output is not None]),
            done_inputs=self.inputs if statuses[0] == "done" else [],
            results=init_results + results,
        )

    async def save(self, ran: Ran) -> ImageChanges:
        """Apply the merged output to the images and save everything in one transaction."""
        merged = merge_outputs(ran.outputs)
        async with self.job.sessionmaker() as session, session.begin():
            wanted = (
                set()
                if merged is None
                else zarr_urls_to_load(merged, input_zarr_urls=ran.done_inputs)
            )
            images = await load_images(session, self.setup.dataset_id, wanted)
            changes = apply_task_output(
                merged,
                images=images,
                input_zarr_urls=[url for url in ran.done_inputs if url in images],
                output_types=self.task.output_types,
                zarr_dir=self.setup.zarr_dir,
            )
            await persist.save_images(
                session,
                dataset_id=self.setup.dataset_id,
                changes=changes,
                ids={url: image.id for url, image in images.items()},
            )
            await persist.set_unit_statuses(
                session, dict(zip(ran.unit_ids, ran.statuses, strict=True))
            )
            await persist.set_run_status(session, self.run_id, run_status(ran.statuses))
            persist.add_accounting(
                session,
                user_id=self.setup.user_id,
                num_tasks=len(ran.results),
                num_new_images=changes.num_new_images,
            )
        return changes

    async def fail_run(self) -> None:
        async with self.job.sessionmaker() as session, session.begin():
            await persist.fail_run(session, self.run_id)


async def _start(
    job: JobRun,
    task: TaskSpec,
    type_filters: Mapping[str, bool] | None,
    status_of: tuple[int, frozenset[str]] | None,
) -> tuple[int, Selection]:
    """Select the inputs (none for a converter: `type_filters` None) and record the run."""
    setup = job.setup
    async with job.sessionmaker() as session, session.begin():
        if type_filters is None:
            selection = Selection(zarr_urls=[], num_available_images=0)
        else:
            selection = await select_inputs(
                session,
                dataset_id=setup.dataset_id,
                type_filters=type_filters,
                attribute_filters=setup.filters.attribute_filters,
                status_of=status_of,
            )
        run_id = await persist.insert_run(
            session,
            job_id=setup.job_id,
            dataset_id=setup.dataset_id,
            task=task,
            num_available_images=selection.num_available_images,
        )
    return run_id, selection


async def _resume(job: JobRun, task: TaskSpec, run_id: int) -> Selection | None:
    """The inputs of a run cut short by a restart, read from its units, which are then
    deleted to be planned again; None if it had no units yet (select afresh)."""
    async with job.sessionmaker() as session, session.begin():
        units = await persist.take_units(session, run_id)
        if not units:
            return None
        run = await session.get(HistoryRun, run_id)
        assert run is not None
        # A compound task's first unit is its init call, which had all the inputs.
        sides = units[:1] if task.type in COMPOUND_TYPES else units
        inputs = list(dict.fromkeys(url for unit in sides for url in unit.zarr_urls))
        return Selection(zarr_urls=inputs, num_available_images=run.num_available_images)


async def execute_task(
    job: JobRun,
    task: TaskSpec,
    *,
    current_type_filters: Mapping[str, bool],
    first: bool,
    resume_run_id: int | None = None,
) -> None:
    """Run one workflow task to its end.

    `first`: the job's first task, the one the status filter of a re-run applies to.
    `resume_run_id`: the task's run, cut short by a restart; it goes on over the same
    inputs (the executor finds the cluster jobs it had submitted).
    Raises JobExecutionError if the job cannot go on (its run is then failed).
    """
    converter = is_converter(task.type)
    type_filters = None
    if not converter:
        type_filters = input_type_filters(
            current=current_type_filters,
            task_input_types=task.input_types,
            wftask_type_filters=task.type_filters,
        )
    wanted = job.setup.filters.wanted_statuses
    status_of = (task.wftask_id, wanted) if first and wanted is not None else None
    resumed = None if resume_run_id is None else await _resume(job, task, resume_run_id)
    if resume_run_id is not None and resumed is not None:
        run_id, selection = resume_run_id, resumed
    else:
        run_id, selection = await _start(job, task, type_filters, status_of)
    inputs = selection.zarr_urls
    start = f'START task {task.order} "{task.name}" ({task.type}): '
    if converter:
        job.log.info(f"{start}no input images (a converter)")
    else:
        job.log.info(
            f"{start}{len(inputs)} input image(s) of {selection.num_available_images} "
            "with matching types"
        )
    execution = _Execution(job, task, run_id=run_id, inputs=inputs)
    try:
        if not converter:
            check_has_images(selection, task_name=task.name)
        ran = await (execution.compound() if task.type in COMPOUND_TYPES else execution.simple())
        changes = await execution.save(ran)
    except JobExecutionError:
        await execution.fail_run()
        raise
    failed = sum(result.failed for result in ran.results)
    job.log.info(
        f'END task {task.order} "{task.name}": {len(ran.results)} call(s), {failed} failed; '
        f"images: {len(changes.added)} new, {len(changes.updated)} changed, "
        f"{len(changes.removed)} removed"
    )
    if failed:
        message = await asyncio.to_thread(
            _failure_message, task, ran.results, job.setup.working_dir
        )
        raise JobExecutionError(message)
