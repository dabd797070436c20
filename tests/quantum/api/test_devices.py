"""`/quantum/provider/` and `/quantum/devices/`: the seeded catalog, filters, status and
calibration of local devices (Aer's real configuration), 501 without calibration data,
and the 2023 forms. Cloud devices: test_device_cloud.py."""

import httpx
import pytest
from fastapi import FastAPI

from tests.conftest import Account
from tests.quantum.api.conftest import device_id

pytestmark = pytest.mark.usefixtures("seeded")

PILOT_LANGUAGES = {
    "IBM": ["QISKIT"],
    "AWS": ["BRAKET"],
    "RIGETTI": ["QUIL"],
    "QMWARE": ["QASM2"],
}


async def _get(client: httpx.AsyncClient, account: Account, path: str) -> httpx.Response:
    return await client.get(path, headers=account.headers)


async def _devices(client: httpx.AsyncClient, account: Account, query: str = "") -> set[str]:
    response = await _get(client, account, f"/quantum/devices/{query}")
    assert response.status_code == 200, response.text
    return {device["deviceName"] for device in response.json()}


async def test_providers(client: httpx.AsyncClient, user: Account, other_user: Account) -> None:
    response = await _get(client, user, "/quantum/provider/")
    assert response.status_code == 200
    providers = response.json()
    assert (await _get(client, other_user, "/quantum/provider/")).json() == providers
    assert {p["name"]: p["supportedLanguages"] for p in providers} == PILOT_LANGUAGES
    ibm = next(p for p in providers if p["name"] == "IBM")
    assert ibm["withToken"] is True
    assert ibm["self"] == f"http://testserver/quantum/provider/{ibm['id']}/"
    assert ibm["devices"] == f"http://testserver/quantum/devices/?provider={ibm['id']}"
    assert (await _get(client, user, f"/quantum/provider/{ibm['id']}/")).json() == ibm
    assert (await _get(client, user, "/quantum/provider/?name=ibm")).json() == [ibm]
    assert (await _get(client, user, "/quantum/provider/?name=NOPE")).json() == []
    missing = await _get(client, user, "/quantum/provider/123456/")
    assert missing.status_code == 404
    assert missing.json() == {
        "code": 404,
        "status": "Not Found",
        "message": "Provider with id '123456' was not found.",
    }


async def test_device_list_and_filters(client: httpx.AsyncClient, user: Account) -> None:
    everything = (await _get(client, user, "/quantum/devices/")).json()
    assert {"aer_simulator", "local_simulator", "2q-qvm", "dev", "dev-gpu", "SV1"} <= {
        d["deviceName"] for d in everything
    }
    first = everything[0]
    assert set(first) == {"id", "deviceName", "providerName", "self"}
    assert first["self"] == f"http://testserver/quantum/devices/{first['id']}/"

    providers = (await _get(client, user, "/quantum/provider/")).json()
    rigetti = next(p["id"] for p in providers if p["name"] == "RIGETTI")
    assert await _devices(client, user, f"?provider={rigetti}") == {"2q-qvm", "5q-qvm", "9q-qvm"}
    assert await _devices(client, user, "?provider=999999") == set()

    local = await _devices(client, user, "?is-local=true")
    assert local == {"aer_simulator", "local_simulator", "2q-qvm", "5q-qvm", "9q-qvm"}
    # -1 (no fixed limit) passes any min-qubits
    big = await _devices(client, user, "?min-qubits=1000")
    assert big == {"aer_simulator", "simulator_stabilizer", "dev", "dev-gpu"}
    assert await _devices(client, user, f"?provider={rigetti}&min-qubits=5") == {
        "5q-qvm",
        "9q-qvm",
    }
    qpus = await _devices(client, user, "?is-simulator=false")
    assert "ibm_perth" in qpus and "Garnet" in qpus and "aer_simulator" not in qpus
    assert await _devices(client, user, "?is-simulator=false&is-local=true") == set()


async def test_device_detail(app: FastAPI, client: httpx.AsyncClient, user: Account) -> None:
    dev_gpu = await device_id(app, "dev-gpu")
    response = await _get(client, user, f"/quantum/devices/{dev_gpu}/")
    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "dev-gpu"
    assert body["numQubits"] == -1
    assert body["isSimulator"] is True
    assert body["isLocal"] is False  # remote: qunicorn's "local" marking was a hack
    assert body["provider"]["name"] == "QMWARE"
    assert body["provider"]["supportedLanguages"] == ["QASM2"]
    assert body["self"] == f"http://testserver/quantum/devices/{dev_gpu}/"
    missing = await _get(client, user, "/quantum/devices/987654/")
    assert missing.status_code == 404
    assert missing.json()["message"] == "Device with id '987654' was not found."


async def test_status_of_local_devices_needs_no_token(
    app: FastAPI, client: httpx.AsyncClient, user: Account
) -> None:
    for name in ("aer_simulator", "local_simulator", "9q-qvm"):
        device = await device_id(app, name)
        response = await _get(client, user, f"/quantum/devices/{device}/status/")
        assert response.status_code == 200, response.text
        assert response.json() == {"available": True}


async def test_calibration_of_aer_is_its_configuration(
    app: FastAPI, client: httpx.AsyncClient, user: Account
) -> None:
    aer = await device_id(app, "aer_simulator")
    response = await _get(client, user, f"/quantum/devices/{aer}/calibration/")
    assert response.status_code == 200, response.text
    configuration = response.json()
    assert configuration["backend_name"] == "aer_simulator"
    assert configuration["simulator"] is True
    assert "cx" in configuration["basis_gates"]
    assert configuration["n_qubits"] > 0


async def test_calibration_is_501_without_calibration_data(
    app: FastAPI, client: httpx.AsyncClient, user: Account
) -> None:
    for name in ("local_simulator", "SV1", "2q-qvm", "dev", "dev-gpu"):
        device = await device_id(app, name)
        response = await _get(client, user, f"/quantum/devices/{device}/calibration/")
        assert response.status_code == 501, (name, response.text)
        assert "no calibration data" in response.json()["message"]


async def test_deprecated_post_status_and_calibration(
    app: FastAPI, client: httpx.AsyncClient, user: Account
) -> None:
    aer = await device_id(app, "aer_simulator")
    perth = await device_id(app, "ibm_perth")
    for suffix in ("/", ""):
        status = await client.post(
            f"/quantum/devices/{aer}/status{suffix}", json={"token": ""}, headers=user.headers
        )
        assert status.status_code == 200 and status.json() == {"available": True}
        seed_body = {"providerName": "IBM", "token": ""}
        calibration = await client.post(
            f"/quantum/devices/{aer}/calibration{suffix}", json=seed_body, headers=user.headers
        )
        assert calibration.status_code == 200
        assert calibration.json()["backend_name"] == "aer_simulator"
        cloud = await client.post(
            f"/quantum/devices/{perth}/status{suffix}", json={"token": ""}, headers=user.headers
        )
        assert cloud.status_code == 400
        cloud = await client.post(
            f"/quantum/devices/{perth}/status{suffix}", json={"token": "t"}, headers=user.headers
        )
        assert cloud.status_code == 502  # IBM refuses the token (no network here)
    bad = await client.post(
        f"/quantum/devices/{aer}/status/", json={"token": 5}, headers=user.headers
    )
    assert bad.status_code == 422 and "token" in bad.json()["errors"]["json"]
