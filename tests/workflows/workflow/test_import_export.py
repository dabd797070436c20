"""Workflow export and import: round trip, task matching, versions, ownership ties."""

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.conftest import Account, make_user
from tests.workflows.workflow.conftest import (
    MakeTask,
    add_task,
    create_project,
    create_workflow,
    workflow_url,
)


def import_url(project_id: int) -> str:
    return f"{workflow_url(project_id)}import/"


def ref(name: str, pkg_name: str, version: str | None = None) -> dict:
    return {"pkg_name": pkg_name, "version": version, "name": name}


async def import_workflow(
    client: httpx.AsyncClient, account: Account, project_id: int, body: dict, status: int = 201
) -> dict:
    response = await client.post(import_url(project_id), json=body, headers=account.headers)
    assert response.status_code == status, response.text
    return response.json()


async def test_round_trip(
    client: httpx.AsyncClient, user: Account, project_id: int, make_task: MakeTask
) -> None:
    converter = await make_task(
        user,
        "create_ome_zarr",
        pkg_name="mock-tasks",
        task_type="converter_compound",
        meta_non_parallel={"mem": 1},
    )
    mip = await make_task(user, "mip", pkg_name="mock-tasks", version=None, task_type="parallel")
    wf = await create_workflow(client, user, project_id)
    await add_task(
        client,
        user,
        project_id,
        wf["id"],
        converter,
        {"args_non_parallel": {"image_dir": "/x"}, "meta_parallel": {"cpus": 2}},
    )
    await add_task(
        client,
        user,
        project_id,
        wf["id"],
        mip,
        {"args_parallel": {"level": 1}, "type_filters": {"3D": True}},
    )

    exported = await client.get(
        f"{workflow_url(project_id, wf['id'])}export/", headers=user.headers
    )
    assert exported.status_code == 200
    document = exported.json()
    assert document == {
        "name": "wf",
        "task_list": [
            {
                "meta_non_parallel": {"mem": 1},
                "meta_parallel": {"cpus": 2},
                "args_non_parallel": {"image_dir": "/x"},
                "args_parallel": None,
                "type_filters": {},
                "task": ref("create_ome_zarr", "mock-tasks", "1.0.0"),
            },
            {
                "meta_non_parallel": None,
                "meta_parallel": None,
                "args_non_parallel": None,
                "args_parallel": {"level": 1},
                "type_filters": {"3D": True},
                "task": ref("mip", "mock-tasks", None),
            },
        ],
    }

    target = await create_project(client, user, "target")
    imported = await import_workflow(client, user, target, document)
    assert imported["name"] == "wf"
    assert imported["project_id"] == target
    assert [t["task_id"] for t in imported["task_list"]] == [converter, mip]
    assert [t["warning"] for t in imported["task_list"]] == [None, None]
    again = await client.get(f"{workflow_url(target, imported['id'])}export/", headers=user.headers)
    assert again.json() == document

    duplicate = await import_workflow(client, user, target, document, status=422)
    assert "wf" in duplicate["detail"]


async def test_newest_pep440_version_when_none_is_given(
    client: httpx.AsyncClient, user: Account, project_id: int, make_task: MakeTask
) -> None:
    old = await make_task(user, "t", pkg_name="pkg", version="0.9.0")
    new = await make_task(user, "t", pkg_name="pkg", version="0.10.0")
    await make_task(user, "other", pkg_name="pkg", version="0.11.0")  # no task "t" there
    body = {"name": "wf", "task_list": [{"task": ref("t", "pkg")}]}
    imported = await import_workflow(client, user, project_id, body)
    assert imported["task_list"][0]["task_id"] == new

    pinned = {"name": "wf2", "task_list": [{"task": ref("t", "pkg", "0.9.0")}]}
    imported = await import_workflow(client, user, project_id, pinned)
    assert imported["task_list"][0]["task_id"] == old


async def test_package_names_are_normalized(
    client: httpx.AsyncClient, user: Account, project_id: int, make_task: MakeTask
) -> None:
    task_id = await make_task(user, "t", pkg_name="fractal_tasks_core", version="1.0")
    body = {"name": "wf", "task_list": [{"task": ref("t", "Fractal-Tasks-Core", "1.0.0")}]}
    imported = await import_workflow(client, user, project_id, body)
    assert imported["task_list"][0]["task_id"] == task_id


async def test_ties_prefer_own_then_default_group_then_oldest_membership(
    app,
    client: httpx.AsyncClient,
    user: Account,
    other_user: Account,
    project_id: int,
    profile_id: int,
    make_task: MakeTask,
    make_group,
    default_group_id,
) -> None:
    third = await make_user(app, client, "third@example.org", profile_id=profile_id)
    fourth = await make_user(app, client, "fourth@example.org", profile_id=profile_id)
    now = datetime.now(UTC)
    newer_group = await make_group("newer", {user.id: now})
    older_group = await make_group("older", {user.id: now - timedelta(days=1)})
    body = {"name": "wf", "task_list": [{"task": ref("t", "pkg", "1.0.0")}]}

    async def chosen(name: str) -> int:
        imported = await import_workflow(client, user, project_id, {**body, "name": name})
        return imported["task_list"][0]["task_id"]

    # the group joined more recently has the older task group: membership age decides
    await make_task(other_user, "t", pkg_name="pkg", shared_with=newer_group)
    via_older = await make_task(third, "t", pkg_name="pkg", shared_with=older_group)
    assert await chosen("a") == via_older

    default = await default_group_id()
    via_default = await make_task(fourth, "t", pkg_name="pkg", shared_with=default)
    assert await chosen("b") == via_default

    own = await make_task(user, "t", pkg_name="pkg")
    assert await chosen("c") == own


async def test_no_match_creates_nothing(
    client: httpx.AsyncClient,
    user: Account,
    other_user: Account,
    project_id: int,
    make_task: MakeTask,
) -> None:
    await make_task(user, "t", pkg_name="pkg", version="1.0.0")
    await make_task(other_user, "private", pkg_name="theirs")
    cases = [
        ref("t", "pkg", "2.0.0"),
        ref("missing", "pkg"),
        ref("t", "unknown-pkg"),
        ref("private", "theirs"),
        {"source": "nowhere"},
    ]
    for task_ref in cases:
        body = {"name": "wf", "task_list": [{"task": ref("t", "pkg")}, {"task": task_ref}]}
        detail = (await import_workflow(client, user, project_id, body, status=422))["detail"]
        assert "Could not find a task" in detail
        assert "task_list[1]" in detail
        assert next(v for v in task_ref.values() if v) in detail
    listed = await client.get(workflow_url(project_id), headers=user.headers)
    assert listed.json() == []


async def test_task_on_another_resource_is_not_matched(
    app, client: httpx.AsyncClient, user: Account, project_id: int, make_task: MakeTask, tmp_path
) -> None:
    from tests.workflows.conftest import make_local_profile

    elsewhere = await make_local_profile(app, tmp_path, "elsewhere")
    stranger = await make_user(app, client, "stranger@example.org", profile_id=elsewhere)
    await make_task(stranger, "t", pkg_name="pkg")
    body = {"name": "wf", "task_list": [{"task": ref("t", "pkg")}]}
    await import_workflow(client, user, project_id, body, status=422)


async def test_legacy_source_and_input_filters(
    client: httpx.AsyncClient, user: Account, project_id: int, make_task: MakeTask
) -> None:
    task_id = await make_task(user, "t", source="pip_remote:pkg:1.0.0::t")
    body = {
        "name": "legacy",
        "task_list": [
            {
                "task": {"source": "pip_remote:pkg:1.0.0::t"},
                "input_filters": {"attributes": {}, "types": {"3D": False}},
            }
        ],
    }
    imported = await import_workflow(client, user, project_id, body)
    assert imported["task_list"][0]["task_id"] == task_id
    assert imported["task_list"][0]["type_filters"] == {"3D": False}

    both = {
        "name": "both",
        "task_list": [
            {"task": {"source": "x"}, "input_filters": {"types": {}}, "type_filters": {}}
        ],
    }
    response = await client.post(import_url(project_id), json=both, headers=user.headers)
    assert response.status_code == 422
    attributes = {
        "name": "attrs",
        "task_list": [{"task": {"source": "x"}, "input_filters": {"attributes": {"well": ["A"]}}}],
    }
    response = await client.post(import_url(project_id), json=attributes, headers=user.headers)
    assert response.status_code == 422


@pytest.mark.parametrize(
    ("wftask", "problem"),
    [
        ({"args_non_parallel": {"zarr_url": "/x"}}, "zarr_url"),
        ({"args_parallel": {"a": 1}}, "args_parallel"),
        ({"type_filters": {"3D": False}}, "3D"),
    ],
)
async def test_import_checks_the_rules(
    client: httpx.AsyncClient,
    user: Account,
    project_id: int,
    make_task: MakeTask,
    wftask: dict,
    problem: str,
) -> None:
    await make_task(user, "t", pkg_name="pkg", input_types={"3D": True})
    body = {"name": "wf", "task_list": [{**wftask, "task": ref("t", "pkg")}]}
    response = await client.post(import_url(project_id), json=body, headers=user.headers)
    assert response.status_code == 422
    assert problem in str(response.json()["detail"])
    assert (await client.get(workflow_url(project_id), headers=user.headers)).json() == []


async def test_imported_inactive_task_gets_a_warning(
    client: httpx.AsyncClient, user: Account, project_id: int, make_task: MakeTask
) -> None:
    await make_task(user, "t", pkg_name="pkg", active=False)
    body = {"name": "wf", "task_list": [{"task": ref("t", "pkg")}]}
    imported = await import_workflow(client, user, project_id, body)
    assert imported["task_list"][0]["warning"] == "Task is not active."


async def test_import_into_another_users_project_is_404(
    client: httpx.AsyncClient, user: Account, other_user: Account, project_id: int
) -> None:
    body = {"name": "wf", "task_list": []}
    response = await client.post(import_url(project_id), json=body, headers=other_user.headers)
    assert response.status_code == 404
    assert (await import_workflow(client, user, project_id, body))["task_list"] == []
