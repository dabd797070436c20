"""Version-update candidates and replacing the task of a workflow task."""

import httpx
import pytest

from tests.conftest import Account
from tests.workflows.workflow.conftest import MakeTask, add_task, workflow_url

SCHEMA = {"type": "object", "properties": {"level": {"type": "integer"}}}


def candidates_url(project_id: int, workflow_id: int) -> str:
    return f"{workflow_url(project_id, workflow_id)}version-update-candidates/"


def replace_url(project_id: int, workflow_id: int, wftask_id: int, task_id: int) -> str:
    return (
        f"{workflow_url(project_id, workflow_id)}wftask/replace-task/"
        f"?workflow_task_id={wftask_id}&task_id={task_id}"
    )


async def test_candidates(
    client: httpx.AsyncClient,
    user: Account,
    other_user: Account,
    project_id: int,
    workflow: dict,
    make_task: MakeTask,
    default_group_id,
) -> None:
    def versioned(version: str, **kwargs):
        kwargs.setdefault("args_schema_parallel", SCHEMA)
        kwargs.setdefault("task_type", "parallel")
        return make_task(kwargs.pop("owner", user), "t", pkg_name="pkg", version=version, **kwargs)

    current = await versioned("0.9.0")
    v010 = await versioned("0.10.0")
    v100 = await versioned("1.0.0")
    await versioned("0.8.0")  # older
    await versioned("2.0.0", active=False)
    await versioned("3.0.0", args_schema_parallel=None)  # no schema: not offered
    await versioned(
        "4.0.0",
        task_type="non_parallel",
        args_schema_parallel=None,
        args_schema_non_parallel=SCHEMA,
    )  # incompatible type
    await versioned("not-a-version")
    await versioned("5.0.0", owner=other_user)  # not readable
    # 1.0.0 is also shared with the user: offered once, from the user's own group
    await versioned("1.0.0", owner=other_user, shared_with=await default_group_id())
    plain = await make_task(user, "plain")  # no args schema: no candidates

    await add_task(client, user, project_id, workflow["id"], current)
    await add_task(client, user, project_id, workflow["id"], plain)
    await add_task(client, user, project_id, workflow["id"], v100)
    response = await client.get(candidates_url(project_id, workflow["id"]), headers=user.headers)
    assert response.status_code == 200
    assert response.json() == [
        [{"task_id": v010, "version": "0.10.0"}, {"task_id": v100, "version": "1.0.0"}],
        [],
        [],
    ]


async def test_converter_versions_are_candidates(
    client: httpx.AsyncClient, user: Account, project_id: int, workflow: dict, make_task: MakeTask
) -> None:
    old = await make_task(
        user, "t", pkg_name="pkg", task_type="compound", args_schema_parallel=SCHEMA
    )
    new = await make_task(
        user,
        "t",
        pkg_name="pkg",
        version="1.1.0",
        task_type="converter_compound",
        args_schema_parallel=SCHEMA,
    )
    await add_task(client, user, project_id, workflow["id"], old)
    response = await client.get(candidates_url(project_id, workflow["id"]), headers=user.headers)
    assert response.json() == [[{"task_id": new, "version": "1.1.0"}]]


async def test_replace_keeps_place_filters_and_meta_changes(
    client: httpx.AsyncClient, user: Account, project_id: int, workflow: dict, make_task: MakeTask
) -> None:
    first = await make_task(user, "first")
    old = await make_task(
        user,
        "t",
        pkg_name="pkg",
        task_type="compound",
        meta_parallel={"cpus": 1, "mem": 10},
        input_types={"3D": True},
    )
    new = await make_task(
        user,
        "t",
        pkg_name="pkg",
        version="2.0.0",
        task_type="converter_compound",
        meta_parallel={"cpus": 2, "mem": 20, "gpu": False},
        args_schema_parallel=SCHEMA,
    )
    await add_task(client, user, project_id, workflow["id"], first)
    wftask = await add_task(
        client,
        user,
        project_id,
        workflow["id"],
        old,
        {
            "args_non_parallel": {"keep": True},
            "args_parallel": {"level": 0},
            "meta_parallel": {"mem": 99},
            "type_filters": {"well": True},
        },
    )
    response = await client.post(
        replace_url(project_id, workflow["id"], wftask["id"], new),
        json={"args_parallel": {"level": 2}},
        headers=user.headers,
    )
    assert response.status_code == 201, response.text
    replaced = response.json()
    assert replaced["id"] == wftask["id"]
    assert replaced["order"] == 1
    assert replaced["task_id"] == new
    assert replaced["task"]["version"] == "2.0.0"
    assert replaced["task_type"] == "converter_compound"
    assert replaced["args_parallel"] == {"level": 2}
    assert replaced["args_non_parallel"] == {"keep": True}
    assert replaced["meta_parallel"] == {"cpus": 2, "mem": 99, "gpu": False}
    assert replaced["type_filters"] == {"well": True}

    read = await client.get(workflow_url(project_id, workflow["id"]), headers=user.headers)
    assert [t["task_id"] for t in read.json()["task_list"]] == [first, new]


@pytest.mark.parametrize(
    ("old_type", "new_type"),
    [
        ("converter_non_parallel", "non_parallel"),
        ("converter_compound", "compound"),
        ("non_parallel", "parallel"),
        ("parallel", "compound"),
        ("compound", "non_parallel"),
    ],
)
async def test_forbidden_type_changes(
    client: httpx.AsyncClient,
    user: Account,
    project_id: int,
    workflow: dict,
    make_task: MakeTask,
    old_type: str,
    new_type: str,
) -> None:
    old = await make_task(user, "t", pkg_name="pkg", task_type=old_type)
    new = await make_task(user, "t", pkg_name="pkg", version="2.0.0", task_type=new_type)
    wftask = await add_task(client, user, project_id, workflow["id"], old)
    response = await client.post(
        replace_url(project_id, workflow["id"], wftask["id"], new), json={}, headers=user.headers
    )
    assert response.status_code == 422
    assert f"from {old_type} to {new_type}" in response.json()["detail"]


async def test_replace_checks_the_new_task(
    client: httpx.AsyncClient,
    user: Account,
    other_user: Account,
    project_id: int,
    workflow: dict,
    make_task: MakeTask,
) -> None:
    old = await make_task(user, "t", pkg_name="pkg", task_type="parallel")
    wftask = await add_task(
        client, user, project_id, workflow["id"], old, {"type_filters": {"3D": True}}
    )

    async def replace(task_id: int, body: dict | None = None) -> httpx.Response:
        url = replace_url(project_id, workflow["id"], wftask["id"], task_id)
        return await client.post(url, json=body or {}, headers=user.headers)

    def new(version: str, **kwargs) -> int:
        kwargs.setdefault("task_type", "parallel")
        return make_task(kwargs.pop("owner", user), "t", pkg_name="pkg", version=version, **kwargs)

    assert (await replace(await new("2.0.0", active=False))).status_code == 422
    assert (await replace(await new("3.0.0", owner=other_user))).status_code == 404
    assert (await replace(999999)).status_code == 404
    clash = await replace(await new("4.0.0", input_types={"3D": False}))
    assert clash.status_code == 422
    assert "3D" in clash.json()["detail"]
    schema_task = await new("5.0.0", args_schema_parallel=SCHEMA)
    bad_args = await replace(schema_task, {"args_parallel": {"level": "high"}})
    assert bad_args.status_code == 422
    assert "level" in bad_args.json()["detail"]
    wrong_side = await replace(schema_task, {"args_non_parallel": {"a": 1}})
    assert wrong_side.status_code == 422
    reserved = await replace(schema_task, {"args_parallel": {"zarr_url": "/x"}})
    assert reserved.status_code == 422

    read = await client.get(workflow_url(project_id, workflow["id"]), headers=user.headers)
    assert read.json()["task_list"][0]["task_id"] == old


async def test_replace_unknown_or_foreign_workflow_task(
    client: httpx.AsyncClient,
    user: Account,
    other_user: Account,
    project_id: int,
    workflow: dict,
    make_task: MakeTask,
) -> None:
    task_id = await make_task(user)
    wftask = await add_task(client, user, project_id, workflow["id"], task_id)
    unknown = replace_url(project_id, workflow["id"], 999999, task_id)
    assert (await client.post(unknown, json={}, headers=user.headers)).status_code == 404
    theirs = replace_url(project_id, workflow["id"], wftask["id"], task_id)
    assert (await client.post(theirs, json={}, headers=other_user.headers)).status_code == 404
