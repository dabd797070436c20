"""/status/, /status/run/, units, /status/images/, dataset history, status-legacy and
images/non-processed/, over history rows written as the runner writes them."""

from dataclasses import dataclass

import httpx
import pytest
from fastapi import FastAPI

from qfractal.workflows.images.schemas import ImagePage
from qfractal.workflows.jobs.image_status import STATUS_KEY
from qfractal.workflows.jobs.schemas import HistoryRunRead
from tests.conftest import Account
from tests.workflows.jobs.conftest import Setup, UnitSpec, add_run, set_job, submitted

STATUSES = ["done", "failed", "submitted", "unset"]


@dataclass
class History:
    """Job 1 ran the converter (no images) and the parallel task (a failed, b done); job 2
    re-ran the parallel task on a (done) and ran the compound task (a, c failed; d still
    submitted when the job was stopped)."""

    converter_run: int
    first_parallel_run: int
    second_parallel_run: int
    compound_run: int
    first_parallel_units: list[int]


async def record_history(
    app: FastAPI, client: httpx.AsyncClient, user: Account, setup: Setup
) -> History:
    converter, parallel, compound = setup.wftask_ids
    common = {"dataset_id": setup.dataset_id}
    job1 = await submitted(client, user, setup)
    converter_run, _ = await add_run(
        app, job_id=job1["id"], wftask_id=converter, units=[UnitSpec("done")],
        num_available_images=0, **common,
    )  # fmt: skip
    first_run, first_units = await add_run(
        app, job_id=job1["id"], wftask_id=parallel, status="failed", num_available_images=2,
        units=[UnitSpec("done", ["/zarr/b"]), UnitSpec("failed", ["/zarr/a"])],
        task_id=setup.task_ids[1], **common,
    )  # fmt: skip
    await set_job(app, job1["id"], status="failed")
    job2 = await submitted(client, user, setup, {"first_task_index": 1})
    second_run, _ = await add_run(
        app, job_id=job2["id"], wftask_id=parallel, num_available_images=1,
        units=[UnitSpec("done", ["/zarr/a"])], **common,
    )  # fmt: skip
    compound_run, _ = await add_run(
        app, job_id=job2["id"], wftask_id=compound, status="failed", num_available_images=4,
        units=[UnitSpec("failed", ["/zarr/a", "/zarr/c"]), UnitSpec("submitted", ["/zarr/d"])],
        **common,
    )  # fmt: skip
    await set_job(app, job2["id"], status="failed")
    return History(converter_run, first_run, second_run, compound_run, first_units)


@pytest.fixture
async def history(app: FastAPI, client: httpx.AsyncClient, user: Account, setup: Setup) -> History:
    return await record_history(app, client, user, setup)


async def get_json(client: httpx.AsyncClient, account: Account, url: str, **params) -> dict | list:
    response = await client.get(url, params=params, headers=account.headers)
    assert response.status_code == 200, response.text
    return response.json()


def counts(status: str, available: int | None, submitted: int, done: int, failed: int) -> dict:
    return {
        "status": status,
        "num_available_images": available,
        "num_submitted_images": submitted,
        "num_done_images": done,
        "num_failed_images": failed,
    }


async def test_workflow_status(
    app: FastAPI, client: httpx.AsyncClient, user: Account, setup: Setup
) -> None:
    url = f"{setup.project_url}status/"
    params = {"dataset_id": setup.dataset_id, "workflow_id": setup.workflow_id}
    converter, parallel, compound = (str(i) for i in setup.wftask_ids)
    assert await get_json(client, user, url, **params) == dict.fromkeys(
        [converter, parallel, compound]
    )

    await record_history(app, client, user, setup)
    assert await get_json(client, user, url, **params) == {
        converter: counts("done", 0, 0, 0, 0),
        # two done images, more than the latest run started with: the total is unknown
        parallel: counts("done", None, 0, 2, 0),
        compound: counts("failed", 4, 1, 0, 2),
    }
    legacy = await get_json(client, user, f"{setup.project_url}status-legacy/", **params)
    assert legacy == {"status": {converter: "done", parallel: "done", compound: "failed"}}

    await submitted(client, user, setup, {"first_task_index": 1})  # running again
    running = await get_json(client, user, url, **params)
    assert running[converter]["status"] == "done"
    assert running[parallel] == counts("submitted", None, 0, 2, 0)
    assert running[compound]["status"] == "submitted"

    for bad in ({"workflow_id": 999999}, {"dataset_id": 999999}):
        response = await client.get(url, params={**params, **bad}, headers=user.headers)
        assert response.status_code == 404


async def test_runs_and_units(
    client: httpx.AsyncClient, user: Account, other_user: Account, setup: Setup, history: History
) -> None:
    _, parallel, compound = setup.wftask_ids
    scope = {"dataset_id": setup.dataset_id, "workflowtask_id": parallel}
    runs = await get_json(client, user, f"{setup.project_url}status/run/", **scope)
    assert [run["id"] for run in runs] == [history.first_parallel_run, history.second_parallel_run]
    first, second = runs
    assert (first["num_submitted_units"], first["num_done_units"], first["num_failed_units"]) == (
        0,
        1,
        1,
    )
    assert first["version"] == "1.0.0" and first["args_schema_parallel"] is None
    assert first["workflowtask_dump"] == {"id": parallel}
    assert (second["num_done_units"], second["version"]) == (1, None)  # task not recorded

    units_url = f"{setup.project_url}status/run/{history.first_parallel_run}/units/"
    page = await get_json(client, user, units_url, page_size=1, **scope)
    assert (page["total_count"], page["page_size"], page["current_page"]) == (2, 1, 1)
    assert page["items"][0] == {
        "id": history.first_parallel_units[0],
        "logfile": "",
        "status": "done",
        "zarr_urls": ["/zarr/b"],
    }
    failed = await get_json(client, user, units_url, unit_status="failed", **scope)
    assert [unit["zarr_urls"] for unit in failed["items"]] == [["/zarr/a"]]
    assert failed["total_count"] == 1

    wrong_task = {**scope, "workflowtask_id": compound}
    response = await client.get(units_url, params=wrong_task, headers=user.headers)
    assert response.status_code == 404
    response = await client.get(units_url, params=scope, headers=other_user.headers)
    assert response.status_code == 404
    bad_status = await client.get(
        units_url, params={**scope, "unit_status": "unset"}, headers=user.headers
    )
    assert bad_status.status_code == 422


async def test_dataset_history(
    client: httpx.AsyncClient, user: Account, setup: Setup, history: History
) -> None:
    runs = await get_json(client, user, f"{setup.project_url}dataset/{setup.dataset_id}/history/")
    assert [run["id"] for run in runs] == [
        history.converter_run,
        history.first_parallel_run,
        history.second_parallel_run,
        history.compound_run,
    ]
    assert set(runs[0]) == set(HistoryRunRead.model_fields)
    assert runs[1]["status"] == "failed" and runs[1]["num_available_images"] == 2


async def status_images(
    client: httpx.AsyncClient,
    account: Account,
    setup: Setup,
    wftask_id: int,
    body: dict | None = None,
    **params,
) -> dict:
    response = await client.post(
        f"{setup.project_url}status/images/",
        params={"dataset_id": setup.dataset_id, "workflowtask_id": wftask_id, **params},
        json=body,
        headers=account.headers,
    )
    assert response.status_code == 200, response.text
    ImagePage.model_validate(response.json())
    return response.json()


def urls_and_statuses(page: dict) -> list[tuple[str, str]]:
    return [(item["zarr_url"], item["attributes"][STATUS_KEY]) for item in page["items"]]


async def test_images_with_their_status(
    client: httpx.AsyncClient, user: Account, setup: Setup, history: History
) -> None:
    added = await client.post(
        f"{setup.project_url}dataset/{setup.dataset_id}/images/",
        json={"zarr_url": "/zarr/B0", "attributes": {"well": "B"}, "types": {"is_3D": True}},
        headers=user.headers,
    )
    assert added.status_code == 201
    _, parallel, compound = setup.wftask_ids

    everything = await status_images(client, user, setup, compound)
    assert urls_and_statuses(everything) == [  # code-point order: upper case first
        ("/zarr/B0", "unset"),
        ("/zarr/a", "failed"),
        ("/zarr/b", "unset"),
        ("/zarr/c", "failed"),
        ("/zarr/d", "submitted"),
    ]
    assert everything["items"][1] == {
        "zarr_url": "/zarr/a",
        "origin": None,
        "attributes": {"well": "A", STATUS_KEY: "failed"},
        "types": {"is_3D": True},
    }
    assert everything["attributes"] == {"well": ["A", "B", "C"], STATUS_KEY: STATUSES}
    assert everything["types"] == ["is_3D"]

    # the parallel task selects is_3D images only; summaries cover what it selects
    selected = await status_images(client, user, setup, parallel)
    assert urls_and_statuses(selected) == [
        ("/zarr/B0", "unset"),
        ("/zarr/a", "done"),
        ("/zarr/b", "done"),
    ]
    assert selected["attributes"]["well"] == ["A", "B"]

    failed = await status_images(
        client, user, setup, compound, {"attribute_filters": {STATUS_KEY: ["failed"]}}
    )
    assert [url for url, _ in urls_and_statuses(failed)] == ["/zarr/a", "/zarr/c"]
    unset_3d = await status_images(
        client,
        user,
        setup,
        compound,
        {"type_filters": {"is_3D": True}, "attribute_filters": {STATUS_KEY: ["unset", "done"]}},
    )
    assert [url for url, _ in urls_and_statuses(unset_3d)] == ["/zarr/B0", "/zarr/b"]
    well_a = await status_images(
        client, user, setup, compound, {"attribute_filters": {"well": ["A"]}}
    )
    assert [url for url, _ in urls_and_statuses(well_a)] == ["/zarr/a", "/zarr/c"]

    page = await status_images(client, user, setup, compound, page=3, page_size=2)
    assert (page["current_page"], page["total_count"], len(page["items"])) == (3, 5, 1)
    past_the_end = await status_images(client, user, setup, compound, page=9, page_size=2)
    assert past_the_end["current_page"] == 3


async def test_status_images_refuses_unknown_scope(
    client: httpx.AsyncClient, user: Account, other_user: Account, setup: Setup
) -> None:
    url = f"{setup.project_url}status/images/"
    for params, account in (
        ({"dataset_id": setup.dataset_id, "workflowtask_id": 999999}, user),
        ({"dataset_id": 999999, "workflowtask_id": setup.wftask_ids[0]}, user),
        ({"dataset_id": setup.dataset_id, "workflowtask_id": setup.wftask_ids[0]}, other_user),
    ):
        response = await client.post(url, params=params, json={}, headers=account.headers)
        assert response.status_code == 404


async def test_non_processed_images_subtract_done_ones(
    client: httpx.AsyncClient, user: Account, setup: Setup, history: History
) -> None:
    _, parallel, compound = setup.wftask_ids

    async def non_processed(wftask_id: int, body: dict) -> list[str]:
        response = await client.post(
            f"{setup.project_url}dataset/{setup.dataset_id}/images/non-processed/",
            params={"workflow_id": setup.workflow_id, "workflowtask_id": wftask_id},
            json=body,
            headers=user.headers,
        )
        assert response.status_code == 200, response.text
        return response.json()

    # a and b are done by the parallel task, the one before the compound task
    assert await non_processed(compound, {}) == ["/zarr/c", "/zarr/d"]
    assert await non_processed(compound, {"attribute_filters": {"well": ["A"]}}) == ["/zarr/c"]
    assert await non_processed(parallel, {}) == []  # the task before it is a converter


async def test_deleting_an_image_drops_its_status(
    client: httpx.AsyncClient, user: Account, setup: Setup, history: History
) -> None:
    deleted = await client.delete(
        f"{setup.project_url}dataset/{setup.dataset_id}/images/",
        params={"zarr_url": "/zarr/d"},
        headers=user.headers,
    )
    assert deleted.status_code == 204
    statuses = await get_json(
        client,
        user,
        f"{setup.project_url}status/",
        dataset_id=setup.dataset_id,
        workflow_id=setup.workflow_id,
    )
    assert statuses[str(setup.wftask_ids[2])] == counts("failed", 4, 0, 0, 2)


async def test_verify_unique_types_by_status(
    client: httpx.AsyncClient, user: Account, setup: Setup, history: History
) -> None:
    compound = setup.wftask_ids[2]

    async def split_types(statuses: list[str]) -> list[str]:
        response = await client.post(
            f"{setup.project_url}dataset/{setup.dataset_id}/images/verify-unique-types/",
            params={"workflowtask_id": compound},
            json={"attribute_filters": {STATUS_KEY: statuses}},
            headers=user.headers,
        )
        assert response.status_code == 200, response.text
        return response.json()

    assert await split_types(["failed"]) == ["is_3D"]  # a (3D) and c (not 3D)
    assert await split_types(["failed", "unset"]) == ["is_3D"]
    assert await split_types(["submitted"]) == []  # d only
    assert await split_types(["unset", "done"]) == []  # b only
