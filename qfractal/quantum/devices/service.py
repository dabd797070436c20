"""Providers and devices: listing with filters, status, calibration, refresh.

Providers and devices are shared by all users. The status of a cloud device and the
refresh of IBM's device list ask the provider's cloud (in a worker thread: the SDK calls
block) with the user's token or the server's credentials (`settings`: QFRACTAL_IBM_TOKEN,
QFRACTAL_AWS_*, QFRACTAL_QMWARE_*).
The calibration of an IBM cloud device is not available yet (501).
"""

import asyncio
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_object_session
from sqlalchemy.orm import selectinload

from qfractal.config import Settings
from qfractal.errors import BadRequest, NotFound
from qfractal.quantum.devices.calibration import aer_configuration
from qfractal.quantum.enums import UNLIMITED_QUBITS, ProviderName
from qfractal.quantum.errors import NotSupported
from qfractal.quantum.models import Device, Provider
from qfractal.quantum.pilots import devices as cloud_devices
from qfractal.quantum.pilots.braket_cloud import CREDENTIAL_SETTINGS as AWS_SETTINGS
from qfractal.quantum.pilots.cloud import CloudAccess, cloud_access
from qfractal.quantum.pilots.ibm import TOKEN_SETTING as IBM_TOKEN_SETTING
from qfractal.quantum.pilots.ibm import is_fake_device
from qfractal.quantum.pilots.qmware import SETTINGS as QMWARE_SETTINGS
from qfractal.quantum.pilots.qmware import qmware_status

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


def _access(provider: ProviderName, token: str | None, settings: Settings) -> CloudAccess:
    """The request's token and the server's credentials."""
    return cloud_access(provider.value, token=token or None, settings=settings)


async def device_status(device: Device, *, token: str | None, settings: Settings) -> bool:
    """Whether the device takes jobs: local simulators and IBM's fake devices always do;
    a cloud device is asked of its provider's cloud (QMware: its API's health).

    Raises:
        BadRequest: the provider's credentials are missing (the message names them).
        CloudError: the provider's cloud failed the call (502).
        NotSupported: a cloud device of a provider without a cloud pilot.
    """
    if device.is_local:
        return True
    name = ProviderName(device.provider.name)
    if name is ProviderName.QMWARE:
        account = _access(name, token, settings).qmware
        if account is None:
            raise BadRequest(
                f"The status of QMware device '{device.name}' needs the server's QMware "
                f"account: set {QMWARE_SETTINGS}."
            )
        return await asyncio.to_thread(qmware_status, account)
    if name is ProviderName.IBM:
        if device.name.startswith("fake_") and await asyncio.to_thread(is_fake_device, device.name):
            return True
        access = _access(name, token, settings)
        if not access.ibm_token:
            raise BadRequest(
                f"The status of IBM cloud device '{device.name}' needs a provider token "
                f"(header {TOKEN_HEADER}) or the server's {IBM_TOKEN_SETTING}."
            )
        return await asyncio.to_thread(
            cloud_devices.ibm_device_operational,
            device.name,
            access.ibm_token,
            access.ibm_instance,
        )
    if name is ProviderName.AWS:
        credentials = _access(name, token, settings).aws
        if credentials is None:
            raise BadRequest(
                f"The status of AWS device '{device.name}' needs the server's AWS account: "
                f"set {', '.join(AWS_SETTINGS)}."
            )
        return await asyncio.to_thread(cloud_devices.aws_device_online, device.name, credentials)
    _require_token(device, token, "status")
    raise _cloud_api_needed(device, "status")


async def device_calibration(device: Device, *, token: str | None) -> dict[str, Any]:
    """The device's calibration data; only IBM devices have any (Aer: its configuration)."""
    if device.provider.name != ProviderName.IBM.value:
        raise NotSupported(f"{device.provider.name} devices have no calibration data.")
    if device.is_local:
        if device.name != AER_DEVICE:
            raise NotSupported(f"Local device '{device.name}' has no calibration data.")
        return await asyncio.to_thread(aer_configuration)
    _require_token(device, token, "calibration")
    raise _cloud_api_needed(device, "calibration")


async def refresh_devices(
    provider: Provider, *, token: str | None, settings: Settings
) -> Sequence[Device]:
    """Update the provider's device list and return its devices.

    IBM: the runtime's fake devices (`fake_*`, local noisy simulations) always and, with
    a token (the request's or the server's QFRACTAL_IBM_TOKEN), the account's backends;
    each is added or updated by name, and no device is deleted (jobs refer to them).
    The other providers' device lists are fixed: their devices as they are.

    Raises:
        CloudError: IBM refused the token or the call failed (502); nothing is changed.
    """
    session = async_object_session(provider)
    if session is None:
        raise RuntimeError("refresh_devices needs a provider loaded by a session")
    if provider.name == ProviderName.IBM.value:
        found = await asyncio.to_thread(cloud_devices.ibm_fake_devices)
        access = _access(ProviderName.IBM, token, settings)
        if access.ibm_token:
            found += await asyncio.to_thread(
                cloud_devices.ibm_cloud_devices, access.ibm_token, access.ibm_instance
            )
        await _upsert_devices(session, provider, found)
    return await list_devices(session, provider_id=provider.id)


async def _upsert_devices(
    session: AsyncSession, provider: Provider, found: Sequence[cloud_devices.DeviceInfo]
) -> None:
    """Add the devices `provider` lacks, update the others by name; delete none."""
    existing = {
        device.name: device
        for device in await session.scalars(select(Device).where(Device.provider_id == provider.id))
    }
    for info in found:
        device = existing.get(info.name)
        if device is None:
            device = Device(provider_id=provider.id, name=info.name)
            session.add(device)
            existing[info.name] = device
        device.num_qubits = info.num_qubits
        device.is_simulator = info.is_simulator
        device.is_local = info.is_local
    await session.flush()
