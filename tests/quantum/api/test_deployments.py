"""`/quantum/deployments/`: create, read, update, delete, programs, jobs, paging, name
patterns, owner scoping and the 2023 aliases."""

from datetime import datetime

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select

from qfractal.compute.engine.queue import enqueue
from qfractal.compute.models import EngineJob
from qfractal.quantum.enums import JobState
from qfractal.quantum.models import QUANTUM_JOB_KIND, QuantumJob, QuantumProgram, QuantumResult
from tests.conftest import Account
from tests.quantum.api.conftest import BELL_QASM2, add_job, deploy, program

ALL_LANGUAGES = (
    "QASM2",
    "QASM3",
    "QISKIT",
    "BRAKET",
    "QUIL",
    "QRISP",
    "PYTHON",
    "QISKIT_PYTHON",
    "BRAKET_PYTHON",
    "QUIL_PYTHON",
    "QRISP_PYTHON",
    "PYTHON_PYTHON",
)


async def test_create_and_read(client: httpx.AsyncClient, user: Account) -> None:
    created = await deploy(
        client,
        user,
        programs=[program(), program("circuit = QuantumCircuit(1)", "QISKIT_PYTHON")],
    )
    deployment_id = created["id"]
    base = f"http://testserver/quantum/deployments/{deployment_id}/"
    assert created["name"] == "bell"
    assert created["self"] == base
    first, second = created["programs"]
    assert set(first) == {"id", "assemblerLanguage", "self"}
    assert [first["assemblerLanguage"], second["assemblerLanguage"]] == ["QASM2", "QISKIT_PYTHON"]
    assert first["self"] == f"{base}programs/{first['id']}/"

    response = await client.get(f"/quantum/deployments/{deployment_id}/", headers=user.headers)
    assert response.status_code == 200
    full = response.json()
    assert full["deployedBy"] == str(user.id)
    assert datetime.fromisoformat(full["deployedAt"]).utcoffset() is not None
    assert full["jobs"] == f"{base}jobs/"
    assert full["programs"][0] == {
        "id": first["id"],
        "quantumCircuit": BELL_QASM2,
        "assemblerLanguage": "QASM2",
        "pythonFilePath": None,
        "pythonFileMetadata": None,
        "self": first["self"],
    }

    programs = await client.get(f"{base}programs/", headers=user.headers)
    assert [p["id"] for p in programs.json()] == [first["id"], second["id"]]
    assert programs.json()[1]["deployment"] == base
    one = await client.get(f"{base}programs/{second['id']}/", headers=user.headers)
    assert one.status_code == 200
    assert one.json()["quantumCircuit"] == "circuit = QuantumCircuit(1)"
    assert one.json()["assemblerLanguage"] == "QISKIT_PYTHON"


async def test_every_language_is_accepted_and_stored_as_its_value(
    app: FastAPI, client: httpx.AsyncClient, user: Account
) -> None:
    created = await deploy(client, user, programs=[program("x", name) for name in ALL_LANGUAGES])
    assert [p["assemblerLanguage"] for p in created["programs"]] == list(ALL_LANGUAGES)
    async with app.state.database.sessionmaker() as session:
        stored = (
            await session.scalars(
                select(QuantumProgram.assembler_language).order_by(QuantumProgram.id)
            )
        ).all()
    assert stored == [name.replace("_", "-") for name in ALL_LANGUAGES]
    # stored values, lower case and the 2023 name BASIQ are read too; answers use NAMEs
    created = await deploy(
        client,
        user,
        programs=[program("x", "QISKIT-PYTHON"), program("x", "qasm3"), program("x", "BASIQ")],
    )
    assert [p["assemblerLanguage"] for p in created["programs"]] == [
        "QISKIT_PYTHON",
        "QASM3",
        "QUIL",
    ]


async def test_snake_case_bodies_of_2023_clients(client: httpx.AsyncClient, user: Account) -> None:
    body = {"name": "seed", "programs": [{"quantum_circuit": "x", "assembler_language": "QASM3"}]}
    response = await client.post("/quantum/deployments/", json=body, headers=user.headers)
    assert response.status_code == 201, response.text
    assert response.json()["programs"][0]["assemblerLanguage"] == "QASM3"


async def test_invalid_bodies_name_the_field(client: httpx.AsyncClient, user: Account) -> None:
    cases = [
        ({"programs": []}, "name"),
        ({"name": "  ", "programs": []}, "name"),
        ({"name": "x" * 256}, "name"),
        ({"name": "a\u0000b"}, "name"),
        ({"name": "n", "programs": [{"assemblerLanguage": "QASM2"}]}, "programs.0.quantumCircuit"),
        ({"name": "n", "programs": [program(" \n ")]}, "programs.0.quantumCircuit"),
        ({"name": "n", "programs": [program("a\u0000")]}, "programs.0.quantumCircuit"),
        ({"name": "n", "programs": [program(None)]}, "programs.0.quantumCircuit"),
        ({"name": "n", "programs": [program(language=None)]}, "programs.0.assemblerLanguage"),
        ({"name": "n", "programs": [program(language="QASM4")]}, "programs.0.assemblerLanguage"),
        ({"name": "n", "programs": [program(language=3)]}, "programs.0.assemblerLanguage"),
        ({"name": "n", "programs": [program(), "oops"]}, "programs.1"),
        ({"name": "n", "programs": "QASM2"}, "programs"),
        (
            {"name": "n", "programs": [program(pythonFilePath="p" * 501)]},
            "programs.0.pythonFilePath",
        ),
    ]
    for body, field in cases:
        response = await client.post("/quantum/deployments/", json=body, headers=user.headers)
        assert response.status_code == 422, (body, response.text)
        assert field in response.json()["errors"]["json"], (body, response.json())
    not_json = await client.post(
        "/quantum/deployments/",
        content=b"{",
        headers={**user.headers, "content-type": "application/json"},
    )
    assert not_json.status_code == 422
    assert not_json.json()["code"] == 422


async def test_list_paging_and_empty_pages(client: httpx.AsyncClient, user: Account) -> None:
    ids = [(await deploy(client, user, name=f"d{i}"))["id"] for i in range(5)]

    async def page(query: str) -> httpx.Response:
        return await client.get(f"/quantum/deployments/{query}", headers=user.headers)

    everything = (await page("")).json()
    assert [d["id"] for d in everything] == ids
    assert set(everything[0]) == {"id", "name", "programs", "self"}
    assert [d["id"] for d in (await page("?item-count=2")).json()] == ids[:2]
    assert [d["id"] for d in (await page("?item-count=2&page=3")).json()] == ids[4:]
    empty = await page("?item-count=2&page=4")
    assert empty.status_code == 404
    assert empty.json()["code"] == 404
    assert (await page("?page=2")).status_code == 404
    huge_page = await page("?page=2147483647&item-count=1000")
    assert huge_page.status_code == 404


async def test_first_page_may_be_empty(client: httpx.AsyncClient, user: Account) -> None:
    response = await client.get("/quantum/deployments/", headers=user.headers)
    assert response.status_code == 200
    assert response.json() == []


async def test_name_patterns(client: httpx.AsyncClient, user: Account) -> None:
    for name in ("QASM bell", "qasm ghz", "Braket", "100%", "a_b", "axb", "back\\slash"):
        await deploy(client, user, name=name)

    async def names(pattern: str) -> list[str]:
        response = await client.get(
            "/quantum/deployments/", params={"name": pattern}, headers=user.headers
        )
        assert response.status_code == 200, response.text
        return [d["name"] for d in response.json()]

    assert await names("QASM%") == ["QASM bell", "qasm ghz"]  # case-insensitive
    assert await names("braket") == ["Braket"]
    assert await names("%bell") == ["QASM bell"]
    assert await names("100\\%") == ["100%"]
    assert await names("100") == []
    assert await names("a_b") == ["a_b"]  # `_` is not a wildcard
    assert await names("back\\\\slash") == ["back\\slash"]
    assert await names("%\\") == []
    assert await names("%") == [
        "QASM bell",
        "qasm ghz",
        "Braket",
        "100%",
        "a_b",
        "axb",
        "back\\slash",
    ]


async def test_update(app: FastAPI, client: httpx.AsyncClient, user: Account) -> None:
    created = await deploy(client, user, programs=[program(), program()])
    path = f"/quantum/deployments/{created['id']}/"
    before = (await client.get(path, headers=user.headers)).json()

    renamed = await client.put(path, json={"name": "renamed"}, headers=user.headers)
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["name"] == "renamed"
    assert renamed.json()["programs"] == before["programs"]
    assert renamed.json()["deployedAt"] >= before["deployedAt"]

    replaced = await client.put(
        path,
        json={"name": "renamed", "programs": [program("OPENQASM 3.0;", "QASM3")]},
        headers=user.headers,
    )
    assert replaced.status_code == 200
    programs = replaced.json()["programs"]
    assert [p["assemblerLanguage"] for p in programs] == ["QASM3"]
    async with app.state.database.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(QuantumProgram)) == 1

    # programs with jobs stay: their results refer to them
    await add_job(app, user, created["id"])
    refused = await client.put(
        path, json={"name": "again", "programs": [program()]}, headers=user.headers
    )
    assert refused.status_code == 400
    assert "job" in refused.json()["message"]
    assert (await client.get(path, headers=user.headers)).json()["name"] == "renamed"
    assert (await client.put(path, json={"name": "again"}, headers=user.headers)).status_code == 200

    bad = await client.put(path, json={"programs": []}, headers=user.headers)
    assert bad.status_code == 422 and "name" in bad.json()["errors"]["json"]
    missing = await client.put(
        "/quantum/deployments/999999/", json={"name": "x"}, headers=user.headers
    )
    assert missing.status_code == 404


async def test_delete_is_repeatable_and_refused_while_jobs_exist(
    app: FastAPI, client: httpx.AsyncClient, user: Account
) -> None:
    free = await deploy(client, user)
    path = f"/quantum/deployments/{free['id']}/"
    assert (await client.delete(path, headers=user.headers)).status_code == 204
    assert (await client.get(path, headers=user.headers)).status_code == 404
    assert (await client.delete(path, headers=user.headers)).status_code == 204
    assert (
        await client.delete("/quantum/deployments/424242/", headers=user.headers)
    ).status_code == 204
    async with app.state.database.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(QuantumProgram)) == 0

    used = await deploy(client, user)
    path = f"/quantum/deployments/{used['id']}/"
    await add_job(app, user, used["id"])
    refused = await client.delete(path, headers=user.headers)
    assert refused.status_code == 400
    assert refused.json() == {
        "code": 400,
        "status": "Bad Request",
        "message": f"Deployment '{used['id']}' is in use by 1 job(s); delete them first.",
    }
    assert (await client.get(path, headers=user.headers)).status_code == 200
    deleted = await client.delete(f"{path}jobs/", headers=user.headers)
    assert deleted.status_code == 200
    assert (await client.delete(path, headers=user.headers)).status_code == 204


async def test_deployment_jobs(app: FastAPI, client: httpx.AsyncClient, user: Account) -> None:
    created = await deploy(client, user)
    other = await deploy(client, user, name="other")
    jobs_path = f"/quantum/deployments/{created['id']}/jobs/"
    assert (await client.get(jobs_path, headers=user.headers)).json() == []

    finished = await add_job(app, user, created["id"])
    failed = await add_job(app, user, created["id"], state=JobState.ERROR)
    kept = await add_job(app, user, other["id"])
    async with app.state.database.sessionmaker() as session, session.begin():
        for job_id in (finished, failed, kept):
            engine_job = await enqueue(session, kind=QUANTUM_JOB_KIND, ref_id=job_id)
            engine_job.status = "done"

    listed = (await client.get(jobs_path, headers=user.headers)).json()
    assert listed == [
        {
            "id": finished,
            "name": "job",
            "state": "FINISHED",
            "self": f"http://testserver/quantum/jobs/{finished}/",
            "deplyoment": f"http://testserver/quantum/deployments/{created['id']}/",
        },
        {
            "id": failed,
            "name": "job",
            "state": "ERROR",
            "self": f"http://testserver/quantum/jobs/{failed}/",
            "deplyoment": f"http://testserver/quantum/deployments/{created['id']}/",
        },
    ]
    # the 2023 path without the trailing slash is the same list
    assert (await client.get(jobs_path.rstrip("/"), headers=user.headers)).json() == listed

    deleted = await client.delete(jobs_path, headers=user.headers)
    assert deleted.status_code == 200
    assert deleted.json() == listed
    assert (await client.get(jobs_path, headers=user.headers)).json() == []
    assert (await client.delete(jobs_path, headers=user.headers)).json() == []
    async with app.state.database.sessionmaker() as session:
        results = await session.scalars(select(QuantumResult.job_id))
        assert set(results) == {kept}
        engine_jobs = await session.scalars(select(EngineJob.ref_id))
        assert set(engine_jobs) == {kept}


async def test_jobs_that_may_still_run_are_not_deleted(
    app: FastAPI, client: httpx.AsyncClient, user: Account
) -> None:
    created = await deploy(client, user)
    jobs_path = f"/quantum/deployments/{created['id']}/jobs"
    done = await add_job(app, user, created["id"])
    for state in (JobState.READY, JobState.RUNNING):
        active = await add_job(app, user, created["id"], state=state, with_result=False)
        refused = await client.delete(jobs_path, headers=user.headers)
        assert refused.status_code == 400
        assert str(active) in refused.json()["message"]
        async with app.state.database.sessionmaker() as session, session.begin():
            job = await session.get(QuantumJob, active)
            assert job is not None
            job.state = JobState.CANCELED.value
    listed = (await client.get(jobs_path, headers=user.headers)).json()
    assert listed[0]["id"] == done
    deleted = await client.delete(jobs_path, headers=user.headers)
    assert deleted.status_code == 200
    assert [job["state"] for job in deleted.json()] == ["FINISHED", "CANCELED", "CANCELED"]


async def test_other_users_see_nothing(
    app: FastAPI, client: httpx.AsyncClient, user: Account, other_user: Account
) -> None:
    created = await deploy(client, user)
    await add_job(app, user, created["id"])
    base = f"/quantum/deployments/{created['id']}/"
    program_id = created["programs"][0]["id"]
    assert (await client.get("/quantum/deployments/", headers=other_user.headers)).json() == []
    for method, path in (
        ("GET", base),
        ("GET", f"{base}programs/"),
        ("GET", f"{base}programs/{program_id}/"),
        ("GET", f"{base}jobs/"),
        ("GET", f"{base}jobs"),
        ("DELETE", f"{base}jobs/"),
        ("DELETE", f"{base}jobs"),
    ):
        response = await client.request(method, path, headers=other_user.headers)
        assert response.status_code == 404, (method, path)
        assert response.json() == {
            "code": 404,
            "status": "Not Found",
            "message": f"Deployment with id '{created['id']}' was not found.",
        }
    put = await client.put(base, json={"name": "mine"}, headers=other_user.headers)
    assert put.status_code == 404
    # deleting another user's deployment is a no-op, as for a missing one
    assert (await client.delete(base, headers=other_user.headers)).status_code == 204
    still = await client.get(base, headers=user.headers)
    assert still.status_code == 200 and still.json()["name"] == "bell"
    assert len((await client.get(f"{base}jobs/", headers=user.headers)).json()) == 1


async def test_superusers_have_no_extra_access(
    client: httpx.AsyncClient, user: Account, superuser: Account
) -> None:
    created = await deploy(client, user)
    response = await client.get(f"/quantum/deployments/{created['id']}/", headers=superuser.headers)
    assert response.status_code == 404
    assert (await client.get("/quantum/deployments/", headers=superuser.headers)).json() == []


async def test_program_of_another_deployment_is_not_found(
    client: httpx.AsyncClient, user: Account
) -> None:
    first = await deploy(client, user)
    second = await deploy(client, user, name="second")
    program_id = second["programs"][0]["id"]
    response = await client.get(
        f"/quantum/deployments/{first['id']}/programs/{program_id}/", headers=user.headers
    )
    assert response.status_code == 404
    assert "Program" in response.json()["message"]
