"""Stopping a running job (its calls' process groups killed), jobs the engine declares
lost, and jobs that cannot start. The last ones call the handler directly, on job rows
that no engine sees."""

import asyncio
import zipfile
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI

from qfractal.compute.engine.handlers import RunContext
from qfractal.workflows.jobs.submission import WORKFLOW_JOB_KIND
from qfractal.workflows.models import HistoryRun, HistoryUnit, Job
from qfractal.workflows.runner.registration import handler
from tests.compute.checks import group_is_gone
from tests.conftest import Account
from tests.workflows.runner.conftest import both_engines
from tests.workflows.runner.helpers import (
    Setup,
    add_wftask,
    history,
    job_url,
    make_setup,
    scripted_task,
    slow_workflow,
    started_calls,
    submit,
    wait_for_job,
)


@both_engines
async def test_stopping_a_running_job_kills_its_calls(
    app: FastAPI, client: httpx.AsyncClient, user: Account, tmp_path: Path
) -> None:
    setup, pid_dir = await slow_workflow(client, user, tmp_path)
    job = await submit(client, user, setup)

    calls = await started_calls(pid_dir, 2)
    assert not any(group_is_gone(pid) for pid, _ in calls)
    response = await client.get(
        job_url(setup, job["id"]), params={"show_tmp_logs": True}, headers=user.headers
    )
    assert 'START task 0 "slow" (parallel): 3 input image(s)' in response.json()["log"]
    response = await client.get(job_url(setup, job["id"], "stop/"), headers=user.headers)
    assert response.status_code == 202, response.text
    job = await wait_for_job(client, user, setup, job["id"])

    assert job["status"] == "failed"
    assert job["log"].rstrip().endswith(f"JOB ERROR in job {job['id']}:\nstopped by user")
    for pid, child in calls:
        assert group_is_gone(pid), f"call {pid} or its child {child} is still running"
    found = await history(app)
    (run,) = found.runs  # no further task started
    assert run.status == "failed"
    units = found.units[run.id]
    assert [unit.status for unit in units] == ["failed"] * 3
    with zipfile.ZipFile(f"{job['working_dir']}.zip") as archive:
        logs = [
            archive.read(Path(unit.logfile).relative_to(job["working_dir"]).as_posix()).decode()
            for unit in units
        ]
    assert all(log.rstrip().endswith("Failed due to job stop.") for log in logs)
    assert len(list(pid_dir.glob("*.pid"))) == 2  # the third call never started


def _context(app: FastAPI, job_id: int) -> RunContext:
    return RunContext(
        engine_job_id=0,
        kind=WORKFLOW_JOB_KIND,
        ref_id=job_id,
        worker_id="test-worker",
        sessionmaker=app.state.database.sessionmaker,
        settings=app.state.settings,
        stop=asyncio.Event(),
    )


async def _job_row(app: FastAPI, user: Account, setup: Setup, **columns: Any) -> int:
    """A job row as submission writes it, but queued for no engine."""
    async with app.state.database.sessionmaker() as session, session.begin():
        job = Job(
            project_id=setup.project_id,
            workflow_id=setup.workflow_id,
            dataset_id=setup.dataset_id,
            user_email=user.email,
            first_task_index=0,
            last_task_index=0,
            status="submitted",
            **columns,
        )
        session.add(job)
        await session.flush()
        return job.id


async def _get_job(app: FastAPI, job_id: int) -> Job:
    async with app.state.database.sessionmaker() as session:
        job = await session.get(Job, job_id)
        assert job is not None
        return job


async def _workflow_of_one_task(
    client: httpx.AsyncClient, user: Account, tmp_path: Path
) -> tuple[Setup, int]:
    setup = await make_setup(client, user, tmp_path)
    task = await scripted_task(client, user, "any", task_type="converter_non_parallel")
    wftask = await add_wftask(client, user, setup, task)
    return setup, wftask["id"]


async def test_a_lost_job_fails_with_its_open_run_and_units(
    app: FastAPI, client: httpx.AsyncClient, user: Account, tmp_path: Path
) -> None:
    setup, wftask_id = await _workflow_of_one_task(client, user, tmp_path)
    folder = tmp_path / "job"
    folder.mkdir()
    (folder / "workflow.log").write_text("an earlier line\n")
    job_id = await _job_row(app, user, setup, working_dir=str(folder))
    async with app.state.database.sessionmaker() as session, session.begin():
        run = HistoryRun(
            dataset_id=setup.dataset_id,
            workflowtask_id=wftask_id,
            job_id=job_id,
            status="submitted",
            num_available_images=0,
        )
        session.add(run)
        await session.flush()
        session.add_all(
            [
                HistoryUnit(history_run_id=run.id, logfile="a", status="done"),
                HistoryUnit(history_run_id=run.id, logfile="b", status="submitted"),
            ]
        )

    reason = "worker w1 stopped sending heartbeats (lost)"
    await handler.lost(job_id, reason, _context(app, job_id))
    await handler.lost(job_id, "a second call changes nothing", _context(app, job_id))

    job = await _get_job(app, job_id)
    assert job.status == "failed" and job.end_timestamp is not None
    assert job.log is not None
    assert job.log.startswith("an earlier line\n")
    assert job.log.rstrip().endswith(f"JOB ERROR in job {job_id}:\n{reason}")
    assert (folder / "workflow.log").read_text() == job.log
    found = await history(app)
    assert [run.status for run in found.runs] == ["failed"]
    assert [unit.status for unit in found.units[found.runs[0].id]] == ["done", "failed"]


async def test_a_job_whose_folder_exists_does_not_start(
    app: FastAPI, client: httpx.AsyncClient, user: Account, tmp_path: Path
) -> None:
    setup, _ = await _workflow_of_one_task(client, user, tmp_path)
    folder = tmp_path / "taken"
    folder.mkdir()
    (folder / "someone-elses.txt").write_text("keep me")
    job_id = await _job_row(app, user, setup, working_dir=str(folder))

    await handler.run(job_id, _context(app, job_id))

    job = await _get_job(app, job_id)
    assert job.status == "failed"
    assert job.log == (
        f"JOB ERROR in job {job_id}:\nCannot create the job folder {folder}: File exists."
    )
    assert [path.name for path in folder.iterdir()] == ["someone-elses.txt"]
    assert not Path(f"{folder}.zip").exists()
    assert (await history(app)).runs == []


async def test_the_handler_runs_submitted_jobs_only_and_needs_their_dataset(
    app: FastAPI, client: httpx.AsyncClient, user: Account, tmp_path: Path
) -> None:
    setup, _ = await _workflow_of_one_task(client, user, tmp_path)
    done = await _job_row(app, user, setup, working_dir=str(tmp_path / "done"))
    async with app.state.database.sessionmaker() as session, session.begin():
        (await session.get(Job, done)).status = "done"  # type: ignore[union-attr]
    orphan = await _job_row(app, user, setup, working_dir=str(tmp_path / "orphan"))
    async with app.state.database.sessionmaker() as session, session.begin():
        (await session.get(Job, orphan)).dataset_id = None  # type: ignore[union-attr]

    await handler.run(done, _context(app, done))
    await handler.run(orphan, _context(app, orphan))

    assert (await _get_job(app, done)).log is None
    assert (await _get_job(app, orphan)).log == (
        f"JOB ERROR in job {orphan}:\nThe dataset of job {orphan} was deleted after its submission."
    )
    assert not (tmp_path / "done").exists() and not (tmp_path / "orphan").exists()
