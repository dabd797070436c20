"""Pip collection requests: every check before the 202, and failures after it."""

import sys
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from qfractal.workflows.collection.activity import SHUTDOWN_MESSAGE
from tests.auth.test_login import assert_validation_error
from tests.conftest import Account, make_user
from tests.mock_tasks import BROKEN_VERSION, MOCK_NAME, MOCK_VERSION, MockWheels
from tests.workflows.collection.conftest import (
    PIP,
    collect_wheel,
    group_folder,
    last_entry,
    wait_for_activity,
)
from tests.workflows.tasks.helpers import (
    ACTIVITIES,
    TASK_GROUPS,
    create_task,
    new_user_group,
    task_body,
)


async def test_broken_manifest_fails_and_leaves_nothing_behind(
    app: FastAPI, client: httpx.AsyncClient, user: Account, mock_wheels: MockWheels
) -> None:
    response = await collect_wheel(client, user, mock_wheels.broken)
    assert response.status_code == 202, response.text
    pending = response.json()
    assert pending["version"] == BROKEN_VERSION
    activity, _ = await wait_for_activity(client, user, pending["id"])
    assert activity["status"] == "failed"
    assert "START validate the manifest" in activity["log"]
    assert last_entry(activity["log"]).startswith("ERROR: Executables missing in ")
    assert "ghost: ghost_task.py" in last_entry(activity["log"])
    assert activity["taskgroupv2_id"] is None and activity["timestamp_ended"] is not None
    assert (
        await client.get(f"{TASK_GROUPS}{pending['taskgroupv2_id']}/", headers=user.headers)
    ).status_code == 404
    assert not group_folder(app, user, BROKEN_VERSION).exists()
    # nothing blocks a new attempt
    assert (await collect_wheel(client, user, mock_wheels.broken)).status_code == 202


async def test_shutdown_interrupts_a_collection_cleanly(
    app: FastAPI, client: httpx.AsyncClient, user: Account, mock_wheels: MockWheels
) -> None:
    pending = (await collect_wheel(client, user, mock_wheels.good)).json()
    await app.state.activity_runner.shutdown()
    activity = (await client.get(f"{ACTIVITIES}{pending['id']}/", headers=user.headers)).json()
    assert activity["status"] == "failed"
    assert last_entry(activity["log"]) == f"ERROR: {SHUTDOWN_MESSAGE}\n"
    assert activity["taskgroupv2_id"] is None
    assert not group_folder(app, user, MOCK_VERSION).exists()


@pytest.mark.parametrize(
    ("form", "field"),
    [
        ({}, None),
        ({"package": "a-pkg; rm -rf /"}, "package"),
        ({"package": "-e"}, "package"),
        ({"package": "pkg", "package_version": "1.0; echo"}, "package_version"),
        ({"package": "pkg", "package_version": "latest"}, "package_version"),
        ({"package": "pkg", "package_extras": "a,b c"}, "package_extras"),
        (
            {"package": "pkg", "pinned_package_versions_pre": "{not json"},
            "pinned_package_versions_pre",
        ),
        (
            {"package": "pkg", "pinned_package_versions_post": '{"numpy": "1.0 || x"}'},
            "pinned_package_versions_post",
        ),
        (
            {"package": "pkg", "pinned_package_versions_pre": '{"bad name": "1.0"}'},
            "pinned_package_versions_pre",
        ),
        (
            {"package": "pkg", "pinned_package_versions_pre": "[1, 2]"},
            "pinned_package_versions_pre",
        ),
    ],
)
async def test_invalid_forms(
    client: httpx.AsyncClient, user: Account, form: dict[str, str], field: str | None
) -> None:
    response = await client.post(PIP, data=form, headers=user.headers)
    assert_validation_error(response, field=field)


@pytest.mark.parametrize(
    ("filename", "form"),
    [
        ("not-a-wheel.whl", {}),
        ("../evil-1.0-py3-none-any.whl", {}),
        ("pkg-1.0-py3-none-any.zip", {}),
        ("pkg-1.0-py3-none-any.whl", {"package": "pkg"}),
        ("pkg-1.0-py3-none-any.whl", {"package_version": "1.0"}),
    ],
)
async def test_invalid_wheel_uploads(
    client: httpx.AsyncClient, user: Account, filename: str, form: dict[str, str]
) -> None:
    files = {"file": (filename, b"PK\x03\x04", "application/zip")}
    response = await client.post(PIP, data=form, files=files, headers=user.headers)
    assert_validation_error(response)
    assert "PK" not in response.text


async def test_business_rules_before_the_202(
    app: FastAPI,
    client: httpx.AsyncClient,
    user: Account,
    other_user: Account,
    mock_wheels: MockWheels,
) -> None:
    async def refused(form: dict[str, str], **params: Any) -> str:
        response = await client.post(PIP, data=form, params=params, headers=user.headers)
        assert response.status_code == 422, response.text
        return response.json()["detail"]

    exact = {"package": MOCK_NAME, "package_version": MOCK_VERSION}
    unknown = "3.9" if sys.version_info[:2] != (3, 9) else "3.10"
    assert f"Python version {unknown} is not available" in await refused(
        {**exact, "python_version": unknown}
    )
    never = await refused({**exact, "python_version": "2.7"})
    assert never[0]["loc"] == ["body", "python_version"]
    assert "input_value='2.7'" in never[0]["msg"]
    outsiders = await new_user_group(app, "outsiders", other_user.id)
    assert "not a member" in await refused(exact, user_group_id=outsiders)
    assert "private" in await refused(exact, private="true", user_group_id=outsiders)

    group_folder(app, user, MOCK_VERSION).mkdir(parents=True)
    assert "already exists" in await refused(exact)
    group_folder(app, user, MOCK_VERSION).rmdir()

    # a task group with the same package name and version, owned by the user or in the group
    await create_task(client, user, task_body(MOCK_NAME, version=MOCK_VERSION), private="true")
    assert "already owns" in await refused(exact)
    await create_task(client, other_user, task_body(MOCK_NAME, version="0.2.0"))
    assert "already has" in await refused({"package": MOCK_NAME, "package_version": "0.2.0"})

    assert (await client.get(ACTIVITIES, headers=user.headers)).json() == []


async def test_pixi_is_refused_with_a_reason(client: httpx.AsyncClient, user: Account) -> None:
    files = {"file": ("pkg-1.0.tar.gz", b"\x1f\x8b", "application/gzip")}
    response = await client.post("/api/v2/task/collect/pixi/", files=files, headers=user.headers)
    assert response.status_code == 422
    assert "no pixi versions" in response.json()["detail"]
    assert_validation_error(
        await client.post("/api/v2/task/collect/pixi/", headers=user.headers), field="file"
    )


async def test_access_rules(app: FastAPI, client: httpx.AsyncClient, profile_id: int) -> None:
    unverified = await make_user(
        app, client, "unverified@example.org", verified=False, profile_id=profile_id
    )
    no_profile = await make_user(app, client, "noprofile@example.org")
    urls = [PIP, "/api/v2/task/collect/custom/", "/api/v2/task/collect/pixi/"]
    urls += [f"{TASK_GROUPS}1/{action}/" for action in ("deactivate", "reactivate", "delete")]
    for url in urls:
        assert (await client.post(url, data={"package": "x"})).status_code == 401, url
        for account in (unverified, no_profile):
            response = await client.post(url, data={"package": "x"}, headers=account.headers)
            assert response.status_code == 403, (url, account.email)
