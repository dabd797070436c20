"""Seeding at `qfractal init`: the standard catalog, created once, kept on re-runs."""

from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from qfractal import bootstrap
from qfractal.db.engine import create_sync_db_engine
from qfractal.quantum.devices.catalog import STANDARD_PROVIDERS
from qfractal.quantum.devices.seed import seed_standard_providers
from qfractal.quantum.models import Device, Provider, ProviderAssemblerLanguage
from tests.databases import empty_database
from tests.e2e.live_server import ADMIN, qfractal, server_env

TABLES = (Provider, ProviderAssemblerLanguage, Device)


async def _counts(app: FastAPI) -> dict[str, int]:
    async with app.state.database.sessionmaker() as session:
        return {
            model.__tablename__: await session.scalar(select(func.count()).select_from(model)) or 0
            for model in TABLES
        }


async def test_seeding_twice_changes_nothing(app: FastAPI) -> None:
    async with app.state.database.sessionmaker() as session, session.begin():
        first = await seed_standard_providers(session)
    expected_devices = sum(len(p.devices) for p in STANDARD_PROVIDERS)
    assert (first.providers_created, first.languages_created) == (4, 4)
    assert first.devices_created == expected_devices
    after_first = await _counts(app)
    assert after_first == {
        "quantum_provider": 4,
        "quantum_provider_language": 4,
        "quantum_device": expected_devices,
    }
    async with app.state.database.sessionmaker() as session, session.begin():
        second = await seed_standard_providers(session)
    assert (second.providers_created, second.devices_created) == (0, 0)
    assert second.devices_present == expected_devices
    assert "are ready" in second.line()
    assert await _counts(app) == after_first


async def test_seeding_keeps_existing_devices_and_adds_missing_ones(app: FastAPI) -> None:
    async with app.state.database.sessionmaker() as session, session.begin():
        await seed_standard_providers(session)
    async with app.state.database.sessionmaker() as session, session.begin():
        aer = await session.scalar(select(Device).where(Device.name == "aer_simulator"))
        assert aer is not None
        aer.num_qubits = 31  # as a refresh from the provider might have set it
        qvm = await session.scalar(select(Device).where(Device.name == "9q-qvm"))
        await session.delete(qvm)
    async with app.state.database.sessionmaker() as session, session.begin():
        report = await seed_standard_providers(session)
    assert report.devices_created == 1
    async with app.state.database.sessionmaker() as session:
        aer_qubits = await session.scalar(
            select(Device.num_qubits).where(Device.name == "aer_simulator")
        )
        assert aer_qubits == 31
        assert await session.scalar(select(Device.id).where(Device.name == "9q-qvm"))


async def test_initialize_seeds_the_quantum_catalog(app: FastAPI) -> None:
    for _ in range(2):
        async with app.state.database.sessionmaker() as session, session.begin():
            report = await bootstrap.initialize(
                session, app.state.settings, admin_email=None, admin_password=None
            )
    assert any("quantum providers" in line for line in report.lines)
    assert (await _counts(app))["quantum_provider"] == 4


def test_catalog_facts() -> None:
    by_name = {p.name.value: p for p in STANDARD_PROVIDERS}
    devices = {(p.name.value, d.name): d for p in STANDARD_PROVIDERS for d in p.devices}
    assert devices["IBM", "aer_simulator"].is_local
    assert devices["IBM", "aer_simulator"].num_qubits == -1
    assert not devices["QMWARE", "dev-gpu"].is_local
    assert not devices["QMWARE", "dev"].is_local
    assert all(devices["RIGETTI", name].is_local for name in ("2q-qvm", "5q-qvm", "9q-qvm"))
    assert devices["AWS", "local_simulator"].is_local
    assert [language.name for language in by_name["QMWARE"].pilot_languages] == ["QASM2"]
    for provider in STANDARD_PROVIDERS:
        names = [d.name for d in provider.devices]
        assert len(names) == len(set(names)), provider.name


@pytest.mark.e2e
def test_qfractal_init_twice(tmp_path: Path) -> None:
    """The real command: the second run creates nothing."""
    with empty_database(tmp_path) as url:
        env = server_env(tmp_path / "data", url)
        args = ("init", "--admin-email", ADMIN[0], "--admin-password", ADMIN[1])
        first = qfractal(env, *args)
        assert first.returncode == 0, first.stderr
        assert "quantum providers: created 4 providers" in first.stdout
        second = qfractal(env, *args)
        assert second.returncode == 0, second.stderr
        assert "standard devices are ready" in second.stdout
        engine = create_sync_db_engine(url)
        try:
            with engine.connect() as conn:
                counts = {
                    model.__tablename__: conn.scalar(select(func.count()).select_from(model))
                    for model in TABLES
                }
        finally:
            engine.dispose()
        expected_devices = sum(len(p.devices) for p in STANDARD_PROVIDERS)
        assert counts == {
            "quantum_provider": 4,
            "quantum_provider_language": 4,
            "quantum_device": expected_devices,
        }
