"""POST /api/v2/task/collect/custom/: register tasks of an already installed package."""

import json
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.auth.test_login import assert_validation_error
from tests.conftest import Account
from tests.mock_tasks import MOCK_PACKAGE
from tests.workflows.tasks.helpers import get_group

CUSTOM = "/api/v2/task/collect/custom/"
PACKAGE_ROOT = MOCK_PACKAGE / "src" / "qfractal_tasks_mock"
MANIFEST = json.loads((PACKAGE_ROOT / "__FRACTAL_MANIFEST__.json").read_text())


def body(**fields: Any) -> dict[str, Any]:
    return {
        "manifest": MANIFEST,
        "python_interpreter": sys.executable,
        "label": "mock-custom",
        "package_root": str(PACKAGE_ROOT),
        **fields,
    }


async def test_custom_collection(client: httpx.AsyncClient, user: Account) -> None:
    response = await client.post(CUSTOM, json=body(version="0.1.0"), headers=user.headers)
    assert response.status_code == 201, response.text
    tasks = response.json()
    assert [task["name"] for task in tasks] == [entry["name"] for entry in MANIFEST["task_list"]]
    first = tasks[0]
    assert (
        first["command_non_parallel"] == f"{sys.executable} {PACKAGE_ROOT}/create_ome_zarr_init.py"
    )
    assert first["version"] == "0.1.0" and first["authors"] == "qfractal developers"
    group = await get_group(client, user, first["taskgroupv2_id"])
    assert group["origin"] == "other" and group["pkg_name"] == "mock-custom"
    assert group["path"] is None and group["venv_path"] is None and group["active"] is True

    again = await client.post(CUSTOM, json=body(version="0.1.0"), headers=user.headers)
    assert again.status_code == 422 and "already owns" in again.json()["detail"]


async def test_package_name_is_found_by_the_interpreter(
    client: httpx.AsyncClient, user: Account
) -> None:
    # `qfractal` is importable by the test interpreter; its folder has no such executables
    response = await client.post(
        CUSTOM, json=body(package_root=None, package_name="qfractal"), headers=user.headers
    )
    assert response.status_code == 422
    assert (
        f"Executables missing in {Path(__import__('qfractal').__file__).parent}"
        in response.json()["detail"]
    )
    unknown = await client.post(
        CUSTOM,
        json=body(package_root=None, package_name="no_such_module_xyz"),
        headers=user.headers,
    )
    assert unknown.status_code == 422 and "cannot find" in unknown.json()["detail"]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"python_interpreter": "python3"}, "python_interpreter"),
        ({"python_interpreter": "/usr/bin/python3; rm -rf /"}, "python_interpreter"),
        ({"package_root": "relative/dir"}, "package_root"),
        ({"package_name": "qfractal"}, None),
        ({"package_root": None}, None),
        ({"package_root": None, "package_name": "os; import x"}, "package_name"),
        ({"manifest": {"manifest_version": "1", "task_list": []}}, "manifest_version"),
        ({"label": ""}, "label"),
        ({"extra": 1}, "extra"),
    ],
)
async def test_invalid_bodies(
    client: httpx.AsyncClient, user: Account, fields: dict[str, Any], field: str | None
) -> None:
    assert_validation_error(
        await client.post(CUSTOM, json=body(**fields), headers=user.headers), field=field
    )


async def test_paths_must_exist(client: httpx.AsyncClient, user: Account, tmp_path: Path) -> None:
    missing_python = await client.post(
        CUSTOM, json=body(python_interpreter=str(tmp_path / "python")), headers=user.headers
    )
    assert (
        missing_python.status_code == 422 and "not an executable" in missing_python.json()["detail"]
    )
    missing_root = await client.post(
        CUSTOM, json=body(package_root=str(tmp_path / "nowhere")), headers=user.headers
    )
    assert missing_root.status_code == 422 and "not a folder" in missing_root.json()["detail"]
    empty_root = await client.post(
        CUSTOM, json=body(package_root=str(tmp_path)), headers=user.headers
    )
    assert empty_root.status_code == 422 and "Executables missing" in empty_root.json()["detail"]
