"""Every program language on every local device, through the HTTP API and the engine:
qunicorn's test circuits give their expected keys (Bell ≈ 50/50 `0x0`/`0x3`, H·H+CX only
`0x0`, HSSH and HZH `0x1`, X,X,CCX `0x7`, Y `0x1`, and an asymmetric circuit that any
bit-order mix-up would change), with the shots asked for."""

import httpx
import pytest

from tests.conftest import Account
from tests.quantum.api.conftest import deploy
from tests.quantum.jobs.conftest import DEVICES, results_by_program, submit, wait_for_job
from tests.quantum.jobs.sources import SOURCES, program_of
from tests.quantum.programs import ASYMMETRIC, CASES, assert_counts

SHOTS = 2000


@pytest.mark.parametrize("language", list(SOURCES))
async def test_every_case_on_every_local_device(
    client: httpx.AsyncClient, user: Account, seeded: None, language: str
) -> None:
    cases = (*CASES, ASYMMETRIC)
    deployment = await deploy(
        client, user, name=language, programs=[program_of(language, case) for case in cases]
    )
    program_links = [program["self"] for program in deployment["programs"]]
    jobs = {
        device: await submit(client, user, deployment["id"], device, shots=SHOTS)
        for device in DEVICES
    }
    for device, created in jobs.items():
        job = await wait_for_job(client, user, created["id"])
        errors = [r["data"] for r in job["results"] if r["resultType"] == "ERROR"]
        assert job["state"] == "FINISHED", (device, errors)
        assert job["progress"] == 100
        results = results_by_program(job)
        assert list(results) == program_links, device
        for case, link in zip(cases, program_links, strict=True):
            counts = results[link]["COUNTS"]
            assert counts["metadata"]["shots"] == SHOTS
            assert counts["metadata"]["format"] == "hex"
            assert_counts(counts["data"], case, SHOTS)
            probabilities = results[link]["PROBABILITIES"]["data"]
            assert set(probabilities) == set(case.expected)
            assert sum(probabilities.values()) == pytest.approx(1.0)
