"""Collecting the mock wheel end to end, then deactivating, reactivating and deleting it.

One collection (a venv and a pip install, ~10 s) serves the whole life cycle, so the steps
run in one test.
"""

import itertools
import json
import subprocess
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import delete

from qfractal.workflows.models import TaskGroup, WorkflowTask
from tests.conftest import Account
from tests.mock_tasks import MOCK_NAME, MOCK_VERSION, MockWheels
from tests.workflows.collection.conftest import add_to_workflow, collect_wheel, wait_for_activity
from tests.workflows.tasks.helpers import TASK_GROUPS, TASKS, get_group

EXPECTED_TYPES = {
    "create_ome_zarr_compound": "converter_compound",
    "MIP_compound": "compound",
    "illumination_correction": "parallel",
    "generic_task": "non_parallel",
    "generic_task_parallel": "parallel",
    "create_images": "converter_non_parallel",
    "remove_images": "non_parallel",
    "unset_attribute": "parallel",
    "insert_single_image": "non_parallel",
}
STEPS = (
    "create the task-group folder",
    "create the venv",
    "upgrade pip",
    f"install {{path}}/qfractal_tasks_mock-{MOCK_VERSION}-py3-none-any.whl",
    "pip freeze",
    "locate the manifest",
    "validate the manifest",
    "measure the venv",
    "Collected 9 tasks.",
)


def run_task(command: str, args: dict[str, Any], folder: Path) -> dict[str, Any]:
    """Run a task command as the job runner will: `command --args-json A --out-json B`."""
    args_file, out_file = folder / "args.json", folder / "out.json"
    args_file.write_text(json.dumps(args))
    out_file.unlink(missing_ok=True)
    subprocess.run(
        [*command.split(), "--args-json", str(args_file), "--out-json", str(out_file)],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return json.loads(out_file.read_text())


async def lifecycle(
    client: httpx.AsyncClient, user: Account, group_id: int, action: str
) -> tuple[httpx.Response, dict[str, Any] | None]:
    response = await client.post(f"{TASK_GROUPS}{group_id}/{action}/", headers=user.headers)
    if response.status_code != 202:
        return response, None
    activity, _ = await wait_for_activity(client, user, response.json()["id"])
    return response, activity


async def test_collect_wheel_and_its_life_cycle(
    app: FastAPI,
    client: httpx.AsyncClient,
    user: Account,
    other_user: Account,
    mock_wheels: MockWheels,
    tmp_path: Path,
) -> None:
    # --- collection --------------------------------------------------------------------------
    response = await collect_wheel(client, user, mock_wheels.good, private="true")
    assert response.status_code == 202, response.text
    pending = response.json()
    assert pending["status"] == "pending" and pending["action"] == "collect"
    assert (pending["pkg_name"], pending["version"]) == (MOCK_NAME, MOCK_VERSION)
    group_id = pending["taskgroupv2_id"]

    activity, logs = await wait_for_activity(client, user, pending["id"])
    assert activity["status"] == "OK", activity["log"]
    assert len(logs) >= 5, "the log should be seen growing while the collection runs"
    assert all(later.startswith(earlier) for earlier, later in itertools.pairwise(logs))
    assert activity["timestamp_ended"] is not None

    group = await get_group(client, user, group_id)
    path = Path(group["path"])
    for step in STEPS:
        assert step.format(path=path) in activity["log"], step
    assert (
        path
        == Path(app.state.settings.data_dir).parent
        / "local"
        / "tasks"
        / str(user.id)
        / MOCK_NAME
        / MOCK_VERSION
    )
    assert group["origin"] == "wheel-file" and group["active"] is True
    assert group["user_group_id"] is None
    assert (
        group["venv_path"] == f"{path}/venv" and Path(group["venv_path"], "bin", "python").exists()
    )
    assert (
        group["archive_path"] == str(path / mock_wheels.good.name)
        and Path(group["archive_path"]).is_file()
    )
    assert group["python_version"] is not None
    assert group["venv_size_in_kB"] > 1000 and group["venv_file_number"] > 100
    tasks = {task["name"]: task for task in group["task_list"]}
    assert {name: task["type"] for name, task in tasks.items()} == EXPECTED_TYPES
    venv_python = f"{path}/venv/bin/python"
    init = tasks["create_ome_zarr_compound"]["command_non_parallel"]
    assert init.startswith(f"{venv_python} ") and init.endswith(
        "/qfractal_tasks_mock/create_ome_zarr_init.py"
    )
    assert all(task["version"] == MOCK_VERSION for task in tasks.values())
    assert tasks["MIP_compound"]["input_types"] == {"3D": True}
    assert tasks["MIP_compound"]["args_schema_parallel"]["required"] == ["zarr_url", "init_args"]
    assert tasks["generic_task"]["args_schema_version"] == "fractal_schema_v1"

    # the commands run, and the committed manifest is what fractal-task-tools generates
    zarr_dir = tmp_path / "zarr"
    created = run_task(
        tasks["create_images"]["command_non_parallel"],
        {"zarr_dir": str(zarr_dir), "num_images": 2},
        tmp_path,
    )
    assert [image["zarr_url"] for image in created["image_list_updates"]] == [
        f"{zarr_dir}/image_0.zarr",
        f"{zarr_dir}/image_1.zarr",
    ]
    assert (zarr_dir / "image_0.zarr" / ".zattrs").is_file()
    check = subprocess.run(
        [f"{path}/venv/bin/fractal-manifest", "check", "--package", "qfractal_tasks_mock"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert check.returncode == 0, check.stdout + check.stderr

    # the same package version again is refused; another user may have their own
    again = await collect_wheel(client, user, mock_wheels.good, private="true")
    assert again.status_code == 422
    assert "already owns" in again.json()["detail"]

    # custom collection by package name, with the collected venv's interpreter
    manifest = json.loads(Path(init.split()[1]).with_name("__FRACTAL_MANIFEST__.json").read_text())
    custom = await client.post(
        "/api/v2/task/collect/custom/",
        json={
            "manifest": manifest,
            "python_interpreter": venv_python,
            "label": "mock-custom",
            "package_name": "qfractal_tasks_mock",
        },
        headers=user.headers,
    )
    assert custom.status_code == 201, custom.text
    assert [task["command_non_parallel"] for task in custom.json()][:1] == [init]

    # --- the other user cannot touch it -----------------------------------------------------
    for action in ("deactivate", "reactivate", "delete"):
        hidden = await client.post(f"{TASK_GROUPS}{group_id}/{action}/", headers=other_user.headers)
        assert hidden.status_code == 404

    # --- deactivate: the venv goes, freeze and wheel stay, tasks stay listed ----------------
    response, activity = await lifecycle(client, user, group_id, "deactivate")
    assert response.status_code == 202 and activity is not None
    assert activity["status"] == "OK", activity["log"]
    group = await get_group(client, user, group_id)
    assert group["active"] is False and not Path(group["venv_path"]).exists()
    assert Path(group["archive_path"]).is_file()
    async with app.state.database.sessionmaker() as session:
        env_info = (await session.get(TaskGroup, group_id)).env_info
    assert f"qfractal-tasks-mock @ file://{group['archive_path']}" in env_info
    listed = {task["name"] for task in (await client.get(TASKS, headers=user.headers)).json()}
    assert set(EXPECTED_TYPES) <= listed
    response, _ = await lifecycle(client, user, group_id, "deactivate")
    assert response.status_code == 422 and "already inactive" in response.json()["detail"]

    # --- reactivate: the venv is rebuilt from the freeze (with the saved wheel) -------------
    response, activity = await lifecycle(client, user, group_id, "reactivate")
    assert activity is not None and activity["status"] == "OK", activity and activity["log"]
    group = await get_group(client, user, group_id)
    assert group["active"] is True and Path(group["venv_path"]).exists()
    created = run_task(
        tasks["create_images"]["command_non_parallel"],
        {"zarr_dir": str(zarr_dir), "num_images": 1},
        tmp_path,
    )
    assert len(created["image_list_updates"]) == 1
    response, _ = await lifecycle(client, user, group_id, "reactivate")
    assert response.status_code == 422 and "already active" in response.json()["detail"]

    # --- delete: refused while a workflow uses a task, then rows and folder go --------------
    workflow_id = await add_to_workflow(app, user, tasks["create_images"]["id"])
    response, _ = await lifecycle(client, user, group_id, "delete")
    assert response.status_code == 422 and f"workflow {workflow_id}" in response.json()["detail"]
    async with app.state.database.sessionmaker() as session, session.begin():
        await session.execute(delete(WorkflowTask))
    response, activity = await lifecycle(client, user, group_id, "delete")
    assert activity is not None and activity["status"] == "OK", activity and activity["log"]
    assert not path.exists()
    assert (await client.get(f"{TASK_GROUPS}{group_id}/", headers=user.headers)).status_code == 404
    remaining = {task["name"] for task in (await client.get(TASKS, headers=user.headers)).json()}
    assert remaining == set(EXPECTED_TYPES)  # the custom group's tasks
    actions = [
        a["action"]
        for a in (await client.get(f"{TASK_GROUPS}activity/", headers=user.headers)).json()
    ]
    assert actions == ["collect", "deactivate", "reactivate", "delete"]
