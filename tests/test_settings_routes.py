"""/api/settings/...: superusers see the configuration, never a secret."""

import httpx
import pytest

from tests.conftest import TEST_JWT_SECRET, Account

SECTIONS = ("app", "database", "email", "data", "oauth")


@pytest.mark.parametrize("section", SECTIONS)
async def test_sections_are_superuser_only(
    client: httpx.AsyncClient, admin: Account, alice: Account, section: str
) -> None:
    path = f"/api/settings/{section}/"
    assert (await client.get(path)).status_code == 401
    assert (await client.get(path, headers=alice.headers)).status_code == 403
    response = await client.get(path, headers=admin.headers)
    assert response.status_code == 200
    assert TEST_JWT_SECRET not in response.text


async def test_app_settings_mask_secrets(client: httpx.AsyncClient, admin: Account) -> None:
    body = (await client.get("/api/settings/app/", headers=admin.headers)).json()
    assert body["jwt_secret"] == "**********"
    assert body["default_group_name"] == "All"
    assert "database_url" not in body


async def test_database_settings_name_the_engine(
    client: httpx.AsyncClient, admin: Account, database_url: str
) -> None:
    body = (await client.get("/api/settings/database/", headers=admin.headers)).json()
    assert body["engine"] == database_url.split(":")[0].split("+")[0]
