"""The forms a job makes of its programs are stored (`quantum_program_form`) and reused
by later jobs: shown by changing a stored form in the database, after which a job runs
what is stored, not what the source says. Forms of other converters are not used."""

import io
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select, update

from qfractal.quantum.jobs.forms_store import converters_stamp
from qfractal.quantum.models import QuantumProgramForm
from tests.conftest import Account
from tests.quantum.api.conftest import deploy, program
from tests.quantum.jobs.conftest import submit, wait_for_job
from tests.quantum.jobs.sources import qiskit_python
from tests.quantum.programs import CASES

Y_CASE = next(case for case in CASES if case.name == "y")  # Y on qubit 0: 0x1
ZERO = 'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[1];\ncreg c[1];\nmeasure q[0] -> c[0];\n'


async def _run(client: httpx.AsyncClient, user: Account, deployment: int, device: str) -> Any:
    created = await submit(client, user, deployment, device, shots=50)
    job = await wait_for_job(client, user, created["id"])
    assert job["state"] == "FINISHED", job["results"]
    (counts,) = [r["data"] for r in job["results"] if r["resultType"] == "COUNTS"]
    return counts


async def _forms(app: FastAPI, program_id: int) -> dict[str, QuantumProgramForm]:
    async with app.state.database.sessionmaker() as session:
        rows = await session.scalars(
            select(QuantumProgramForm).where(QuantumProgramForm.program_id == program_id)
        )
        return {row.language: row for row in rows}


async def _set_form(app: FastAPI, program_id: int, language: str, **values: Any) -> None:
    async with app.state.database.sessionmaker() as session, session.begin():
        await session.execute(
            update(QuantumProgramForm)
            .where(
                QuantumProgramForm.program_id == program_id,
                QuantumProgramForm.language == language,
            )
            .values(**values)
        )


async def test_a_text_form_made_once_is_what_later_jobs_run(
    app: FastAPI, client: httpx.AsyncClient, user: Account, seeded: None
) -> None:
    """QASM2 on Braket's simulator goes through OpenQASM 3; the stored QASM3 form is used."""
    deployment = await deploy(client, user, programs=[program(ZERO)])
    program_id = deployment["programs"][0]["id"]
    assert await _run(client, user, deployment["id"], "braket") == {"0x0": 50}
    stored = await _forms(app, program_id)
    assert set(stored) == {"QASM3"} and "measure" in (stored["QASM3"].text or "")
    assert stored["QASM3"].steps == 2 and stored["QASM3"].converters == converters_stamp()
    flipped = (stored["QASM3"].text or "").replace("qubit[1] q;", "qubit[1] q;\nx q[0];")
    assert flipped != stored["QASM3"].text
    await _set_form(app, program_id, "QASM3", text=flipped)
    assert await _run(client, user, deployment["id"], "braket") == {"0x1": 50}
    # A form of other converters (another version) is not used, and is made again.
    await _set_form(app, program_id, "QASM3", converters="another version")
    assert await _run(client, user, deployment["id"], "braket") == {"0x0": 50}
    remade = (await _forms(app, program_id))["QASM3"]
    assert remade.converters == converters_stamp() and remade.text == stored["QASM3"].text


async def test_a_python_programs_circuit_is_collected_once(
    app: FastAPI, client: httpx.AsyncClient, user: Account, seeded: None
) -> None:
    """The second job runs the stored circuit: the user's code is not run again."""
    from qiskit import QuantumCircuit, qpy

    deployment = await deploy(
        client, user, programs=[program(qiskit_python(Y_CASE), "QISKIT_PYTHON")]
    )
    program_id = deployment["programs"][0]["id"]
    assert await _run(client, user, deployment["id"], "aer") == {"0x1": 50}
    stored = await _forms(app, program_id)
    assert set(stored) == {"QISKIT-PYTHON"} and stored["QISKIT-PYTHON"].data
    other = QuantumCircuit(1, 1)
    other.measure(0, 0)
    buffer = io.BytesIO()
    qpy.dump(other, buffer)
    await _set_form(app, program_id, "QISKIT-PYTHON", data=buffer.getvalue())
    assert await _run(client, user, deployment["id"], "aer") == {"0x0": 50}


async def test_forms_go_with_their_program(
    app: FastAPI, client: httpx.AsyncClient, user: Account, seeded: None
) -> None:
    deployment = await deploy(client, user, programs=[program(ZERO)])
    program_id = deployment["programs"][0]["id"]
    await _run(client, user, deployment["id"], "braket")
    assert await _forms(app, program_id)
    jobs = await client.delete(
        f"/quantum/deployments/{deployment['id']}/jobs/", headers=user.headers
    )
    assert jobs.status_code in (200, 204), jobs.text
    response = await client.delete(
        f"/quantum/deployments/{deployment['id']}/", headers=user.headers
    )
    assert response.status_code == 204, response.text
    assert await _forms(app, program_id) == {}
