"""Seeding the standard providers and devices (`qfractal init`), idempotently.

Missing providers, pilot languages and devices are created; existing rows are left as
they are (a device refreshed from its provider keeps what the provider said).
"""

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from qfractal.quantum.devices.catalog import STANDARD_PROVIDERS, StandardProvider
from qfractal.quantum.models import Device, Provider, ProviderAssemblerLanguage


@dataclass
class SeedReport:
    providers_created: int = 0
    languages_created: int = 0
    devices_created: int = 0
    devices_present: int = 0

    def line(self) -> str:
        if not (self.providers_created or self.languages_created or self.devices_created):
            return f"quantum providers and their {self.devices_present} standard devices are ready"
        return (
            f"quantum providers: created {self.providers_created} providers, "
            f"{self.languages_created} pilot languages, {self.devices_created} devices "
            f"({self.devices_present} devices already present)"
        )


async def _ensure_provider(
    session: AsyncSession, standard: StandardProvider, report: SeedReport
) -> Provider:
    provider = await session.scalar(select(Provider).where(Provider.name == standard.name.value))
    if provider is None:
        provider = Provider(name=standard.name.value, with_token=standard.with_token)
        session.add(provider)
        await session.flush()
        report.providers_created += 1
    languages = set(
        await session.scalars(
            select(ProviderAssemblerLanguage.language).where(
                ProviderAssemblerLanguage.provider_id == provider.id
            )
        )
    )
    for language in standard.pilot_languages:
        if language.value not in languages:
            session.add(ProviderAssemblerLanguage(provider_id=provider.id, language=language.value))
            report.languages_created += 1
    return provider


async def seed_standard_providers(session: AsyncSession) -> SeedReport:
    """Create what is missing of the standard catalog; safe to run any number of times."""
    report = SeedReport()
    for standard in STANDARD_PROVIDERS:
        provider = await _ensure_provider(session, standard, report)
        present = set(
            await session.scalars(select(Device.name).where(Device.provider_id == provider.id))
        )
        for device in standard.devices:
            if device.name in present:
                report.devices_present += 1
                continue
            session.add(
                Device(
                    provider_id=provider.id,
                    name=device.name,
                    num_qubits=device.num_qubits,
                    is_simulator=device.is_simulator,
                    is_local=device.is_local,
                )
            )
            report.devices_created += 1
        await session.flush()
    return report
