"""/api/v2/project/{p}/workflow/{w}/wftask/: append, read, edit, remove, and their rules."""

import httpx
import pytest

from tests.conftest import Account
from tests.workflows.workflow.conftest import MakeTask, add_task, create_project, workflow_url

SCHEMA = {
    "type": "object",
    "properties": {"num_images": {"type": "integer"}, "label": {"type": "string"}},
    "required": ["num_images"],
    "additionalProperties": False,
}


def wftask_url(project_id: int, workflow_id: int, wftask_id: int | str = "") -> str:
    suffix = f"{wftask_id}/" if wftask_id != "" else ""
    return f"{workflow_url(project_id, workflow_id)}wftask/{suffix}"


async def test_append_read_patch_delete(
    client: httpx.AsyncClient, user: Account, project_id: int, workflow: dict, make_task: MakeTask
) -> None:
    task_id = await make_task(
        user,
        "compound",
        task_type="compound",
        meta_non_parallel={"cpus_per_task": 1, "mem": 1000},
        meta_parallel={"cpus_per_task": 2},
        input_types={"3D": True},
    )
    body = {
        "args_non_parallel": {"image_dir": "/data"},
        "args_parallel": {"level": 0},
        "meta_non_parallel": {"mem": 4000},
        "type_filters": {"illum": False},
    }
    created = await add_task(client, user, project_id, workflow["id"], task_id, body)
    assert created["task_type"] == "compound"
    assert created["task_id"] == task_id
    assert created["task"]["id"] == task_id
    assert created["order"] == 0
    assert created["workflow_id"] == workflow["id"]
    assert created["args_non_parallel"] == {"image_dir": "/data"}
    assert created["meta_non_parallel"] == {"cpus_per_task": 1, "mem": 4000}
    assert created["meta_parallel"] == {"cpus_per_task": 2}
    assert created["type_filters"] == {"illum": False}

    url = wftask_url(project_id, workflow["id"], created["id"])
    assert (await client.get(url, headers=user.headers)).json() == created

    patched = await client.patch(
        url,
        json={"args_parallel": {"level": 1}, "meta_parallel": {"mem": 5}, "type_filters": {}},
        headers=user.headers,
    )
    assert patched.status_code == 200, patched.text
    edited = patched.json()
    assert edited["args_parallel"] == {"level": 1}
    assert edited["meta_parallel"] == {"mem": 5}  # replaced, as fractal-server does
    assert edited["meta_non_parallel"] == created["meta_non_parallel"]  # untouched
    assert edited["args_non_parallel"] == created["args_non_parallel"]
    assert edited["type_filters"] == {}

    cleared = await client.patch(url, json={"args_non_parallel": {}}, headers=user.headers)
    assert cleared.json()["args_non_parallel"] is None

    assert (await client.delete(url, headers=user.headers)).status_code == 204
    assert (await client.get(url, headers=user.headers)).status_code == 404
    read = await client.get(workflow_url(project_id, workflow["id"]), headers=user.headers)
    assert read.json()["task_list"] == []


async def test_defaults(
    client: httpx.AsyncClient, user: Account, project_id: int, workflow: dict, make_task: MakeTask
) -> None:
    task_id = await make_task(user, "plain", task_type="parallel", meta_parallel={"a": 1})
    created = await add_task(client, user, project_id, workflow["id"], task_id)
    assert created["meta_parallel"] == {"a": 1}
    assert created["meta_non_parallel"] is None
    assert created["args_parallel"] is None
    assert created["type_filters"] == {}


async def test_tasks_are_appended_and_renumbered_on_delete(
    client: httpx.AsyncClient, user: Account, project_id: int, workflow: dict, make_task: MakeTask
) -> None:
    task_id = await make_task(user)
    ids = [
        (await add_task(client, user, project_id, workflow["id"], task_id))["id"] for _ in range(4)
    ]
    wf_url = workflow_url(project_id, workflow["id"])
    read = (await client.get(wf_url, headers=user.headers)).json()
    assert [(t["id"], t["order"]) for t in read["task_list"]] == [
        (wid, order) for order, wid in enumerate(ids)
    ]

    deleted = await client.delete(
        wftask_url(project_id, workflow["id"], ids[1]), headers=user.headers
    )
    assert deleted.status_code == 204
    read = (await client.get(wf_url, headers=user.headers)).json()
    assert [(t["id"], t["order"]) for t in read["task_list"]] == [
        (ids[0], 0),
        (ids[2], 1),
        (ids[3], 2),
    ]

    appended = await add_task(client, user, project_id, workflow["id"], task_id)
    assert appended["order"] == 3


@pytest.mark.parametrize("key", ["zarr_dir", "zarr_url", "zarr_urls", "init_args"])
async def test_reserved_arguments(
    client: httpx.AsyncClient,
    user: Account,
    project_id: int,
    workflow: dict,
    make_task: MakeTask,
    key: str,
) -> None:
    task_id = await make_task(user, task_type="compound")
    url = f"{wftask_url(project_id, workflow['id'])}?task_id={task_id}"
    for side in ("args_non_parallel", "args_parallel"):
        response = await client.post(url, json={side: {key: "x", "ok": 1}}, headers=user.headers)
        assert response.status_code == 422
        assert key in str(response.json()["detail"])

    created = await add_task(client, user, project_id, workflow["id"], task_id)
    patch = await client.patch(
        wftask_url(project_id, workflow["id"], created["id"]),
        json={"args_parallel": {key: 1}},
        headers=user.headers,
    )
    assert patch.status_code == 422
    assert key in str(patch.json()["detail"])


@pytest.mark.parametrize(
    ("task_type", "body"),
    [
        ("parallel", {"args_non_parallel": {"a": 1}}),
        ("parallel", {"meta_non_parallel": {"a": 1}}),
        ("non_parallel", {"args_parallel": {"a": 1}}),
        ("non_parallel", {"meta_parallel": {"a": 1}}),
        ("converter_non_parallel", {"args_parallel": {"a": 1}}),
    ],
)
async def test_wrong_side(
    client: httpx.AsyncClient,
    user: Account,
    project_id: int,
    workflow: dict,
    make_task: MakeTask,
    task_type: str,
    body: dict,
) -> None:
    task_id = await make_task(user, task_type=task_type)
    url = f"{wftask_url(project_id, workflow['id'])}?task_id={task_id}"
    response = await client.post(url, json=body, headers=user.headers)
    assert response.status_code == 422
    assert next(iter(body)) in response.json()["detail"]

    created = await add_task(client, user, project_id, workflow["id"], task_id)
    patch = await client.patch(
        wftask_url(project_id, workflow["id"], created["id"]), json=body, headers=user.headers
    )
    assert patch.status_code == 422
    assert next(iter(body)) in patch.json()["detail"]


async def test_args_schema(
    client: httpx.AsyncClient, user: Account, project_id: int, workflow: dict, make_task: MakeTask
) -> None:
    task_id = await make_task(user, task_type="non_parallel", args_schema_non_parallel=SCHEMA)
    url = f"{wftask_url(project_id, workflow['id'])}?task_id={task_id}"
    wrong_type = await client.post(
        url, json={"args_non_parallel": {"num_images": "many"}}, headers=user.headers
    )
    assert wrong_type.status_code == 422
    assert "num_images" in wrong_type.json()["detail"]
    assert "integer" in wrong_type.json()["detail"]
    unknown = await client.post(
        url, json={"args_non_parallel": {"num_images": 1, "colour": 1}}, headers=user.headers
    )
    assert unknown.status_code == 422
    assert "colour" in unknown.json()["detail"]

    # required arguments may come later (clients add a task, then fill in its arguments)
    created = await add_task(
        client, user, project_id, workflow["id"], task_id, {"args_non_parallel": {"label": "a"}}
    )
    patch_url = wftask_url(project_id, workflow["id"], created["id"])
    bad_patch = await client.patch(
        patch_url, json={"args_non_parallel": {"label": 3}}, headers=user.headers
    )
    assert bad_patch.status_code == 422
    good = await client.patch(
        patch_url, json={"args_non_parallel": {"num_images": 2}}, headers=user.headers
    )
    assert good.json()["args_non_parallel"] == {"num_images": 2}


async def test_type_filters_must_agree_with_input_types(
    client: httpx.AsyncClient, user: Account, project_id: int, workflow: dict, make_task: MakeTask
) -> None:
    task_id = await make_task(user, input_types={"3D": True})
    url = f"{wftask_url(project_id, workflow['id'])}?task_id={task_id}"
    clash = await client.post(url, json={"type_filters": {"3D": False}}, headers=user.headers)
    assert clash.status_code == 422
    assert "3D" in clash.json()["detail"]
    not_bool = await client.post(url, json={"type_filters": {"3D": "yes"}}, headers=user.headers)
    assert not_bool.status_code == 422
    created = await add_task(client, user, project_id, workflow["id"], task_id)
    patch = await client.patch(
        wftask_url(project_id, workflow["id"], created["id"]),
        json={"type_filters": {"3D": False}},
        headers=user.headers,
    )
    assert patch.status_code == 422


async def test_task_must_be_readable_and_active(
    client: httpx.AsyncClient,
    user: Account,
    other_user: Account,
    project_id: int,
    workflow: dict,
    make_task: MakeTask,
    default_group_id,
) -> None:
    base = wftask_url(project_id, workflow["id"])
    private = await make_task(other_user, "private")
    response = await client.post(f"{base}?task_id={private}", json={}, headers=user.headers)
    assert response.status_code == 404
    unknown = await client.post(f"{base}?task_id=999999", json={}, headers=user.headers)
    assert unknown.status_code == 404
    missing = await client.post(base, json={}, headers=user.headers)
    assert missing.status_code == 422

    shared = await make_task(other_user, "shared", shared_with=await default_group_id())
    await add_task(client, user, project_id, workflow["id"], shared)

    inactive = await make_task(user, "off", active=False)
    response = await client.post(f"{base}?task_id={inactive}", json={}, headers=user.headers)
    assert response.status_code == 422
    assert "not active" in response.json()["detail"]


async def test_extra_fields_are_refused(
    client: httpx.AsyncClient, user: Account, project_id: int, workflow: dict, make_task: MakeTask
) -> None:
    task_id = await make_task(user)
    url = f"{wftask_url(project_id, workflow['id'])}?task_id={task_id}"
    response = await client.post(url, json={"order": 3}, headers=user.headers)
    assert response.status_code == 422


async def test_invisible_to_other_users_and_other_workflows(
    client: httpx.AsyncClient,
    user: Account,
    other_user: Account,
    project_id: int,
    workflow: dict,
    make_task: MakeTask,
) -> None:
    task_id = await make_task(user)
    created = await add_task(client, user, project_id, workflow["id"], task_id)
    url = wftask_url(project_id, workflow["id"], created["id"])
    h = other_user.headers
    assert (await client.get(url, headers=h)).status_code == 404
    assert (
        await client.patch(url, json={"args_non_parallel": {"a": 1}}, headers=h)
    ).status_code == 404
    assert (await client.delete(url, headers=h)).status_code == 404
    append = await client.post(
        f"{wftask_url(project_id, workflow['id'])}?task_id={task_id}", json={}, headers=h
    )
    assert append.status_code == 404

    other_wf = (
        await client.post(workflow_url(project_id), json={"name": "other"}, headers=user.headers)
    ).json()
    wrong = wftask_url(project_id, other_wf["id"], created["id"])
    assert (await client.get(wrong, headers=user.headers)).status_code == 404
    assert (await client.delete(wrong, headers=user.headers)).status_code == 404
    other_project = await create_project(client, user, "other project")
    wrong = wftask_url(other_project, workflow["id"], created["id"])
    assert (await client.get(wrong, headers=user.headers)).status_code == 404
    assert (await client.get(url, headers=user.headers)).json() == created
