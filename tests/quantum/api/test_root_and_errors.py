"""`/quantum/` root links, login, and the one error envelope of the quantum face."""

import httpx
from fastapi import FastAPI

from tests.conftest import Account

ENVELOPE_KEYS = {"code", "status", "message"}


async def test_root_links_are_absolute(client: httpx.AsyncClient, user: Account) -> None:
    response = await client.get("/quantum/", headers=user.headers)
    assert response.status_code == 200
    body = response.json()
    assert body["title"] == "QUNICORN_API"
    assert body["jobs"] == "http://testserver/quantum/jobs/"
    assert body["devices"] == "http://testserver/quantum/devices/"
    assert body["deployments"] == "http://testserver/quantum/deployments/"
    assert body["provider"] == "http://testserver/quantum/provider/"
    assert body["apiSpec"] == "http://testserver/openapi.json"
    assert body["swaggerUi"] == "http://testserver/docs"


async def test_every_route_needs_a_login(client: httpx.AsyncClient) -> None:
    for method, path in (
        ("GET", "/quantum/"),
        ("GET", "/quantum/provider/"),
        ("GET", "/quantum/provider/1/"),
        ("GET", "/quantum/devices/"),
        ("POST", "/quantum/devices/?provider=1"),
        ("GET", "/quantum/devices/1/"),
        ("GET", "/quantum/devices/1/status/"),
        ("GET", "/quantum/devices/1/calibration/"),
        ("POST", "/quantum/devices/1/status"),
        ("GET", "/quantum/deployments/"),
        ("POST", "/quantum/deployments/"),
        ("GET", "/quantum/deployments/1/"),
        ("PUT", "/quantum/deployments/1/"),
        ("DELETE", "/quantum/deployments/1/"),
        ("GET", "/quantum/deployments/1/programs/"),
        ("GET", "/quantum/deployments/1/programs/1/"),
        ("GET", "/quantum/deployments/1/jobs/"),
        ("DELETE", "/quantum/deployments/1/jobs"),
    ):
        response = await client.request(method, path, headers={"Authorization": "Bearer nope"})
        assert response.status_code == 401, (method, path, response.text)
        assert response.json() == {"code": 401, "status": "Unauthorized", "message": "Unauthorized"}
        assert response.headers["www-authenticate"] == "Bearer"
    response = await client.get("/quantum/deployments/")
    assert response.status_code == 401


async def test_unknown_route_and_method_use_the_envelope(
    client: httpx.AsyncClient, user: Account
) -> None:
    response = await client.get("/quantum/nothing-here/", headers=user.headers)
    assert response.status_code == 404
    assert response.json() == {"code": 404, "status": "Not Found", "message": "Not Found"}
    response = await client.patch("/quantum/deployments/1/", headers=user.headers)
    assert response.status_code == 405
    assert set(response.json()) == ENVELOPE_KEYS


async def test_other_faces_keep_their_detail_bodies(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v2/project/")
    assert response.status_code == 401
    assert response.json() == {"detail": "Unauthorized"}
    response = await client.get("/quantumx/")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not Found"}


async def test_validation_errors_name_the_fields(client: httpx.AsyncClient, user: Account) -> None:
    response = await client.post(
        "/quantum/deployments/",
        json={"programs": [{"quantumCircuit": "x", "assemblerLanguage": "COBOL"}]},
        headers=user.headers,
    )
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == 422 and body["status"] == "Unprocessable Entity"
    assert set(body["errors"]["json"]) == {"name", "programs.0.assemblerLanguage"}
    assert "unknown language 'COBOL'" in body["errors"]["json"]["programs.0.assemblerLanguage"][0]
    assert "programs.0.assemblerLanguage" in body["message"]


async def test_huge_ids_and_bad_query_values_are_422(
    client: httpx.AsyncClient, user: Account
) -> None:
    for path, where, field in (
        ("/quantum/deployments/99999999999999999999/", "path", "deployment_id"),
        ("/quantum/deployments/-1/", "path", "deployment_id"),
        ("/quantum/deployments/abc/programs/", "path", "deployment_id"),
        ("/quantum/deployments/1/programs/3000000000/", "path", "program_id"),
        ("/quantum/provider/3000000000/", "path", "provider_id"),
        ("/quantum/devices/3000000000/", "path", "device_id"),
        ("/quantum/devices/3000000000/status/", "path", "device_id"),
        ("/quantum/devices/?provider=3000000000", "query", "provider"),
        ("/quantum/devices/?min-qubits=99999999999", "query", "min-qubits"),
        ("/quantum/devices/?is-simulator=perhaps", "query", "is-simulator"),
        ("/quantum/deployments/?item-count=0", "query", "item-count"),
        ("/quantum/deployments/?item-count=1001", "query", "item-count"),
        ("/quantum/deployments/?page=0", "query", "page"),
        ("/quantum/deployments/?name=a%00b", "query", "name"),
        ("/quantum/provider/?name=a%00b", "query", "name"),
    ):
        response = await client.get(path, headers=user.headers)
        assert response.status_code == 422, (path, response.text)
        assert field in response.json()["errors"][where], (path, response.json())


async def test_openapi_marks_the_2023_routes_deprecated(client: httpx.AsyncClient) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]
    deprecated = {
        (method.upper(), path)
        for path, operations in paths.items()
        if path.startswith("/quantum")
        for method, operation in operations.items()
        if operation.get("deprecated")
    }
    assert deprecated == {
        ("PUT", "/quantum/devices/"),
        ("POST", "/quantum/devices/{device_id}/status/"),
        ("POST", "/quantum/devices/{device_id}/status"),
        ("POST", "/quantum/devices/{device_id}/calibration/"),
        ("POST", "/quantum/devices/{device_id}/calibration"),
        ("GET", "/quantum/deployments/{deployment_id}/jobs"),
        ("DELETE", "/quantum/deployments/{deployment_id}/jobs"),
        ("GET", "/quantum/jobs/queue/"),
        ("POST", "/quantum/jobs/run/{job_id}/"),
        ("POST", "/quantum/jobs/rerun/{job_id}/"),
        ("POST", "/quantum/jobs/cancel/{job_id}/"),
    }
    languages = paths["/quantum/deployments/"]["post"]
    assert languages["responses"]["422"]["content"]["application/json"]["schema"]


async def test_unexpected_errors_are_500_in_the_envelope(app: FastAPI) -> None:
    async def boom() -> None:
        raise RuntimeError("secret detail")

    app.add_api_route("/quantum/boom/", boom)
    app.add_api_route("/api/boom/", boom)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        quantum = await client.get("/quantum/boom/")
        other = await client.get("/api/boom/")
    assert quantum.status_code == 500
    assert quantum.json() == {
        "code": 500,
        "status": "Internal Server Error",
        "message": "Internal server error",
    }
    assert other.status_code == 500
    assert other.json() == {"detail": "Internal server error"}
