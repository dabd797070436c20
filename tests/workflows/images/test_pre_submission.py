"""/images/verify-unique-types/ and /images/non-processed/: the checks before a job.

Workflows are built as rows here: these checks only read them, and building them through
the workflow routes would tie these tests to rules they are not about.
"""

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from qfractal.workflows.models import Project, Task, TaskGroup, Workflow, WorkflowTask
from tests.conftest import Account
from tests.workflows.datasets.helpers import create_project, images_url, import_dataset

IMAGES = [
    {"zarr_url": "/zarr/a", "attributes": {"well": "A"}, "types": {"is_3D": True, "mip": False}},
    {"zarr_url": "/zarr/b", "attributes": {"well": "B"}, "types": {"is_3D": False}},
    {"zarr_url": "/zarr/c", "attributes": {"well": "A"}, "types": {"is_3D": True, "mip": True}},
    {"zarr_url": "/zarr/d", "attributes": {"well": "C"}, "types": {"illum": False}},
]


async def make_workflow(
    app: FastAPI, user: Account, project_id: int, tasks: list[tuple[str, dict[str, bool]]]
) -> tuple[int, list[int]]:
    """A workflow of one task per `(task type, output_types)`; its id and its wftask ids."""
    async with app.state.database.sessionmaker() as session, session.begin():
        project = await session.get(Project, project_id)
        assert project is not None
        group = TaskGroup(
            user_id=user.id, resource_id=project.resource_id, origin="other", pkg_name="pkg"
        )
        workflow = Workflow(name=f"wf{len(tasks)}", project_id=project_id)
        session.add_all([group, workflow])
        await session.flush()
        wftask_ids = []
        for order, (task_type, output_types) in enumerate(tasks):
            task = Task(
                taskgroupv2_id=group.id,
                name=f"task{order}",
                type=task_type,
                output_types=output_types,
            )
            session.add(task)
            await session.flush()
            wftask = WorkflowTask(
                workflow_id=workflow.id, order=order, task_id=task.id, task_type=task_type
            )
            session.add(wftask)
            await session.flush()
            wftask_ids.append(wftask.id)
        return workflow.id, wftask_ids


@pytest.fixture
async def dataset(client: httpx.AsyncClient, user: Account) -> dict:
    project = await create_project(client, user)
    return await import_dataset(client, user, project["id"], IMAGES)


async def non_processed(
    client: httpx.AsyncClient, account: Account, dataset: dict, body: dict[str, Any], **params: int
) -> httpx.Response:
    return await client.post(
        images_url(dataset, "non-processed/"), json=body, params=params, headers=account.headers
    )


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (None, ["is_3D", "mip"]),
        ({}, ["is_3D", "mip"]),
        ({"attribute_filters": {"well": ["A"]}}, ["mip"]),
        ({"type_filters": {"is_3D": True}}, ["mip"]),
        ({"type_filters": {"mip": True}}, []),
        ({"attribute_filters": {"well": ["B", "C"]}}, []),
        ({"attribute_filters": {"well": ["nowhere"]}}, []),
    ],
)
async def test_verify_unique_types(
    client: httpx.AsyncClient, user: Account, dataset: dict, body: dict | None, expected: list
) -> None:
    response = await client.post(
        images_url(dataset, "verify-unique-types/"), json=body, headers=user.headers
    )
    assert response.status_code == 200
    assert response.json() == expected


async def test_verify_unique_types_checks_the_workflow_task(
    app: FastAPI, client: httpx.AsyncClient, user: Account, dataset: dict
) -> None:
    url = images_url(dataset, "verify-unique-types/")
    _, [wftask_id] = await make_workflow(app, user, dataset["project_id"], [("parallel", {})])
    found = await client.post(url, params={"workflowtask_id": wftask_id}, headers=user.headers)
    assert found.json() == ["is_3D", "mip"]

    other_project = await create_project(client, user, "other")
    _, [foreign] = await make_workflow(app, user, other_project["id"], [("parallel", {})])
    for wftask in (foreign, 9999):
        response = await client.post(url, params={"workflowtask_id": wftask}, headers=user.headers)
        assert response.status_code == 404
        assert f"Workflow task {wftask}" in response.json()["detail"]
    huge = await client.post(url, params={"workflowtask_id": 2**40}, headers=user.headers)
    assert huge.status_code == 422
    assert huge.json()["detail"][0]["loc"] == ["query", "workflowtask_id"]


@pytest.mark.parametrize(
    ("previous", "expected"),
    [
        (("parallel", {}), ["/zarr/a", "/zarr/b", "/zarr/c"]),
        (("non_parallel", {}), ["/zarr/a", "/zarr/b", "/zarr/c"]),
        (("compound", {}), ["/zarr/a", "/zarr/b", "/zarr/c"]),
        (("parallel", {"is_3D": False}), []),
        (("converter_compound", {}), []),
        (("converter_non_parallel", {}), []),
    ],
)
async def test_non_processed_images(
    app: FastAPI,
    client: httpx.AsyncClient,
    user: Account,
    dataset: dict,
    previous: tuple[str, dict],
    expected: list[str],
) -> None:
    workflow_id, [first, second] = await make_workflow(
        app, user, dataset["project_id"], [previous, ("parallel", {})]
    )
    body = {"attribute_filters": {"well": ["A", "B"]}, "type_filters": {"illum": False}}
    answer = await non_processed(
        client, user, dataset, body, workflow_id=workflow_id, workflowtask_id=second
    )
    assert answer.status_code == 200
    assert answer.json() == expected
    first_task = await non_processed(
        client, user, dataset, body, workflow_id=workflow_id, workflowtask_id=first
    )
    assert first_task.json() == []


async def test_non_processed_images_checks_workflow_and_task(
    app: FastAPI, client: httpx.AsyncClient, user: Account, other_user: Account, dataset: dict
) -> None:
    workflow_id, [_, wftask_id] = await make_workflow(
        app, user, dataset["project_id"], [("parallel", {}), ("parallel", {})]
    )
    other_workflow, [other_wftask] = await make_workflow(
        app, user, dataset["project_id"], [("parallel", {})]
    )
    ok = await non_processed(
        client, user, dataset, {}, workflow_id=workflow_id, workflowtask_id=wftask_id
    )
    assert ok.json() == [image["zarr_url"] for image in IMAGES]

    cases = [
        ({"workflow_id": 9999, "workflowtask_id": wftask_id}, "Workflow 9999"),
        ({"workflow_id": workflow_id, "workflowtask_id": 9999}, "Workflow task 9999"),
        ({"workflow_id": workflow_id, "workflowtask_id": other_wftask}, "Workflow task"),
        ({"workflow_id": other_workflow, "workflowtask_id": wftask_id}, "Workflow task"),
    ]
    for params, message in cases:
        response = await non_processed(client, user, dataset, {}, **params)
        assert response.status_code == 404, params
        assert message in response.json()["detail"]
    intruder = await non_processed(
        client, other_user, dataset, {}, workflow_id=workflow_id, workflowtask_id=wftask_id
    )
    assert intruder.status_code == 404

    missing = await client.post(
        images_url(dataset, "non-processed/"), json={}, headers=user.headers
    )
    assert missing.status_code == 422
    assert {tuple(e["loc"]) for e in missing.json()["detail"]} == {
        ("query", "workflow_id"),
        ("query", "workflowtask_id"),
    }
    bad_body = await non_processed(
        client,
        user,
        dataset,
        {"attribute_filters": {"well": []}},
        workflow_id=workflow_id,
        workflowtask_id=wftask_id,
    )
    assert bad_body.status_code == 422
