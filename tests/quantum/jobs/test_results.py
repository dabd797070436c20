"""What jobs compute, through the API: shots, SAMPLER, ESTIMATOR with the request's
observables, several registers, the same keys on every simulator, and ERROR results
(with messages, never server tracebacks) for programs that cannot run."""

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from qfractal.auth.tokens import load_secret
from qfractal.compute.sandbox import probe_isolation
from qfractal.quantum.models import QuantumJob
from qfractal.quantum.secrets import open_token
from tests.conftest import Account
from tests.quantum.api.conftest import deploy, program
from tests.quantum.jobs.conftest import DEVICES, results_by_program, submit, wait_for_job
from tests.quantum.programs import ASYMMETRIC, BELL, CASES

TWO_REGISTERS = """OPENQASM 2.0;
include "qelib1.inc";
qreg q[3];
creg a[1];
creg b[2];
x q[0];
x q[2];
measure q[0] -> a[0];
measure q[1] -> b[0];
measure q[2] -> b[1];
"""
"""a = 1, b = 2: the key is `0x2 0x1` (the last register first)."""

SUPERPOSED = """OPENQASM 2.0;
include "qelib1.inc";
qreg q[4];
creg c[4];
h q[0];
x q[2];
cx q[0],q[3];
measure q -> c;
"""
"""Keys 0x4 and 0xd, on every simulator."""


def _errors(job: dict) -> list[str]:
    return [r["data"]["exception_message"] for r in job["results"] if r["resultType"] == "ERROR"]


@pytest.mark.parametrize("shots", [1, 7, 100_000])
async def test_shots_are_honoured_on_every_device(
    client: httpx.AsyncClient, user: Account, seeded: None, shots: int
) -> None:
    deployment = await deploy(client, user)
    for device in DEVICES:
        job = await submit(client, user, deployment["id"], device, shots=shots)
        job = await wait_for_job(client, user, job["id"])
        assert job["state"] == "FINISHED", _errors(job)
        counts = job["results"][0]
        assert counts["resultType"] == "COUNTS"
        assert sum(counts["data"].values()) == shots, device
        assert counts["metadata"]["shots"] == shots


async def test_the_sampler_gives_counts_of_the_shots_asked_for(
    client: httpx.AsyncClient, user: Account, seeded: None
) -> None:
    deployment = await deploy(client, user, programs=[program(BELL.qasm2())])
    for device in DEVICES:
        created = await submit(client, user, deployment["id"], device, shots=3000, type="SAMPLER")
        job = await wait_for_job(client, user, created["id"])
        assert job["state"] == "FINISHED", _errors(job)
        assert job["type"] == "SAMPLER"
        assert [r["resultType"] for r in job["results"]] == ["COUNTS"]
        counts = job["results"][0]["data"]
        assert set(counts) == {"0x0", "0x3"}
        assert sum(counts.values()) == 3000


async def test_the_estimator_measures_the_requests_observables(
    client: httpx.AsyncClient, user: Account, seeded: None
) -> None:
    deployment = await deploy(client, user, programs=[program(BELL.qasm2())])
    observables = ["ZZ", {"XX": 2.0}, [["ZI", 0.5], ["IZ", 0.5]], "YY", "ZI"]
    created = await submit(
        client, user, deployment["id"], shots=400, type="ESTIMATOR", observables=observables
    )
    job = await wait_for_job(client, user, created["id"])
    assert job["state"] == "FINISHED", _errors(job)
    results = job["results"]
    assert [r["resultType"] for r in results] == ["VALUE_AND_VARIANCE"] * 5
    values = [(r["data"]["value"], r["data"]["variance"]) for r in results]
    expected = [(1.0, 0.0), (2.0, 0.0), (0.0, 1.0), (-1.0, 0.0), (0.0, 1.0)]
    for (value, variance), (want, want_variance) in zip(values, expected, strict=True):
        assert value == pytest.approx(want, abs=1e-9)
        assert variance == pytest.approx(want_variance, abs=1e-9)
    assert results[1]["metadata"]["observable"] == [["XX", 2.0]]
    assert results[2]["metadata"]["observable"] == [["ZI", 0.5], ["IZ", 0.5]]
    assert results[4]["metadata"]["shots"] == 400
    assert results[4]["metadata"]["standardError"] == pytest.approx(0.05)

    wrong_width = await submit(
        client, user, deployment["id"], type="ESTIMATOR", observables=["ZZZ"]
    )
    job = await wait_for_job(client, user, wrong_width["id"])
    assert job["state"] == "ERROR"
    assert "3 qubits" in _errors(job)[0]


async def test_registers_are_keyed_last_first_on_every_device(
    client: httpx.AsyncClient, user: Account, seeded: None
) -> None:
    deployment = await deploy(client, user, programs=[program(TWO_REGISTERS)])
    for device in DEVICES:
        created = await submit(client, user, deployment["id"], device, shots=50)
        job = await wait_for_job(client, user, created["id"])
        assert job["state"] == "FINISHED", (device, _errors(job))
        counts = job["results"][0]
        assert counts["data"] == {"0x2 0x1": 50}, device
        assert counts["metadata"]["registers"] == [
            {"name": "b", "size": 2},
            {"name": "a", "size": 1},
        ]
        assert job["results"][1]["data"] == {"0x2 0x1": 1.0}


async def test_the_same_circuit_gives_the_same_keys_everywhere(
    client: httpx.AsyncClient, user: Account, seeded: None
) -> None:
    deployment = await deploy(
        client, user, programs=[program(SUPERPOSED), program(ASYMMETRIC.qasm3(), "QASM3")]
    )
    keys = {}
    for device in DEVICES:
        created = await submit(client, user, deployment["id"], device, shots=400)
        job = await wait_for_job(client, user, created["id"])
        assert job["state"] == "FINISHED", _errors(job)
        keys[device] = [
            sorted(results["COUNTS"]["data"]) for results in results_by_program(job).values()
        ]
    assert keys["aer"] == keys["braket"] == keys["pyquil"] == [["0x4", "0xd"], ["0x6"]]


async def test_a_failing_program_gets_an_error_result_and_the_others_still_run(
    client: httpx.AsyncClient, user: Account, seeded: None
) -> None:
    python_error = "circuit = QuantumCircuit(1, 1)\nx = 1 / 0\n"
    deployment = await deploy(
        client,
        user,
        programs=[
            program("OPENQASM 2.0;\nqreg q[1];\nfoo q[0];\n"),
            program(python_error, "QISKIT_PYTHON"),
            program(BELL.qasm2()),
            program("print('no circuit')", "PYTHON"),
            program("circuit = 42", "QISKIT_PYTHON"),
            program("qc = QuantumCircuit(1, 1)", "QRISP_PYTHON"),
            program("circuit = QuantumCircuit(1, 1)", "QISKIT"),
        ],
    )
    created = await submit(client, user, deployment["id"], shots=100)
    job = await wait_for_job(client, user, created["id"])
    assert job["state"] == "ERROR"
    assert job["progress"] == 100
    assert job["finishedAt"] is not None
    by_program = results_by_program(job)
    links = [p["self"] for p in deployment["programs"]]
    assert list(by_program) == links
    assert list(by_program[links[0]]) == ["ERROR"]
    assert "foo" in by_program[links[0]]["ERROR"]["data"]["exception_message"]
    python = by_program[links[1]]["ERROR"]
    assert "ZeroDivisionError" in python["data"]["exception_message"]
    assert 'File "<program>", line 2, in <module>' in python["metadata"]["traceback"]
    assert sum(by_program[links[2]]["COUNTS"]["data"].values()) == 100
    assert "PYTHON" in by_program[links[3]]["ERROR"]["data"]["exception_message"]
    assert "QuantumCircuit" in by_program[links[4]]["ERROR"]["data"]["exception_message"]
    assert "'circuit'" in by_program[links[5]]["ERROR"]["data"]["exception_message"]
    assert "QISKIT_PYTHON" in by_program[links[6]]["ERROR"]["data"]["exception_message"]
    assert 'File "/' not in python["metadata"]["traceback"]  # the program's frames only
    for result in job["results"]:
        text = str({**result, "metadata": {**result["metadata"], "traceback": None}})
        for server_detail in ("/work", "site-packages", ".venv", "Traceback (most recent"):
            assert server_detail not in text, result


async def test_a_program_wider_than_the_device_is_an_error(
    client: httpx.AsyncClient, user: Account, seeded: None
) -> None:
    xx_ccx = CASES[4]
    deployment = await deploy(client, user, programs=[program(xx_ccx.qasm2())])
    created = await submit(client, user, deployment["id"], "2q-qvm", providerName="RIGETTI")
    job = await wait_for_job(client, user, created["id"])
    assert job["state"] == "ERROR"
    assert _errors(job) == ["the program uses 3 qubits; device '2q-qvm' has 2"]
    created = await submit(client, user, deployment["id"], "5q-qvm", providerName="RIGETTI")
    job = await wait_for_job(client, user, created["id"])
    assert job["results"][0]["data"] == {"0x7": 1000}


async def test_qunicorn_style_python_programs(
    client: httpx.AsyncClient, user: Account, seeded: None
) -> None:
    """The programs of qunicorn's own test data: a bare Braket expression (no measure),
    Qiskit statements on one line, a pyQuil program built with `Declare`."""
    quil = (
        "from pyquil import Program \n\nfrom pyquil.gates import * \n\n"
        "from pyquil.quilbase import Declare\n\ncircuit = Program(\n"
        'Declare("ro", "BIT", 2),\nH(0),\nCNOT(0, 1),\nMEASURE(0, ("ro", 0)),\n'
        'MEASURE(1, ("ro", 1)),\n)'
    )
    deployment = await deploy(
        client,
        user,
        programs=[
            program("Circuit().h(0).cnot(0, 1)", "BRAKET_PYTHON"),
            program(
                "circuit = QuantumCircuit(2, 2);circuit.h(0);circuit.cx(0, 1);"
                "circuit.measure(0, 0);circuit.measure(1, 1)",
                "QISKIT_PYTHON",
            ),
            program(quil, "QUIL_PYTHON"),
        ],
    )
    for device in DEVICES:
        created = await submit(client, user, deployment["id"], device, shots=1000)
        job = await wait_for_job(client, user, created["id"])
        assert job["state"] == "FINISHED", (device, _errors(job))
        for results in results_by_program(job).values():
            assert set(results["COUNTS"]["data"]) == {"0x0", "0x3"}, device


async def test_python_programs_cannot_reach_the_server(
    app: FastAPI, client: httpx.AsyncClient, user: Account, seeded: None
) -> None:
    """The sandbox's walls, as jobs raise them: the data folder hidden, no network, no
    server settings in the environment."""
    secret_file = app.state.settings.data_dir / "secret.txt"
    secret_file.parent.mkdir(parents=True, exist_ok=True)
    secret_file.write_text("the-secret")
    sources = [
        f"raise RuntimeError(open({str(secret_file)!r}).read())\n",
        "import os\nraise RuntimeError(sorted(k for k in os.environ if 'QFRACTAL' in k))\n",
    ]
    walls = probe_isolation()
    if walls.network is None:
        sources.append(
            "import socket\nsocket.create_connection(('127.0.0.1', 6379), timeout=2)\n"
            "raise RuntimeError('connected')\n"
        )
    deployment = await deploy(
        client, user, programs=[program(source, "QISKIT_PYTHON") for source in sources]
    )
    created = await submit(client, user, deployment["id"])
    job = await wait_for_job(client, user, created["id"])
    errors = _errors(job)
    assert len(errors) == len(sources)
    assert "the-secret" not in errors[0]
    assert "FileNotFoundError" in errors[0] or "PermissionError" in errors[0]
    assert errors[1].endswith("RuntimeError: []"), errors[1]
    if walls.network is None:
        assert "connected" not in errors[2]
        assert "OSError" in errors[2] or "Error" in errors[2]


async def test_a_token_is_kept_sealed_only_for_cloud_devices(
    app: FastAPI, client: httpx.AsyncClient, user: Account, seeded: None
) -> None:
    """Right after the POST (before the engine can end the job) the token is sealed in
    the row; local devices keep none."""
    deployment = await deploy(client, user)
    await app.state.engine.stop()  # nothing runs: the rows stay as the POST left them
    cloud = await submit(client, user, deployment["id"], "SV1", providerName="AWS", token="tok")
    local = await submit(client, user, deployment["id"], token="tok")
    async with app.state.database.sessionmaker() as session:
        sealed = await session.scalar(
            select(QuantumJob.provider_token_sealed).where(QuantumJob.id == cloud["id"])
        )
        none = await session.scalar(
            select(QuantumJob.provider_token_sealed).where(QuantumJob.id == local["id"])
        )
    assert sealed is not None and "tok" not in sealed
    assert open_token(load_secret(app.state.settings), sealed) == "tok"
    assert none is None
