"""/api/v2/project/{p}/workflow/: CRUD, names, reordering, warnings, isolation."""

import httpx
import pytest

from tests.conftest import Account
from tests.workflows.workflow.conftest import (
    MakeTask,
    add_task,
    create_project,
    create_workflow,
    workflow_url,
)


async def test_create_list_read_rename_delete(
    client: httpx.AsyncClient, user: Account, project_id: int
) -> None:
    created = await create_workflow(client, user, project_id, "first")
    assert set(created) == {"id", "name", "project_id", "task_list", "project", "timestamp_created"}
    assert created["task_list"] == []
    assert created["project"]["id"] == project_id
    assert created["project_id"] == project_id

    listed = (await client.get(workflow_url(project_id), headers=user.headers)).json()
    assert [w["id"] for w in listed] == [created["id"]]

    url = workflow_url(project_id, created["id"])
    read = (await client.get(url, headers=user.headers)).json()
    assert read == created

    renamed = await client.patch(url, json={"name": "renamed"}, headers=user.headers)
    assert renamed.status_code == 200
    assert renamed.json()["name"] == "renamed"
    same = await client.patch(url, json={"name": "renamed"}, headers=user.headers)
    assert same.status_code == 200  # keeping its own name is not a clash

    assert (await client.delete(url, headers=user.headers)).status_code == 204
    assert (await client.get(url, headers=user.headers)).status_code == 404
    assert (await client.get(workflow_url(project_id), headers=user.headers)).json() == []


async def test_names_are_unique_per_project(
    client: httpx.AsyncClient, user: Account, project_id: int
) -> None:
    await create_workflow(client, user, project_id, "same")
    clash = await client.post(workflow_url(project_id), json={"name": "same"}, headers=user.headers)
    assert clash.status_code == 422
    assert "same" in clash.json()["detail"]

    other = await create_workflow(client, user, project_id, "other")
    rename = await client.patch(
        workflow_url(project_id, other["id"]), json={"name": "same"}, headers=user.headers
    )
    assert rename.status_code == 422

    second_project = await create_project(client, user, "second")
    await create_workflow(client, user, second_project, "same")


@pytest.mark.parametrize("body", [{}, {"name": ""}, {"name": "  "}, {"name": "w", "x": 1}], ids=str)
async def test_bad_bodies(
    client: httpx.AsyncClient, user: Account, project_id: int, body: dict
) -> None:
    response = await client.post(workflow_url(project_id), json=body, headers=user.headers)
    assert response.status_code == 422
    assert isinstance(response.json()["detail"], list)


async def test_list_carries_tasks_in_order(
    client: httpx.AsyncClient, user: Account, project_id: int, make_task: MakeTask
) -> None:
    wf = await create_workflow(client, user, project_id)
    empty = await create_workflow(client, user, project_id, "empty")
    first, second = await make_task(user, "a"), await make_task(user, "b", pkg_name="other")
    for task_id in (second, first):
        await add_task(client, user, project_id, wf["id"], task_id)
    listed = (await client.get(workflow_url(project_id), headers=user.headers)).json()
    assert [w["id"] for w in listed] == [wf["id"], empty["id"]]
    assert [t["task_id"] for t in listed[0]["task_list"]] == [second, first]
    assert [t["order"] for t in listed[0]["task_list"]] == [0, 1]
    assert listed[0]["task_list"][0]["task"]["name"] == "b"
    assert "warning" not in listed[0]["task_list"][0]
    assert listed[1]["task_list"] == []


async def test_reorder(
    client: httpx.AsyncClient, user: Account, project_id: int, make_task: MakeTask
) -> None:
    wf = await create_workflow(client, user, project_id)
    task_id = await make_task(user)
    ids = [(await add_task(client, user, project_id, wf["id"], task_id))["id"] for _ in range(3)]
    url = workflow_url(project_id, wf["id"])

    new_order = [ids[2], ids[0], ids[1]]
    response = await client.patch(
        url, json={"reordered_workflowtask_ids": new_order}, headers=user.headers
    )
    assert response.status_code == 200
    assert [t["id"] for t in response.json()["task_list"]] == new_order
    assert [t["order"] for t in response.json()["task_list"]] == [0, 1, 2]
    read = (await client.get(url, headers=user.headers)).json()
    assert [t["id"] for t in read["task_list"]] == new_order

    for bad in ([ids[0], ids[1]], [*ids, 99999], [ids[0], ids[1], 99999]):
        response = await client.patch(
            url, json={"reordered_workflowtask_ids": bad}, headers=user.headers
        )
        assert response.status_code == 422, bad
        assert "permutation" in response.json()["detail"]
    repeated = await client.patch(
        url, json={"reordered_workflowtask_ids": [ids[0], ids[0], ids[1]]}, headers=user.headers
    )
    assert repeated.status_code == 422
    negative = await client.patch(
        url, json={"reordered_workflowtask_ids": [-1]}, headers=user.headers
    )
    assert negative.status_code == 422
    read = (await client.get(url, headers=user.headers)).json()
    assert [t["id"] for t in read["task_list"]] == new_order


async def test_warnings(
    client: httpx.AsyncClient,
    user: Account,
    other_user: Account,
    project_id: int,
    make_task: MakeTask,
    set_task_group,
    default_group_id,
) -> None:
    wf = await create_workflow(client, user, project_id)
    fine = await make_task(user, "fine")
    to_deactivate = await make_task(user, "inactive", pkg_name="p2")
    shared = await make_task(
        other_user, "shared", pkg_name="p3", shared_with=await default_group_id()
    )
    for task_id in (fine, to_deactivate, shared):
        await add_task(client, user, project_id, wf["id"], task_id)
    await set_task_group(to_deactivate, active=False)
    await set_task_group(shared, user_group_id=None)  # the owner stops sharing it

    read = (await client.get(workflow_url(project_id, wf["id"]), headers=user.headers)).json()
    assert [t["warning"] for t in read["task_list"]] == [
        None,
        "Task is not active.",
        "Current user has no access to this task.",
    ]


async def test_delete_takes_the_workflow_tasks_along(
    client: httpx.AsyncClient, user: Account, project_id: int, make_task: MakeTask
) -> None:
    wf = await create_workflow(client, user, project_id)
    wftask = await add_task(client, user, project_id, wf["id"], await make_task(user))
    url = workflow_url(project_id, wf["id"])
    assert (await client.delete(url, headers=user.headers)).status_code == 204
    response = await client.get(f"{url}wftask/{wftask['id']}/", headers=user.headers)
    assert response.status_code == 404


async def test_another_users_workflows_are_invisible(
    client: httpx.AsyncClient, user: Account, other_user: Account, project_id: int
) -> None:
    wf = await create_workflow(client, user, project_id)
    url = workflow_url(project_id, wf["id"])
    h = other_user.headers
    assert (await client.get(workflow_url(project_id), headers=h)).status_code == 404
    assert (
        await client.post(workflow_url(project_id), json={"name": "x"}, headers=h)
    ).status_code == 404
    assert (await client.get(url, headers=h)).status_code == 404
    assert (await client.patch(url, json={"name": "x"}, headers=h)).status_code == 404
    assert (await client.delete(url, headers=h)).status_code == 404
    for suffix in ("export/", "type-filters-flow/", "version-update-candidates/"):
        assert (await client.get(f"{url}{suffix}", headers=h)).status_code == 404, suffix
    assert (await client.get(url, headers=user.headers)).json()["name"] == "wf"


async def test_workflow_is_looked_up_inside_its_project(
    client: httpx.AsyncClient, user: Account, project_id: int
) -> None:
    wf = await create_workflow(client, user, project_id)
    elsewhere = await create_project(client, user, "elsewhere")
    wrong = workflow_url(elsewhere, wf["id"])
    assert (await client.get(wrong, headers=user.headers)).status_code == 404
    assert (await client.patch(wrong, json={"name": "x"}, headers=user.headers)).status_code == 404
    assert (await client.delete(wrong, headers=user.headers)).status_code == 404
    assert (
        await client.get(workflow_url(project_id, 424242), headers=user.headers)
    ).status_code == 404


async def test_anonymous_is_401(client: httpx.AsyncClient, user: Account, project_id: int) -> None:
    wf = await create_workflow(client, user, project_id)
    url = workflow_url(project_id, wf["id"])
    requests = [
        ("GET", workflow_url(project_id)),
        ("POST", workflow_url(project_id)),
        ("POST", f"{workflow_url(project_id)}import/"),
        ("GET", url),
        ("PATCH", url),
        ("DELETE", url),
        ("GET", f"{url}export/"),
        ("GET", f"{url}type-filters-flow/"),
        ("GET", f"{url}version-update-candidates/"),
        ("POST", f"{url}wftask/?task_id=1"),
        ("POST", f"{url}wftask/replace-task/?workflow_task_id=1&task_id=1"),
        ("GET", f"{url}wftask/1/"),
        ("PATCH", f"{url}wftask/1/"),
        ("DELETE", f"{url}wftask/1/"),
    ]
    for method, path in requests:
        body = None if method in ("GET", "DELETE") else {}
        response = await client.request(method, path, json=body)
        assert response.status_code == 401, (method, path)


async def test_type_filters_flow_route(
    client: httpx.AsyncClient, user: Account, project_id: int, make_task: MakeTask
) -> None:
    wf = await create_workflow(client, user, project_id)
    url = workflow_url(project_id, wf["id"])
    assert (await client.get(f"{url}type-filters-flow/", headers=user.headers)).json() == []

    converter = await make_task(
        user, "convert", task_type="converter_non_parallel", output_types={"3D": True}
    )
    mip = await make_task(
        user, "mip", task_type="parallel", input_types={"3D": True}, output_types={"3D": False}
    )
    first = await add_task(client, user, project_id, wf["id"], converter)
    second = await add_task(
        client, user, project_id, wf["id"], mip, {"type_filters": {"well": True}}
    )
    flow = (await client.get(f"{url}type-filters-flow/", headers=user.headers)).json()
    assert flow == [
        {
            "workflowtask_id": first["id"],
            "current_type_filters": {},
            "input_type_filters": {},
            "output_type_filters": {"3D": True},
        },
        {
            "workflowtask_id": second["id"],
            "current_type_filters": {"3D": True},
            "input_type_filters": {"3D": True, "well": True},
            "output_type_filters": {"3D": False},
        },
    ]
