"""Fixtures of the quantum API tests: users (no compute profile needed), the seeded
providers and devices, deployments made through the API and jobs as rows."""

from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from qfractal.quantum.devices.seed import seed_standard_providers
from qfractal.quantum.enums import JobState
from qfractal.quantum.models import Device, QuantumJob, QuantumResult
from tests.conftest import Account, make_user

BELL_QASM2 = """OPENQASM 2.0;
include "qelib1.inc";
qreg q[2];
creg meas[2];
h q[0];
cx q[0],q[1];
measure q[0] -> meas[0];
measure q[1] -> meas[1];
"""


@pytest.fixture
async def user(app: FastAPI, client: httpx.AsyncClient) -> Account:
    return await make_user(app, client, "user@example.org")


@pytest.fixture
async def other_user(app: FastAPI, client: httpx.AsyncClient) -> Account:
    return await make_user(app, client, "other@example.org")


@pytest.fixture
async def superuser(app: FastAPI, client: httpx.AsyncClient) -> Account:
    return await make_user(app, client, "admin@example.org", superuser=True)


@pytest.fixture
async def seeded(app: FastAPI) -> None:
    """The standard providers and devices, as `qfractal init` creates them."""
    async with app.state.database.sessionmaker() as session, session.begin():
        await seed_standard_providers(session)


def program(circuit: str = BELL_QASM2, language: str = "QASM2", **extra: Any) -> dict[str, Any]:
    return {"quantumCircuit": circuit, "assemblerLanguage": language, **extra}


async def deploy(
    client: httpx.AsyncClient,
    account: Account,
    name: str = "bell",
    programs: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """POST a deployment; return the response body."""
    body = {"name": name, "programs": [program()] if programs is None else programs}
    response = await client.post("/quantum/deployments/", json=body, headers=account.headers)
    assert response.status_code == 201, response.text
    return response.json()


async def device_id(app: FastAPI, name: str) -> int:
    async with app.state.database.sessionmaker() as session:
        found = await session.scalar(select(Device.id).where(Device.name == name))
    assert found is not None, name
    return found


async def add_job(
    app: FastAPI,
    account: Account,
    deployment_id: int,
    *,
    state: JobState = JobState.FINISHED,
    with_result: bool = True,
) -> int:
    """A job row as the job routes would leave it (they are not part of these tests)."""
    async with app.state.database.sessionmaker() as session, session.begin():
        job = QuantumJob(
            name="job",
            executed_by=account.id,
            deployment_id=deployment_id,
            state=state.value,
            progress=100 if state is JobState.FINISHED else 0,
            shots=100,
        )
        session.add(job)
        await session.flush()
        if with_result:
            session.add(
                QuantumResult(job_id=job.id, result_type="COUNTS", data={"0x0": 100}, meta={})
            )
        return job.id
