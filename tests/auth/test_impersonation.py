"""/admin/v2/impersonate/{user_id}/: a superuser gets a token that acts as the user."""

import httpx

from tests.conftest import Account


async def test_impersonation_token_acts_as_the_user(
    client: httpx.AsyncClient, admin: Account, alice: Account
) -> None:
    response = await client.get(f"/admin/v2/impersonate/{alice.id}/", headers=admin.headers)
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer"
    assert "fastapiusersauth" in response.cookies
    me = await client.get(
        "/auth/current-user/", headers={"Authorization": f"Bearer {body['access_token']}"}
    )
    assert me.json()["email"] == alice.email


async def test_impersonation_errors(
    client: httpx.AsyncClient, admin: Account, alice: Account
) -> None:
    assert (
        await client.get("/admin/v2/impersonate/99999/", headers=admin.headers)
    ).status_code == 404
    assert (await client.get("/admin/v2/impersonate/-1/", headers=admin.headers)).status_code == 422
    path = f"/admin/v2/impersonate/{admin.id}/"
    assert (await client.get(path, headers=alice.headers)).status_code == 403
    assert (await client.get(path)).status_code == 401
