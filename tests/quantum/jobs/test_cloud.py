"""Jobs on cloud devices through the API: each provider's pilot runs in a pool worker
with the request's token or the server's credentials, and a missing credential is an
ERROR result that names the settings (never a traceback, never the token)."""

from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy import select

from qfractal.quantum.models import Provider, QuantumJob
from tests.conftest import Account
from tests.quantum.api.conftest import deploy
from tests.quantum.jobs.conftest import results_by_program, submit, wait_for_job
from tests.quantum.pilots.fake_qmware import KEY, KEY_ID, FakeQmware, qmware

__all__ = ["qmware"]


@pytest.fixture
def engine_settings(qmware: FakeQmware) -> dict[str, Any]:
    """The server's QMware account is the fake API's."""
    return {
        "qmware_url": qmware.url,
        "qmware_api_key": SecretStr(KEY),
        "qmware_api_key_id": SecretStr(KEY_ID),
    }


def _counts(job: dict[str, Any]) -> dict[str, int]:
    (results,) = results_by_program(job).values()
    return results["COUNTS"]["data"]


def _errors(job: dict[str, Any]) -> list[str]:
    return [r["data"]["exception_message"] for r in job["results"] if r["resultType"] == "ERROR"]


async def test_a_job_on_qmware_runs_on_its_api(
    client: httpx.AsyncClient, user: Account, seeded: None, qmware: FakeQmware
) -> None:
    deployment = await deploy(client, user)
    created = await submit(client, user, deployment["id"], "dev", providerName="QMWARE", shots=300)
    job = await wait_for_job(client, user, created["id"])
    assert job["state"] == "FINISHED", _errors(job)
    counts = _counts(job)
    assert set(counts) == {"0x0", "0x3"} and sum(counts.values()) == 300
    (sent,) = qmware.submitted()
    assert sent["code"]["type"] == "qasm2" and "cx" in sent["code"]["code"]


async def test_a_job_on_an_ibm_device_runs_with_the_runtime(
    app: FastAPI, client: httpx.AsyncClient, user: Account, seeded: None
) -> None:
    """qiskit-ibm-runtime's fake devices, listed by a refresh of IBM's devices, run
    offline (its local testing mode)."""
    async with app.state.database.sessionmaker() as session:
        ibm = await session.scalar(select(Provider.id).where(Provider.name == "IBM"))
    refresh = await client.post(f"/quantum/devices/?provider={ibm}", headers=user.headers)
    assert refresh.status_code == 200, refresh.text
    deployment = await deploy(client, user)
    created = await submit(
        client, user, deployment["id"], "fake_manila", providerName="IBM", shots=500
    )
    job = await wait_for_job(client, user, created["id"])
    assert job["state"] == "FINISHED", _errors(job)
    counts = _counts(job)
    assert sum(counts.values()) == 500
    assert counts.get("0x0", 0) + counts.get("0x3", 0) > 400  # a noisy device


@pytest.mark.parametrize(
    ("provider", "device", "settings_named"),
    [
        ("AWS", "SV1", "QFRACTAL_AWS_ACCESS_KEY_ID"),
        ("IBM", "ibm_perth", "QFRACTAL_IBM_TOKEN"),
    ],
)
async def test_a_cloud_device_without_credentials_is_an_error_result(
    app: FastAPI,
    client: httpx.AsyncClient,
    user: Account,
    seeded: None,
    provider: str,
    device: str,
    settings_named: str,
) -> None:
    deployment = await deploy(client, user)
    token = "aws-secret" if provider == "AWS" else ""  # AWS takes the server's keys only
    created = await submit(
        client, user, deployment["id"], device, providerName=provider, token=token
    )
    job = await wait_for_job(client, user, created["id"])
    assert job["state"] == "ERROR"
    assert job["finishedAt"] is not None
    (message,) = _errors(job)
    assert device in message and settings_named in message
    assert "Traceback" not in str(job) and "aws-secret" not in str(job)
    async with app.state.database.sessionmaker() as session:
        stored = await session.scalar(select(QuantumJob).where(QuantumJob.id == job["id"]))
    assert stored is not None and stored.provider_token_sealed is None
