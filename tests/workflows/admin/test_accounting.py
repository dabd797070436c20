"""/admin/v2/accounting/ and /accounting/slurm/: filters, pagination, superusers only.

Records are written by job runs; here they are inserted directly, as a run would.
"""

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI

from qfractal.workflows.models import AccountingRecord, AccountingRecordSlurm
from tests.conftest import Account

T0 = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
async def records(app: FastAPI, user: Account, other_user: Account) -> None:
    async with app.state.database.sessionmaker() as session, session.begin():
        for day in range(5):
            owner = user if day % 2 == 0 else other_user
            when = T0 + timedelta(days=day)
            session.add(
                AccountingRecord(
                    user_id=owner.id, timestamp=when, num_tasks=day + 1, num_new_images=10 * day
                )
            )
            session.add(
                AccountingRecordSlurm(
                    user_id=owner.id, timestamp=when, slurm_job_ids=[100 * day, 100 * day + 1]
                )
            )


async def query(client: httpx.AsyncClient, admin: Account, body: dict, params: str = "") -> dict:
    response = await client.post(f"/admin/v2/accounting/{params}", json=body, headers=admin.headers)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.usefixtures("records")
async def test_filters_and_order(
    client: httpx.AsyncClient, superuser: Account, user: Account
) -> None:
    everything = await query(client, superuser, {})
    assert everything["total_count"] == 5
    assert [r["num_tasks"] for r in everything["items"]] == [1, 2, 3, 4, 5]
    assert set(everything["items"][0]) == {
        "id",
        "user_id",
        "timestamp",
        "num_tasks",
        "num_new_images",
    }

    mine = await query(client, superuser, {"user_id": user.id})
    assert [r["num_tasks"] for r in mine["items"]] == [1, 3, 5]

    window = {
        "timestamp_min": (T0 + timedelta(days=1)).isoformat(),
        "timestamp_max": (T0 + timedelta(days=3)).isoformat(),
    }
    assert [r["num_tasks"] for r in (await query(client, superuser, window))["items"]] == [2, 3, 4]


@pytest.mark.usefixtures("records")
async def test_pagination(client: httpx.AsyncClient, superuser: Account) -> None:
    page = await query(client, superuser, {}, "?page=2&page_size=2")
    assert page["current_page"] == 2
    assert page["page_size"] == 2
    assert page["total_count"] == 5
    assert [r["num_tasks"] for r in page["items"]] == [3, 4]
    refused = await client.post("/admin/v2/accounting/?page=2", json={}, headers=superuser.headers)
    assert refused.status_code == 422


@pytest.mark.usefixtures("records")
async def test_slurm_job_ids_are_one_flat_list(
    client: httpx.AsyncClient, superuser: Account, other_user: Account
) -> None:
    response = await client.post(
        "/admin/v2/accounting/slurm/", json={"user_id": other_user.id}, headers=superuser.headers
    )
    assert response.status_code == 200
    assert response.json() == [100, 101, 300, 301]


@pytest.mark.parametrize(
    "body",
    [{"user_id": -1}, {"timestamp_min": "yesterday"}, {"timestamp_min": "2026-01-01T00:00:00"}],
    ids=["negative-user", "not-a-date", "naive-date"],
)
async def test_bad_queries_are_422(
    client: httpx.AsyncClient, superuser: Account, body: dict
) -> None:
    response = await client.post("/admin/v2/accounting/", json=body, headers=superuser.headers)
    assert response.status_code == 422


async def test_only_superusers(client: httpx.AsyncClient, user: Account) -> None:
    for path in ("/admin/v2/accounting/", "/admin/v2/accounting/slurm/"):
        assert (await client.post(path, json={}, headers=user.headers)).status_code == 403
        assert (await client.post(path, json={})).status_code == 401
