"""Status of cloud devices and refresh of IBM's device list, through the API and through
the service with the server's credentials (the fake QMware API, a fake IBM runtime
service, a fake Braket device: no network)."""

from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy import func, select

from qfractal.config import Settings
from qfractal.errors import BadRequest
from qfractal.quantum.devices import service
from qfractal.quantum.models import Device, Provider
from qfractal.quantum.pilots.errors import CloudError
from tests.conftest import Account
from tests.quantum.api.conftest import device_id
from tests.quantum.api.fake_ibm import GOOD_TOKEN, FakeRuntimeService, ibm_service
from tests.quantum.pilots.fake_qmware import KEY, KEY_ID, FakeQmware, qmware

__all__ = ["ibm_service", "qmware"]

pytestmark = pytest.mark.usefixtures("seeded")


def _with(settings: Settings, **values: Any) -> Settings:
    return settings.model_copy(update=values)


def _qmware_settings(settings: Settings, fake: FakeQmware) -> Settings:
    return _with(
        settings,
        qmware_url=fake.url,
        qmware_api_key=SecretStr(KEY),
        qmware_api_key_id=SecretStr(KEY_ID),
    )


async def _status(app: FastAPI, name: str, *, token: str | None, settings: Settings) -> bool:
    async with app.state.database.sessionmaker() as session:
        device = await service.get_device(session, await device_id(app, name))
        return await service.device_status(device, token=token, settings=settings)


async def _refresh(app: FastAPI, *, token: str | None, settings: Settings) -> set[str]:
    async with app.state.database.sessionmaker() as session, session.begin():
        (ibm,) = await service.list_providers(session, name="IBM")
        devices = await service.refresh_devices(ibm, token=token, settings=settings)
        return {device.name for device in devices}


async def _ibm_count(app: FastAPI) -> int:
    async with app.state.database.sessionmaker() as session:
        count = await session.scalar(
            select(func.count(Device.id)).join(Provider).where(Provider.name == "IBM")
        )
    assert count is not None
    return count


async def test_qmware_status_asks_its_health(
    app: FastAPI, settings: Settings, qmware: FakeQmware
) -> None:
    with_account = _qmware_settings(settings, qmware)
    assert await _status(app, "dev", token=None, settings=with_account) is True
    qmware.health = (503, {"status": "DOWN"})
    assert await _status(app, "dev-gpu", token=None, settings=with_account) is False
    with pytest.raises(BadRequest, match="QFRACTAL_QMWARE_URL"):
        await _status(app, "dev", token=None, settings=settings)


async def test_qmware_status_without_account_is_400(
    app: FastAPI, client: httpx.AsyncClient, user: Account
) -> None:
    dev = await device_id(app, "dev")
    response = await client.get(f"/quantum/devices/{dev}/status/", headers=user.headers)
    assert response.status_code == 400
    assert "QFRACTAL_QMWARE_URL" in response.json()["message"]


async def test_an_ibm_fake_device_is_available_without_token(
    app: FastAPI, client: httpx.AsyncClient, user: Account
) -> None:
    async with app.state.database.sessionmaker() as session, session.begin():
        ibm = await session.scalar(select(Provider).where(Provider.name == "IBM"))
        assert ibm is not None
        session.add(Device(provider_id=ibm.id, name="fake_manila", num_qubits=5))
    manila = await device_id(app, "fake_manila")
    response = await client.get(f"/quantum/devices/{manila}/status/", headers=user.headers)
    assert response.status_code == 200, response.text
    assert response.json() == {"available": True}


async def test_ibm_status_with_the_servers_token(
    app: FastAPI, settings: Settings, ibm_service: None
) -> None:
    server = _with(settings, ibm_token=SecretStr(GOOD_TOKEN), ibm_instance="crn:x")
    assert await _status(app, "ibm_perth", token=None, settings=server) is True
    assert FakeRuntimeService.calls[-1] == {
        "channel": "ibm_quantum_platform",
        "token": GOOD_TOKEN,
        "instance": "crn:x",
    }
    # the request's token wins over the server's
    with pytest.raises(CloudError) as refused:
        await _status(app, "ibm_perth", token="wrong", settings=server)
    assert "wrong" not in str(refused.value.detail)
    assert refused.value.status_code == 502
    async with app.state.database.sessionmaker() as session, session.begin():
        ibm = await session.scalar(select(Provider).where(Provider.name == "IBM"))
        assert ibm is not None
        session.add(Device(provider_id=ibm.id, name="ibm_down", num_qubits=27))
    assert await _status(app, "ibm_down", token=None, settings=server) is False
    with pytest.raises(BadRequest, match="QFRACTAL_IBM_TOKEN"):
        await _status(app, "ibm_perth", token=None, settings=settings)


async def test_aws_status_with_the_servers_account(
    app: FastAPI, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    import braket.aws

    asked: list[str] = []

    class FakeAwsDevice:
        def __init__(self, arn: str, aws_session: Any = None) -> None:
            asked.append(arn)
            self.status = "ONLINE" if arn.endswith("sv1") else "OFFLINE"

    monkeypatch.setattr(braket.aws, "AwsDevice", FakeAwsDevice)
    monkeypatch.setattr(braket.aws, "AwsSession", lambda boto_session: boto_session)
    server = _with(
        settings,
        aws_access_key_id=SecretStr("AKIA"),
        aws_secret_access_key=SecretStr("secret"),
        aws_s3_bucket="bucket",
    )
    assert await _status(app, "SV1", token=None, settings=server) is True
    assert await _status(app, "DM1", token=None, settings=server) is False
    assert asked[0] == "arn:aws:braket:::device/quantum-simulator/amazon/sv1"
    with pytest.raises(BadRequest, match="QFRACTAL_AWS_ACCESS_KEY_ID"):
        await _status(app, "SV1", token=None, settings=settings)


async def test_refresh_ibm_adds_the_fake_devices_once(
    app: FastAPI, client: httpx.AsyncClient, user: Account
) -> None:
    providers = (await client.get("/quantum/provider/?name=IBM", headers=user.headers)).json()
    query = f"?provider={providers[0]['id']}"
    before = await _ibm_count(app)
    first = await client.post(f"/quantum/devices/{query}", headers=user.headers)
    assert first.status_code == 200, first.text
    names = {device["deviceName"] for device in first.json()}
    assert "fake_manila" in names and "ibm_perth" in names  # seeded devices stay
    listed = (await client.get(f"/quantum/devices/{query}", headers=user.headers)).json()
    assert {device["deviceName"] for device in listed} == names
    added = await _ibm_count(app)
    assert added > before
    second = await client.post(f"/quantum/devices/{query}", headers=user.headers)
    assert second.status_code == 200
    assert sorted(d["id"] for d in second.json()) == sorted(d["id"] for d in first.json())
    assert await _ibm_count(app) == added
    manila = await device_id(app, "fake_manila")
    detail = (await client.get(f"/quantum/devices/{manila}/", headers=user.headers)).json()
    assert (detail["numQubits"], detail["isSimulator"], detail["isLocal"]) == (5, True, True)
    status = await client.get(f"/quantum/devices/{manila}/status/", headers=user.headers)
    assert status.json() == {"available": True}


async def test_refresh_ibm_with_the_servers_token(
    app: FastAPI, settings: Settings, ibm_service: None
) -> None:
    server = _with(settings, ibm_token=SecretStr(GOOD_TOKEN))
    names = await _refresh(app, token=None, settings=server)
    assert {"ibm_new", "ibm_down", "ibm_perth", "ibm_lagos", "fake_manila"} <= names
    count = await _ibm_count(app)
    with pytest.raises(CloudError) as refused:
        await _refresh(app, token="wrong", settings=server)
    assert "wrong" not in str(refused.value.detail)
    assert await _ibm_count(app) == count
    async with app.state.database.sessionmaker() as session:
        new = await session.scalar(select(Device).where(Device.name == "ibm_new"))
    assert new is not None
    assert (new.num_qubits, new.is_simulator, new.is_local) == (133, False, False)
