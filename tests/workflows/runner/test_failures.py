"""Failing calls, invalid outputs and job errors, with scripted tasks (`scripted_task.py`)
run as subprocesses by the job engine; and a re-run of the failed images only. Each test
runs on both engines (`both_engines`)."""

from pathlib import Path

import httpx
from fastapi import FastAPI

from tests.conftest import Account
from tests.workflows.runner.conftest import both_engines
from tests.workflows.runner.helpers import (
    Setup,
    add_images,
    add_wftask,
    dataset_images,
    history,
    make_setup,
    run_job,
    scripted_task,
)

STATUS_KEY = "__wftask_dataset_image_status__"

pytestmark = both_engines


async def _with_images(
    client: httpx.AsyncClient, user: Account, tmp_path: Path, count: int = 3
) -> tuple[Setup, list[str]]:
    setup = await make_setup(client, user, tmp_path)
    urls = [f"{setup.zarr_dir}/{i}.zarr" for i in range(count)]
    await add_images(client, user, setup, [{"zarr_url": url} for url in urls])
    return setup, urls


async def test_a_partial_failure_keeps_successful_outputs_then_a_rerun_of_failed_images(
    app: FastAPI, client: httpx.AsyncClient, user: Account, tmp_path: Path
) -> None:
    setup, urls = await _with_images(client, user, tmp_path)
    flaky = await scripted_task(
        client, user, "flaky", task_type="parallel", output_types={"flaky_done": True}
    )
    wftask = await add_wftask(
        client,
        user,
        setup,
        flaky,
        args_parallel={"fail_on": [urls[1]], "set_attributes": {"ok": True}},
    )
    later = await add_wftask(client, user, setup, flaky)

    job = await run_job(client, user, setup)

    assert job["status"] == "failed"
    log = job["log"]
    assert f"JOB ERROR in job {job['id']}:" in log
    assert '"flaky" (workflow task 0): 1 of 3 call(s) failed.' in log
    assert "First failure (0_flaky/par-000000-0000001-log.txt): exit code 1" in log
    assert f"failing on purpose ({urls[1]})" in log
    images = await dataset_images(client, user, setup)
    for url in (urls[0], urls[2]):
        assert images[url]["attributes"] == {"ok": True}
        assert images[url]["types"] == {"flaky_done": True}
    assert images[urls[1]]["attributes"] == {} and images[urls[1]]["types"] == {}
    found = await history(app)
    (run,) = found.runs  # the second task never started
    assert run.status == "failed"
    assert [unit.status for unit in found.units[run.id]] == ["done", "failed", "done"]
    assert found.cache == {
        (wftask["id"], urls[0]): "done",
        (wftask["id"], urls[1]): "failed",
        (wftask["id"], urls[2]): "done",
    }
    assert [(r.num_tasks, r.num_new_images) for r in found.accounting] == [(3, 0)]

    # Fixed, the task runs again on the failed image only.
    response = await client.patch(
        f"/api/v2/project/{setup.project_id}/workflow/{setup.workflow_id}/wftask/{wftask['id']}/",
        json={"args_parallel": {"set_attributes": {"ok": "again"}}},
        headers=user.headers,
    )
    assert response.status_code == 200, response.text
    job = await run_job(
        client, user, setup, last_task_index=0, attribute_filters={STATUS_KEY: ["failed"]}
    )

    assert job["status"] == "done", job["log"]
    images = await dataset_images(client, user, setup)
    assert [images[url]["attributes"] for url in urls] == [
        {"ok": True},
        {"ok": "again"},
        {"ok": True},
    ]
    found = await history(app)
    rerun = found.runs[-1]
    assert (rerun.status, rerun.num_available_images) == ("done", 3)
    assert [unit.zarr_urls for unit in found.units[rerun.id]] == [[urls[1]]]
    assert {found.cache[(wftask["id"], url)] for url in urls} == {"done"}
    assert all(run.workflowtask_id != later["id"] for run in found.runs)


async def test_an_invalid_output_fails_its_call_with_the_reason_in_its_log(
    app: FastAPI, client: httpx.AsyncClient, user: Account, tmp_path: Path
) -> None:
    setup, urls = await _with_images(client, user, tmp_path, count=1)
    task = await scripted_task(client, user, "bad-output", task_type="non_parallel")
    output = {"image_list_updates": [{"zarr_url": urls[0]}], "image_list_removals": [urls[0]]}
    await add_wftask(client, user, setup, task, args_non_parallel={"output": output})

    job = await run_job(client, user, setup)

    assert job["status"] == "failed"
    reason = (
        "The task output is not valid:\n(top level): each zarr_url may appear once in "
        "image_list_updates and image_list_removals together; repeated: " + urls[0]
    )
    assert reason in job["log"]
    found = await history(app)
    (unit,) = found.units[found.runs[0].id]
    assert unit.status == "failed"
    response = await client.get(
        f"/api/v2/project/{setup.project_id}/status/unit-log/",
        params={
            "history_run_id": found.runs[0].id,
            "history_unit_id": unit.id,
            "workflowtask_id": found.runs[0].workflowtask_id,
            "dataset_id": setup.dataset_id,
        },
        headers=user.headers,
    )
    assert response.status_code == 200, response.text
    assert f"qfractal: {reason}" in response.json()  # read from the zipped job folder
    assert list(await dataset_images(client, user, setup)) == urls


async def test_an_empty_output_updates_the_inputs_of_successful_calls_only(
    app: FastAPI, client: httpx.AsyncClient, user: Account, tmp_path: Path
) -> None:
    setup, urls = await _with_images(client, user, tmp_path)
    silent = await scripted_task(
        client, user, "silent", task_type="non_parallel", output_types={"seen": True}
    )
    no_items = await scripted_task(
        client, user, "no-items", task_type="compound", output_types={"compound": True}
    )
    null = await scripted_task(
        client, user, "null", task_type="parallel", output_types={"processed": True}
    )
    await add_wftask(client, user, setup, silent)  # writes no output file
    await add_wftask(
        client, user, setup, no_items, args_non_parallel={"output": {"parallelization_list": []}}
    )
    await add_wftask(
        client, user, setup, null, args_parallel={"output": None, "fail_on": [urls[1]]}
    )

    job = await run_job(client, user, setup)

    assert job["status"] == "failed"
    images = await dataset_images(client, user, setup)
    assert [images[url]["types"] for url in urls] == [
        {"seen": True, "compound": True, "processed": True},
        {"seen": True, "compound": True},  # its call failed: fractal-server sets `processed`
        {"seen": True, "compound": True, "processed": True},
    ]
    found = await history(app)
    compound_run = found.runs[1]
    assert [(u.zarr_urls, u.status) for u in found.units[compound_run.id]] == [(urls, "done")]


async def test_a_task_without_input_images_fails_the_job(
    app: FastAPI, client: httpx.AsyncClient, user: Account, tmp_path: Path
) -> None:
    setup, _ = await _with_images(client, user, tmp_path, count=2)
    task = await scripted_task(client, user, "picky", task_type="parallel")
    await add_wftask(client, user, setup, task, type_filters={"3D": True})

    job = await run_job(client, user, setup)

    assert job["status"] == "failed"
    assert 'Task "picky" has no input image' in job["log"]
    found = await history(app)
    (run,) = found.runs
    assert (run.status, run.num_available_images, found.units[run.id]) == ("failed", 0, [])


async def test_a_compound_task_fails_as_a_whole_but_keeps_successful_outputs(
    app: FastAPI, client: httpx.AsyncClient, user: Account, tmp_path: Path
) -> None:
    setup, urls = await _with_images(client, user, tmp_path)
    task = await scripted_task(client, user, "compound", task_type="compound")
    items = [{"zarr_url": url, "init_args": {"n": n}} for n, url in enumerate(urls)]
    await add_wftask(
        client,
        user,
        setup,
        task,
        args_non_parallel={"output": {"parallelization_list": items}},
        args_parallel={"fail_on": [urls[2]], "set_attributes": {"computed": True}},
    )

    job = await run_job(client, user, setup)

    assert job["status"] == "failed"
    assert '"compound" (workflow task 0): 1 of 4 call(s) failed.' in job["log"]
    images = await dataset_images(client, user, setup)
    assert [images[url]["attributes"] for url in urls] == [{"computed": True}] * 2 + [{}]
    found = await history(app)
    (run,) = found.runs
    units = found.units[run.id]
    assert [unit.zarr_urls for unit in units] == [urls, [urls[0]], [urls[1]], [urls[2]]]
    assert {unit.status for unit in units} == {"failed"}
    assert {status for (_, url), status in found.cache.items()} == {"failed"}
    assert [(r.num_tasks, r.num_new_images) for r in found.accounting] == [(4, 0)]


async def test_a_failed_init_call_ends_a_compound_task(
    app: FastAPI, client: httpx.AsyncClient, user: Account, tmp_path: Path
) -> None:
    setup, urls = await _with_images(client, user, tmp_path, count=2)
    task = await scripted_task(client, user, "compound", task_type="compound")
    await add_wftask(client, user, setup, task, args_non_parallel={"fail": True})

    job = await run_job(client, user, setup)

    assert job["status"] == "failed"
    assert "First failure (0_compound/non_par--log.txt): exit code 1" in job["log"]
    found = await history(app)
    (run,) = found.runs
    assert [(u.zarr_urls, u.status) for u in found.units[run.id]] == [(urls, "failed")]
    assert [(r.num_tasks, r.num_new_images) for r in found.accounting] == [(1, 0)]


async def test_too_many_parallelization_items_fail_the_job(
    app: FastAPI, client: httpx.AsyncClient, user: Account, tmp_path: Path
) -> None:
    setup = await make_setup(client, user, tmp_path)
    task = await scripted_task(client, user, "huge", task_type="converter_compound")
    await add_wftask(client, user, setup, task, args_non_parallel={"items": 20_001})

    job = await run_job(client, user, setup)

    assert job["status"] == "failed"
    assert "Too many parallelization items: 20001 (at most 20000 are allowed)." in job["log"]
    found = await history(app)
    (run,) = found.runs
    assert [unit.status for unit in found.units[run.id]] == ["failed"]  # the init call only


async def test_an_executable_that_cannot_start_is_the_executor_error_log(
    client: httpx.AsyncClient, user: Account, tmp_path: Path
) -> None:
    setup, _ = await _with_images(client, user, tmp_path, count=2)
    missing = tmp_path / "no-such-task"
    body = {"name": "missing", "type": "parallel", "command_parallel": str(missing)}
    response = await client.post("/api/v2/task/", json=body, headers=user.headers)
    assert response.status_code == 201, response.text
    await add_wftask(client, user, setup, response.json()["id"])

    job = await run_job(client, user, setup)

    assert job["status"] == "failed"
    error_log = job["executor_error_log"]
    assert error_log.startswith(f"cannot start {missing}: ")
    assert error_log.endswith("(and 1 more executor error(s))")
    assert f"cannot start {missing}" in job["log"]


async def test_a_task_that_fails_by_itself_leaves_no_executor_error_log(
    client: httpx.AsyncClient, user: Account, tmp_path: Path
) -> None:
    setup, _ = await _with_images(client, user, tmp_path, count=1)
    task = await scripted_task(client, user, "fails", task_type="non_parallel")
    await add_wftask(client, user, setup, task, args_non_parallel={"fail": True})

    job = await run_job(client, user, setup)

    assert job["status"] == "failed"
    assert job["executor_error_log"] is None
