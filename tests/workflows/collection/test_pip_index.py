"""Collecting by package name through a plain-HTML package index (no JSON API).

pip runs with PIP_EXTRA_INDEX_URL pointing at the local index, the only place that has the
mock package (its dependencies still come from the machine's usual index). The reference
server fails here because it reads the index's JSON API itself.
"""

from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from tests.conftest import Account
from tests.mock_tasks import MOCK_NAME, MOCK_VERSION
from tests.workflows.collection.conftest import PIP, group_folder, last_entry, wait_for_activity
from tests.workflows.tasks.helpers import TASK_GROUPS, get_group


@pytest.fixture
def index_url(html_index: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("PIP_EXTRA_INDEX_URL", html_index)
    return html_index


async def test_collect_by_name_resolves_the_latest_version_through_pip(
    client: httpx.AsyncClient, user: Account, index_url: str
) -> None:
    response = await client.post(PIP, data={"package": "QFractal_Tasks.Mock"}, headers=user.headers)
    assert response.status_code == 202, response.text
    pending = response.json()
    # 0.1.0 is newer than the broken 0.0.9 that the index also holds
    assert (pending["pkg_name"], pending["version"]) == (MOCK_NAME, MOCK_VERSION)

    activity, _ = await wait_for_activity(client, user, pending["id"])
    assert activity["status"] == "OK", activity["log"]
    assert f"install QFractal_Tasks.Mock=={MOCK_VERSION}" in activity["log"]
    group = await get_group(client, user, pending["taskgroupv2_id"])
    assert group["origin"] == "pypi" and group["archive_path"] is None
    assert len(group["task_list"]) == 9
    assert Path(group["venv_path"]).is_dir()

    listing = (await client.get(TASK_GROUPS, headers=user.headers)).json()
    assert [(pkg, [g["version"] for g in groups]) for pkg, groups in listing] == [
        (MOCK_NAME, [MOCK_VERSION])
    ]


async def test_unknown_package_is_refused_before_anything_starts(
    client: httpx.AsyncClient, user: Account, index_url: str
) -> None:
    response = await client.post(PIP, data={"package": "no-such-package"}, headers=user.headers)
    assert response.status_code == 422
    assert "no-such-package" in response.json()["detail"]
    assert (await client.get(TASK_GROUPS, headers=user.headers)).json() == []


async def test_pip_failure_ends_in_a_failed_activity_with_pips_error(
    app: FastAPI, client: httpx.AsyncClient, user: Account, index_url: str
) -> None:
    response = await client.post(
        PIP,
        data={"package": MOCK_NAME, "package_version": "9.9.9", "package_extras": "extra"},
        headers=user.headers,
    )
    assert response.status_code == 202, response.text
    pending = response.json()
    activity, _ = await wait_for_activity(client, user, pending["id"])
    assert activity["status"] == "failed"
    reason = last_entry(activity["log"])
    assert reason.startswith(f"ERROR: {group_folder(app, user, '9.9.9')}/venv/bin/python -m pip")
    assert f"{MOCK_NAME}[extra]==9.9.9 failed with exit code 1" in reason
    assert "No matching distribution found" in reason
    assert activity["taskgroupv2_id"] is None
    group_url = f"{TASK_GROUPS}{pending['taskgroupv2_id']}/"
    assert (await client.get(group_url, headers=user.headers)).status_code == 404
    assert not group_folder(app, user, "9.9.9").exists()
