"""Providers and devices: listing with filters, status, calibration, refresh.

Providers and devices are shared by all users; only the cloud paths (status of a cloud
device, calibration of an IBM cloud device, refreshing the device list) need the
provider's cloud API, which this server does not call yet: they answer 501.
"""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from qfractal.config import Settings
from qfractal.errors import BadRequest, NotFound
from qfractal.quantum.devices.calibration import AER_CONFIGURATION
from qfractal.quantum.enums import UNLIMITED_QUBITS, ProviderName
from qfractal.quantum.errors import NotSupported
from qfractal.quantum.jobs.workers import worker_pool
from qfractal.quantum.models import Device, Provider

AER_DEVICE = "aer_simulator"
TOKEN_HEADER = "X-Qunicorn-Provider-Token"


def _providers() -> Select[tuple[Provider]]:
    return select(Provider).options(selectinload(Provider.languages)).order_by(Provider.id)


def _devices() -> Select[tuple[Device]]:
    return (
        select(Device)
        .options(selectinload(Device.provider).selectinload(Provider.languages))
        .order_by(Device.id)
    )


async def list_providers(session: AsyncSession, *, name: str | None = None) -> Sequence[Provider]:
    """Every provider, or the one called `name` (any case)."""
    statement = _providers()
    if name is not None:
        statement = statement.where(Provider.name == name.strip().upper())
    return (await session.scalars(statement)).all()


async def get_provider(session: AsyncSession, provider_id: int) -> Provider:
    provider = await session.scalar(_providers().where(Provider.id == provider_id))
    if provider is None:
        raise NotFound(f"Provider with id '{provider_id}' was not found.")
    return provider


async def get_provider_by_name(session: AsyncSession, name: ProviderName) -> Provider:
    provider = await session.scalar(_providers().where(Provider.name == name.value))
    if provider is None:
        raise NotFound(f"Provider '{name.value}' was not found.")
    return provider


async def list_devices(
    session: AsyncSession,
    *,
    provider_id: int | None = None,
    min_qubits: int | None = None,
    is_simulator: bool | None = None,
    is_local: bool | None = None,
) -> Sequence[Device]:
    """Devices passing every filter given; a device without a qubit limit (-1) passes
    any `min_qubits`."""
    statement = _devices()
    if provider_id is not None:
        statement = statement.where(Device.provider_id == provider_id)
    if min_qubits is not None:
        statement = statement.where(
            or_(Device.num_qubits >= min_qubits, Device.num_qubits == UNLIMITED_QUBITS)
        )
    if is_simulator is not None:
        statement = statement.where(Device.is_simulator == is_simulator)
    if is_local is not None:
        statement = statement.where(Device.is_local == is_local)
    return (await session.scalars(statement)).all()


async def get_device(session: AsyncSession, device_id: int) -> Device:
    device = await session.scalar(_devices().where(Device.id == device_id))
    if device is None:
        raise NotFound(f"Device with id '{device_id}' was not found.")
    return device


def _require_token(device: Device, token: str | None, what: str) -> None:
    if device.provider.with_token and not token:
        raise BadRequest(
            f"The {what} of {device.provider.name} cloud device '{device.name}' needs a "
            f"provider token (header {TOKEN_HEADER})."
        )


def _cloud_api_needed(device: Device, what: str) -> NotSupported:
    return NotSupported(
        f"The {what} of cloud device '{device.name}' needs the {device.provider.name} cloud "
        "API, which this server does not call yet."
    )


async def device_status(device: Device, *, token: str | None) -> bool:
    """Whether the device takes jobs: local simulators always do."""
    if device.is_local:
        return True
    _require_token(device, token, "status")
    raise _cloud_api_needed(device, "status")


async def device_calibration(
    device: Device, *, token: str | None, settings: Settings
) -> dict[str, Any]:
    """The device's calibration data; only IBM devices have any (Aer: its configuration)."""
    if device.provider.name != ProviderName.IBM.value:
        raise NotSupported(f"{device.provider.name} devices have no calibration data.")
    if device.is_local:
        if device.name != AER_DEVICE:
            raise NotSupported(f"Local device '{device.name}' has no calibration data.")
        pool = await worker_pool(settings)
        configuration: dict[str, Any] = await pool.run(AER_CONFIGURATION)
        return configuration
    _require_token(device, token, "calibration")
    raise _cloud_api_needed(device, "calibration")


async def refresh_devices(provider: Provider, *, token: str | None) -> Sequence[Device]:
    """Update the provider's device list from its cloud (not available yet: 501)."""
    raise NotSupported(
        f"Refreshing the devices of {provider.name} needs the provider's cloud API, which "
        "this server does not call yet; the standard devices are listed."
    )
