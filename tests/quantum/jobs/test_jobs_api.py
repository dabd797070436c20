"""`/quantum/jobs/`: submit, read, results, rerun, delete, owner scoping, paging and
filters, validation (never a 500) and the 2023 aliases."""

from datetime import datetime

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from qfractal.compute.models import EngineJob
from qfractal.quantum.models import QUANTUM_JOB_KIND, QuantumJob, QuantumResult
from tests.conftest import Account
from tests.quantum.api.conftest import BELL_QASM2, deploy, program
from tests.quantum.jobs.conftest import get_job, submit, wait_for_job
from tests.quantum.programs import CASES

HH_CX = CASES[1].qasm2()


async def test_a_job_runs_on_the_engine_and_reports_its_lifecycle(
    app: FastAPI, client: httpx.AsyncClient, user: Account, seeded: None
) -> None:
    deployment = await deploy(client, user, programs=[program(), program(HH_CX)])
    created = await submit(client, user, deployment["id"], shots=500)
    job_id = created["id"]
    base = f"http://testserver/quantum/jobs/{job_id}/"
    assert created == {
        "id": job_id,
        "name": "job on aer_simulator",
        "state": "READY",
        "self": base,
        "deplyoment": deployment["self"],
    }

    job = await wait_for_job(client, user, job_id)
    assert job["state"] == "FINISHED"
    assert job["progress"] == 100
    assert job["type"] == "RUNNER"
    assert job["shots"] == 500
    assert job["executedBy"] == str(user.id)
    assert job["executedOn"]["name"] == "aer_simulator"
    assert job["executedOn"]["provider"]["name"] == "IBM"
    started = datetime.fromisoformat(job["startedAt"])
    finished = datetime.fromisoformat(job["finishedAt"])
    assert started.utcoffset() is not None
    assert started <= finished
    assert job["self"] == base
    assert job["deplyoment"] == deployment["self"]

    bell, hh_cx = (p["self"] for p in deployment["programs"])
    assert [(r["program"], r["resultType"]) for r in job["results"]] == [
        (bell, "COUNTS"),
        (bell, "PROBABILITIES"),
        (hh_cx, "COUNTS"),
        (hh_cx, "PROBABILITIES"),
    ]
    counts = job["results"][0]
    assert set(counts["data"]) == {"0x0", "0x3"}
    assert counts["metadata"]["registers"] == [{"name": "meas", "size": 2}]
    assert counts["job"] == base
    assert counts["self"] == f"{base}results/{counts['id']}/"
    assert job["results"][2]["data"] == {"0x0": 500}
    assert job["results"][3]["data"] == {"0x0": 1.0}

    listed = await client.get(f"/quantum/jobs/{job_id}/results/", headers=user.headers)
    assert listed.status_code == 200
    assert listed.json() == job["results"]
    one = await client.get(counts["self"], headers=user.headers)
    assert one.json() == counts
    missing = await client.get(f"{base}results/999999/", headers=user.headers)
    assert missing.status_code == 404
    assert missing.json()["message"] == f"Result with id '999999' of job '{job_id}' was not found."

    async with app.state.database.sessionmaker() as session:
        engine_job = await session.scalar(
            select(EngineJob).where(EngineJob.kind == QUANTUM_JOB_KIND, EngineJob.ref_id == job_id)
        )
    assert engine_job is not None and engine_job.status == "done"


async def test_the_deployment_parameter_wins_over_the_body(
    client: httpx.AsyncClient, user: Account, seeded: None
) -> None:
    first = await deploy(client, user, name="first")
    second = await deploy(client, user, name="second")
    response = await client.post(
        f"/quantum/jobs/?deployment={second['id']}",
        json={
            "name": "j",
            "providerName": "ibm",
            "deviceName": "aer_simulator",
            "shots": 10,
            "type": "runner",
            "deploymentId": first["id"],
        },
        headers=user.headers,
    )
    assert response.status_code == 201, response.text
    assert response.json()["deplyoment"] == second["self"]
    await wait_for_job(client, user, response.json()["id"])


@pytest.mark.parametrize(
    ("change", "where", "field"),
    [
        ({"shots": None}, "json", "shots"),
        ({"shots": 0}, "json", "shots"),
        ({"shots": 100_001}, "json", "shots"),
        ({"shots": "many"}, "json", "shots"),
        ({"name": "  "}, "json", "name"),
        ({"name": None}, "json", "name"),
        ({"providerName": "GOOGLE"}, "json", "providerName"),
        ({"deviceName": "no_such_device"}, "json", "deviceName"),
        ({"providerName": "AWS"}, "json", "deviceName"),  # aer_simulator is IBM's
        ({"type": "ANNEALER"}, "json", "type"),
        ({"errorMitigation": "magic"}, "json", "errorMitigation"),
        ({"deploymentId": None}, "json", "deploymentId"),
        ({"deploymentId": -1}, "json", "deploymentId"),
        ({"deploymentId": 2**40}, "json", "deploymentId"),
        ({"token": "a\x00b"}, "json", "token"),
        ({"observables": ["ZZ"]}, "json", "observables"),
        ({"type": "ESTIMATOR"}, "json", "observables"),
        ({"type": "ESTIMATOR", "observables": ["ZZ", "ZQ"]}, "json", "observables.1"),
        ({"type": "ESTIMATOR", "observables": [{"ZZ": "x"}]}, "json", "observables.0"),
        ({"type": "ESTIMATOR", "observables": [["ZZ", "XXX"]]}, "json", "observables.0"),
        ({"type": "ESTIMATOR", "observables": [3]}, "json", "observables.0"),
        ({"type": "ESTIMATOR", "observables": ["Z" * 65]}, "json", "observables.0"),
        ({"type": "ESTIMATOR", "observables": ["Z"] * 101}, "json", "observables"),
        ({"type": "ESTIMATOR", "observables": [[]]}, "json", "observables.0"),
    ],
)
async def test_bad_requests_are_422_naming_the_field(
    client: httpx.AsyncClient,
    user: Account,
    seeded: None,
    change: dict[str, object],
    where: str,
    field: str,
) -> None:
    deployment = await deploy(client, user)
    body = {
        "name": "j",
        "providerName": "IBM",
        "deviceName": "aer_simulator",
        "shots": 10,
        "type": "RUNNER",
        "deploymentId": deployment["id"],
    }
    body.update(change)
    body = {key: value for key, value in body.items() if value is not None}
    response = await client.post("/quantum/jobs/", json=body, headers=user.headers)
    assert response.status_code == 422, response.text
    error = response.json()
    assert error["code"] == 422
    assert field in error["errors"][where], error


async def test_other_refusals(
    client: httpx.AsyncClient, user: Account, other_user: Account, seeded: None
) -> None:
    theirs = await deploy(client, other_user)
    response = await client.post(
        "/quantum/jobs/",
        json={
            "name": "j",
            "providerName": "IBM",
            "deviceName": "aer_simulator",
            "shots": 10,
            "deploymentId": theirs["id"],
        },
        headers=user.headers,
    )
    assert response.status_code == 404
    assert response.json()["message"] == f"Deployment with id '{theirs['id']}' was not found."

    empty = await deploy(client, user, programs=[])
    await submit(client, user, empty["id"], expect=422)
    mine = await deploy(client, user)
    for extra in ({"type": "IBM_RUNNER"}, {"type": "IBM_UPLOAD"}, {"cutToWidth": 2}):
        error = await submit(client, user, mine["id"], expect=501, **extra)
        assert error["code"] == 501
    error = await submit(
        client, user, mine["id"], "braket", expect=422, type="ESTIMATOR", observables=["ZZ"]
    )
    assert "IBM devices only" in error["message"]
    huge = (
        '{"name": "j", "providerName": "IBM", "deviceName": "aer_simulator", "shots": 1,'
        f' "deploymentId": {mine["id"]}, "type": "ESTIMATOR", "observables": [{{"ZZ": 1e999}}]}}'
    )
    for body in ("not json", "[]", "{}", huge):
        response = await client.post(
            "/quantum/jobs/",
            content=body,
            headers={**user.headers, "content-type": "application/json"},
        )
        assert response.status_code == 422, body


async def test_jobs_of_other_users_do_not_exist(
    app: FastAPI,
    client: httpx.AsyncClient,
    user: Account,
    other_user: Account,
    seeded: None,
) -> None:
    deployment = await deploy(client, user)
    job_id = (await submit(client, user, deployment["id"]))["id"]
    job = await wait_for_job(client, user, job_id)
    result_id = job["results"][0]["id"]
    message = f"Job with id '{job_id}' was not found."
    for method, path, body in (
        ("GET", f"/quantum/jobs/{job_id}/", None),
        ("GET", f"/quantum/jobs/{job_id}/results/", None),
        ("GET", f"/quantum/jobs/{job_id}/results/{result_id}/", None),
        ("POST", f"/quantum/jobs/{job_id}/", {"command": "rerun"}),
        ("POST", f"/quantum/jobs/{job_id}/", {"command": "cancel"}),
        ("POST", f"/quantum/jobs/{job_id}/", {"command": "run"}),
        ("POST", f"/quantum/jobs/rerun/{job_id}/", {"token": ""}),
        ("POST", f"/quantum/jobs/cancel/{job_id}/", {"token": ""}),
        ("POST", f"/quantum/jobs/run/{job_id}/", {}),
    ):
        response = await client.request(method, path, json=body, headers=other_user.headers)
        assert response.status_code == 404, (method, path)
        assert response.json() == {"code": 404, "status": "Not Found", "message": message}
    response = await client.delete(f"/quantum/jobs/{job_id}/", headers=other_user.headers)
    assert response.status_code == 204
    assert (await get_job(client, user, job_id))["state"] == "FINISHED"
    listed = await client.get("/quantum/jobs/", headers=other_user.headers)
    assert listed.json() == []
    queue = await client.get("/quantum/jobs/queue/", headers=other_user.headers)
    assert queue.json() == {"runningJob": None, "queuedJobs": []}


async def test_rerun_makes_a_new_job_of_the_caller(
    client: httpx.AsyncClient, user: Account, seeded: None
) -> None:
    deployment = await deploy(client, user)
    first = await wait_for_job(client, user, (await submit(client, user, deployment["id"]))["id"])
    response = await client.post(
        f"/quantum/jobs/{first['id']}/", json={"command": "rerun"}, headers=user.headers
    )
    assert response.status_code == 200, response.text
    second = response.json()
    assert second["id"] != first["id"]
    assert second["executedBy"] == str(user.id)
    assert second["shots"] == first["shots"]
    assert second["deplyoment"] == first["deplyoment"]
    second = await wait_for_job(client, user, second["id"])
    assert second["state"] == "FINISHED"
    assert sum(second["results"][0]["data"].values()) == first["shots"]

    seed = await client.post(
        f"/quantum/jobs/rerun/{first['id']}/", json={"token": ""}, headers=user.headers
    )
    assert seed.status_code == 200
    third = seed.json()
    assert set(third) == {"id", "name", "state", "self", "deplyoment"}
    assert third["id"] not in (first["id"], second["id"])
    assert (await wait_for_job(client, user, third["id"]))["executedBy"] == str(user.id)
    # the first job is untouched
    assert (await get_job(client, user, first["id"]))["results"] == first["results"]


async def test_run_and_cancel_of_a_job_that_ran_are_400(
    client: httpx.AsyncClient, user: Account, seeded: None
) -> None:
    deployment = await deploy(client, user)
    job = await wait_for_job(client, user, (await submit(client, user, deployment["id"]))["id"])
    for path, body in (
        (f"/quantum/jobs/{job['id']}/", {"command": "run"}),
        (f"/quantum/jobs/{job['id']}/", {"command": "cancel"}),
        (f"/quantum/jobs/run/{job['id']}/", {"token": "", "pythonFileOptions": {}}),
        (f"/quantum/jobs/cancel/{job['id']}/", {"token": ""}),
    ):
        response = await client.post(path, json=body, headers=user.headers)
        assert response.status_code == 400, (path, response.text)
        assert "FINISHED" in response.json()["message"]
    bad = await client.post(
        f"/quantum/jobs/{job['id']}/", json={"command": "explode"}, headers=user.headers
    )
    assert bad.status_code == 422
    assert "command" in bad.json()["errors"]["json"]


async def test_delete_removes_the_job_and_its_results(
    app: FastAPI, client: httpx.AsyncClient, user: Account, seeded: None
) -> None:
    deployment = await deploy(client, user)
    job_id = (await submit(client, user, deployment["id"]))["id"]
    await wait_for_job(client, user, job_id)
    for _ in range(2):
        response = await client.delete(f"/quantum/jobs/{job_id}/", headers=user.headers)
        assert response.status_code == 204
        assert response.content == b""
    response = await client.get(f"/quantum/jobs/{job_id}/", headers=user.headers)
    assert response.status_code == 404
    async with app.state.database.sessionmaker() as session:
        assert await session.get(QuantumJob, job_id) is None
        left = await session.scalars(select(QuantumResult).where(QuantumResult.job_id == job_id))
        assert left.all() == []
        engine_jobs = await session.scalars(
            select(EngineJob).where(EngineJob.kind == QUANTUM_JOB_KIND, EngineJob.ref_id == job_id)
        )
        assert engine_jobs.all() == []
    # the deployment can go now
    response = await client.delete(
        f"/quantum/deployments/{deployment['id']}/", headers=user.headers
    )
    assert response.status_code == 204


async def test_paging_and_filters(
    client: httpx.AsyncClient, user: Account, other_user: Account, seeded: None
) -> None:
    one = await deploy(client, user, name="one")
    two = await deploy(client, user, name="two", programs=[program("broken", "QASM2")])
    jobs = [
        await submit(client, user, one["id"], "aer"),
        await submit(client, user, one["id"], "braket"),
        await submit(client, user, two["id"], "aer"),
    ]
    await submit(client, other_user, (await deploy(client, other_user))["id"])
    for job in jobs:
        await wait_for_job(client, user, job["id"])
    ids = [job["id"] for job in jobs]

    async def listed(query: str = "") -> list[int]:
        response = await client.get(f"/quantum/jobs/{query}", headers=user.headers)
        assert response.status_code == 200, (query, response.text)
        return [job["id"] for job in response.json()]

    assert await listed() == ids
    assert await listed(f"?deployment={one['id']}") == ids[:2]
    aer = (await get_job(client, user, ids[0]))["executedOn"]["id"]
    assert await listed(f"?device={aer}") == [ids[0], ids[2]]
    assert await listed(f"?device={aer}&deployment={one['id']}") == [ids[0]]
    assert await listed("?status=FINISHED") == ids[:2]
    assert await listed("?status=ERROR") == [ids[2]]
    assert await listed("?status=RUNNING") == []
    assert await listed("?item-count=2") == ids[:2]
    assert await listed("?item-count=2&page=2") == ids[2:]
    response = await client.get("/quantum/jobs/?item-count=2&page=3", headers=user.headers)
    assert response.status_code == 404
    for query, field in (
        ("?page=0", "page"),
        ("?item-count=0", "item-count"),
        ("?item-count=1001", "item-count"),
        ("?status=DONE", "status"),
        ("?deployment=-1", "deployment"),
        ("?device=x", "device"),
    ):
        response = await client.get(f"/quantum/jobs/{query}", headers=user.headers)
        assert response.status_code == 422, query
        assert field in response.json()["errors"]["query"], query


async def test_ids_in_paths_are_checked(client: httpx.AsyncClient, user: Account) -> None:
    for method, path in (
        ("GET", "/quantum/jobs/abc/"),
        ("GET", f"/quantum/jobs/{2**40}/"),
        ("DELETE", "/quantum/jobs/-1/"),
        ("GET", "/quantum/jobs/1/results/x/"),
        ("POST", "/quantum/jobs/cancel/abc/"),
    ):
        response = await client.request(method, path, headers=user.headers, json={})
        assert response.status_code == 422, (method, path, response.text)
    response = await client.get("/quantum/jobs/12345/", headers=user.headers)
    assert response.status_code == 404
    assert response.json()["message"] == "Job with id '12345' was not found."


async def test_every_job_route_needs_a_login(client: httpx.AsyncClient) -> None:
    for method, path in (
        ("GET", "/quantum/jobs/"),
        ("POST", "/quantum/jobs/"),
        ("GET", "/quantum/jobs/queue/"),
        ("GET", "/quantum/jobs/1/"),
        ("POST", "/quantum/jobs/1/"),
        ("DELETE", "/quantum/jobs/1/"),
        ("GET", "/quantum/jobs/1/results/"),
        ("GET", "/quantum/jobs/1/results/1/"),
        ("POST", "/quantum/jobs/run/1/"),
        ("POST", "/quantum/jobs/rerun/1/"),
        ("POST", "/quantum/jobs/cancel/1/"),
    ):
        response = await client.request(method, path, headers={"Authorization": "Bearer nope"})
        assert response.status_code == 401, (method, path)
        assert response.json()["code"] == 401


async def test_bell_deployment_in_the_reference_body_shape(
    client: httpx.AsyncClient, user: Account, seeded: None
) -> None:
    """qunicorn's own job request (`job_request_dto_ibm_test_data.json` shape: camelCase,
    token "", 4000 shots), on its QASM2 Bell deployment."""
    deployment = await deploy(client, user, programs=[program(BELL_QASM2)])
    response = await client.post(
        "/quantum/jobs/",
        json={
            "name": "JobName",
            "providerName": "IBM",
            "deviceName": "aer_simulator",
            "shots": 4000,
            "errorMitigation": "none",
            "cutToWidth": None,
            "token": "",
            "type": "RUNNER",
            "deploymentId": deployment["id"],
        },
        headers=user.headers,
    )
    assert response.status_code == 201, response.text
    job = await wait_for_job(client, user, response.json()["id"])
    counts = job["results"][0]["data"]
    assert set(counts) == {"0x0", "0x3"}
    assert abs(counts["0x0"] - 2000) < 200
