"""Status, calibration and refresh of cloud devices through the API, with the providers'
real SDKs running in the quantum pool's workers: IBM's runtime fake devices (offline),
the fake QMware API on 127.0.0.1, and, for the real clouds, the way a call fails without
an account (no network here): 502 with one line, never the token."""

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy import func, select

from qfractal.config import Settings
from qfractal.quantum.models import Device
from qfractal.quantum.pilots.ibm import fake_device_names
from tests.conftest import Account
from tests.quantum.api.conftest import device_id
from tests.quantum.pilots.fake_qmware import KEY, KEY_ID, FakeQmware, qmware

__all__ = ["qmware"]

pytestmark = pytest.mark.usefixtures("seeded")

TOKEN = "tok-3f9a-secret"


@pytest.fixture
def settings(settings: Settings, qmware: FakeQmware) -> Settings:
    """The server's QMware account is the fake API's; AWS keys that no cloud knows."""
    return settings.model_copy(
        update={
            "qmware_url": qmware.url,
            "qmware_api_key": SecretStr(KEY),
            "qmware_api_key_id": SecretStr(KEY_ID),
            "aws_access_key_id": SecretStr("AKIAQFRACTALTEST"),
            "aws_secret_access_key": SecretStr("aws-secret-key"),
            "aws_s3_bucket": "qfractal-results",
        }
    )


async def _refresh(client: httpx.AsyncClient, user: Account, provider: str, **body: str):
    providers = await client.get(f"/quantum/provider/?name={provider}", headers=user.headers)
    (found,) = providers.json()
    return await client.post(
        f"/quantum/devices/?provider={found['id']}", json=body, headers=user.headers
    )


async def _device_count(app: FastAPI) -> int:
    async with app.state.database.sessionmaker() as session:
        return int(await session.scalar(select(func.count(Device.id))) or 0)


async def test_ibm_refresh_adds_the_fake_devices_once(
    app: FastAPI, client: httpx.AsyncClient, user: Account
) -> None:
    before = await _device_count(app)
    first = await _refresh(client, user, "IBM")
    assert first.status_code == 200, first.text
    names = {device["deviceName"] for device in first.json()}
    assert set(fake_device_names()) <= names
    assert {"aer_simulator", "ibm_perth"} <= names  # the standard devices stay
    assert await _device_count(app) == before + len(fake_device_names())
    second = await _refresh(client, user, "IBM")
    assert second.status_code == 200
    assert await _device_count(app) == before + len(fake_device_names())
    manila = await client.get(
        f"/quantum/devices/{await device_id(app, 'fake_manila')}/", headers=user.headers
    )
    assert manila.json()["numQubits"] == 5
    assert manila.json()["isLocal"] is True and manila.json()["isSimulator"] is True


async def test_a_refreshed_fake_device_runs_jobs_and_has_status_and_calibration(
    app: FastAPI, client: httpx.AsyncClient, user: Account
) -> None:
    assert (await _refresh(client, user, "IBM")).status_code == 200
    manila = await device_id(app, "fake_manila")
    status = await client.get(f"/quantum/devices/{manila}/status/", headers=user.headers)
    assert status.status_code == 200 and status.json() == {"available": True}
    calibration = await client.get(f"/quantum/devices/{manila}/calibration/", headers=user.headers)
    assert calibration.status_code == 200, calibration.text
    assert calibration.json()["backend_name"] == "fake_manila"
    assert calibration.json()["n_qubits"] == 5
    assert calibration.json()["simulator"] is False  # it describes the real device


async def test_a_refresh_the_cloud_refuses_changes_nothing(
    app: FastAPI, client: httpx.AsyncClient, user: Account
) -> None:
    before = await _device_count(app)
    response = await _refresh(client, user, "IBM", token=TOKEN)
    assert response.status_code == 502, response.text
    body = response.json()
    assert body["code"] == 502 and body["message"].startswith("IBM Quantum: cannot list")
    assert TOKEN not in response.text and "Traceback" not in response.text
    assert await _device_count(app) == before
    seed = await client.put(
        "/quantum/devices/", json={"providerName": "IBM", "token": TOKEN}, headers=user.headers
    )
    assert seed.status_code == 502 and TOKEN not in seed.text


@pytest.mark.parametrize("provider", ["AWS", "RIGETTI", "QMWARE"])
async def test_providers_without_a_device_list_refresh_with_501(
    client: httpx.AsyncClient, user: Account, provider: str
) -> None:
    response = await _refresh(client, user, provider, token=TOKEN)
    assert response.status_code == 501, response.text
    assert "no device list to refresh from" in response.json()["message"]


async def test_seed_refresh_by_provider_name(client: httpx.AsyncClient, user: Account) -> None:
    response = await client.put(
        "/quantum/devices/", json={"providerName": "IBM", "token": ""}, headers=user.headers
    )
    assert response.status_code == 200, response.text
    assert "fake_manila" in {device["deviceName"] for device in response.json()}
    bad = await client.put(
        "/quantum/devices/", json={"providerName": "DWAVE"}, headers=user.headers
    )
    assert bad.status_code == 422
    assert "providerName" in bad.json()["errors"]["json"]


async def test_refresh_of_an_unknown_provider(client: httpx.AsyncClient, user: Account) -> None:
    missing = await client.post(
        "/quantum/devices/?provider=999999", json={"token": ""}, headers=user.headers
    )
    assert missing.status_code == 404
    no_provider = await client.post("/quantum/devices/", json={}, headers=user.headers)
    assert no_provider.status_code == 422
    assert "provider" in no_provider.json()["errors"]["query"]


async def test_ibm_cloud_status_and_calibration_ask_ibm_with_the_token(
    app: FastAPI, client: httpx.AsyncClient, user: Account
) -> None:
    perth = await device_id(app, "ibm_perth")
    for what in ("status", "calibration"):
        path = f"/quantum/devices/{perth}/{what}/"
        no_token = await client.get(path, headers=user.headers)
        assert no_token.status_code == 400
        assert "X-Qunicorn-Provider-Token" in no_token.json()["message"]
        assert "QFRACTAL_IBM_TOKEN" in no_token.json()["message"]
        for header in ("X-Qunicorn-Provider-Token", "XQunicornProviderToken"):
            response = await client.get(path, headers={**user.headers, header: TOKEN})
            assert response.status_code == 502, response.text
            assert response.json()["message"].startswith("IBM device 'ibm_perth'")
            assert TOKEN not in response.text and "Traceback" not in response.text


async def test_aws_status_asks_braket_with_the_servers_account(
    app: FastAPI, client: httpx.AsyncClient, user: Account
) -> None:
    sv1 = await device_id(app, "SV1")
    response = await client.get(f"/quantum/devices/{sv1}/status/", headers=user.headers)
    assert response.status_code == 502, response.text
    assert response.json()["message"].startswith("AWS device 'SV1'")
    assert "aws-secret-key" not in response.text


async def test_aws_status_without_an_account_names_the_settings(
    app: FastAPI, settings: Settings, user: Account
) -> None:
    # The app fixture's settings have an account: a second app without one.
    from asgi_lifespan import LifespanManager

    from qfractal.app import create_app

    bare = create_app(settings.model_copy(update={"aws_access_key_id": None}))
    async with LifespanManager(bare):
        transport = httpx.ASGITransport(app=bare)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            sv1 = await device_id(bare, "SV1")
            response = await c.get(f"/quantum/devices/{sv1}/status/", headers=user.headers)
    assert response.status_code == 400, response.text
    assert "QFRACTAL_AWS_ACCESS_KEY_ID" in response.json()["message"]


async def test_qmware_status_is_its_apis_health(
    app: FastAPI, client: httpx.AsyncClient, user: Account, qmware: FakeQmware
) -> None:
    path = f"/quantum/devices/{await device_id(app, 'dev-gpu')}/status/"
    up = await client.get(path, headers=user.headers)
    assert up.status_code == 200 and up.json() == {"available": True}
    qmware.health = (503, {"status": "DOWN"})
    down = await client.get(path, headers=user.headers)
    assert down.status_code == 200 and down.json() == {"available": False}
