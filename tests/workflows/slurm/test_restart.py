"""A job on a SLURM resource outlives its server: a live `qfractal serve` is killed (or
told to stop) while the job's SLURM jobs run, a new server on the same database takes the
job over and follows those SLURM jobs to their end, without submitting them again."""

import signal
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from qfractal.config import Settings
from tests.compute.engine.conftest import process_env
from tests.conftest import TEST_JWT_SECRET, Account
from tests.e2e.live_server import live_server
from tests.workflows.runner.helpers import (
    add_images,
    add_wftask,
    dataset_images,
    history,
    job_url,
    make_setup,
    submit,
    wait_for_job,
)
from tests.workflows.slurm.conftest import SlurmResource
from tests.workflows.slurm.helpers import (
    slurm_accounting,
    slurm_batches,
    squeue_states,
    wait_for_batches,
)

pytestmark = [pytest.mark.slurm, pytest.mark.e2e]

LEASE = 3.0
"""The new server takes over a killed server's job this long after its last heartbeat."""
UNIT_SECONDS = 8


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"engine_lease_seconds": LEASE})


@pytest.mark.parametrize("stop_signal", [signal.SIGKILL, signal.SIGTERM], ids=["kill", "term"])
async def test_a_job_outlives_its_server_and_is_not_submitted_twice(
    app: FastAPI,
    client: httpx.AsyncClient,
    user: Account,
    mock_tasks: dict[str, int],
    slurm_resource: SlurmResource,
    stop_signal: signal.Signals,
) -> None:
    setup = await make_setup(client, user, slurm_resource.shared)
    urls = [f"{setup.zarr_dir}/{i}.zarr" for i in range(2)]
    await add_images(client, user, setup, [{"zarr_url": url} for url in urls])
    await add_wftask(
        client,
        user,
        setup,
        mock_tasks["generic_task_parallel"],
        args_parallel={"sleep_seconds": UNIT_SECONDS},
    )
    await add_wftask(client, user, setup, mock_tasks["illumination_correction"])
    await app.state.engine.stop()  # the test's app reads the database, runs no job
    env = process_env(app.state.settings, QFRACTAL_JWT_SECRET=TEST_JWT_SECRET)

    with live_server(env, init=False) as first:
        async with httpx.AsyncClient(base_url=first.base_url) as remote:
            job_id = (await submit(remote, user, setup))["id"]
        try:
            (before,) = await wait_for_batches(app, job_id, 1)  # 2 units: one SLURM job
        except AssertionError as error:
            response = await client.get(
                job_url(setup, job_id), params={"show_tmp_logs": True}, headers=user.headers
            )
            raise AssertionError(f"{error}\n{response.json()['log']}\n{first.log()}") from None
        first.process.send_signal(stop_signal)
        first.process.wait(timeout=30)
        first_log = first.log()
    still_queued = squeue_states([before.slurm_job_id])
    assert still_queued, f"the SLURM job ended with its server:\n{first_log}"

    with live_server(env, init=False) as second:
        job = await wait_for_job(client, user, setup, job_id, timeout=60)
        second_log = second.log()

    assert job["status"] == "done", f"{job['log']}\n{first_log}\n{second_log}"
    log = job["log"]
    assert f"RESUME job {job_id} after a restart of the server" in log
    if stop_signal == signal.SIGTERM:
        assert "The server stopped; the SLURM jobs go on, and the job resumes later." in log
        assert "queued again to resume" in first_log
    else:
        assert "queued again to resume" in second_log  # found stale by the new server
    # The first task's SLURM job was followed, not submitted again; then the second task's.
    batches = await slurm_batches(app, job_id)
    assert [(b.folder, b.slurm_job_id) for b in batches[:1]] == [
        (before.folder, before.slurm_job_id)
    ]
    assert [b.folder.split("/")[0] for b in batches] == [
        "0_generic_task_parallel",
        "1_illumination_correction",
    ]
    records = await slurm_accounting(app)
    assert sorted(i for record in records for i in record.slurm_job_ids) == sorted(
        b.slurm_job_id for b in batches
    )
    found = await history(app)
    assert [run.status for run in found.runs] == ["done", "done"]
    assert [[unit.status for unit in found.units[run.id]] for run in found.runs] == [
        ["done", "done"],
        ["done", "done"],
    ]
    images = await dataset_images(client, user, setup)
    assert all(images[url]["types"] == {"illumination_correction": True} for url in urls)
    assert Path(f"{job['working_dir']}.zip").is_file()
