"""Providers and devices: listing with filters, status, calibration, refresh.

Providers and devices are shared by all users. Status, calibration and refresh ask the
provider's SDK in the worker of the device-query pool (`qfractal.quantum.pilots.devices`),
never in the server's process, with the user's token or the server's credentials.
"""

import logging
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from qfractal.compute.pool import CallFailed, CallTimeout, WorkerPoolError
from qfractal.config import Settings
from qfractal.db.integrity import flush_or_raise
from qfractal.errors import BadRequest, NotFound, QfractalError
from qfractal.quantum.enums import UNLIMITED_QUBITS, ProviderName
from qfractal.quantum.errors import NotSupported
from qfractal.quantum.jobs.workers import query_pool
from qfractal.quantum.models import Device, Provider
from qfractal.quantum.pilots.braket_cloud import CREDENTIAL_SETTINGS as AWS_SETTINGS
from qfractal.quantum.pilots.cloud import CloudAccess, cloud_access
from qfractal.quantum.pilots.devices import DEVICE_CALIBRATION, DEVICE_STATUS, PROVIDER_DEVICES
from qfractal.quantum.pilots.errors import CloudError, MissingCredentials, UnknownCloudDevice
from qfractal.quantum.pilots.ibm import TOKEN_SETTING as IBM_TOKEN_SETTING
from qfractal.quantum.pilots.qmware import SETTINGS as QMWARE_SETTINGS
from qfractal.quantum.pilots.types import DeviceInfo

logger = logging.getLogger(__name__)

TOKEN_HEADER = "X-Qunicorn-Provider-Token"
FAKE_PREFIX = "fake_"
"""IBM's fake devices are local, but their status and calibration come from the SDK."""
PROVIDER_TIMEOUT = 120.0
"""Seconds a provider may take to answer a status, calibration or device list."""


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


async def device_status(device: Device, *, token: str | None, settings: Settings) -> bool:
    """Whether the device takes jobs: local devices always do; a cloud device is asked
    of its provider (QMware: whether its API is up).

    Raises:
        BadRequest: the provider's credentials are missing (the message names them).
        CloudError: the provider failed the call (502).
    """
    if device.is_local and not device.name.startswith(FAKE_PREFIX):
        return True
    available: bool = await _ask_provider(DEVICE_STATUS, device, token, settings, "status")
    return available


async def device_calibration(
    device: Device, *, token: str | None, settings: Settings
) -> dict[str, Any]:
    """The device's calibration data: only IBM devices have any, their configuration
    (Aer's own for `aer_simulator`).

    Raises:
        NotSupported: a device without calibration data (501).
        BadRequest, CloudError: as `device_status`.
    """
    if device.provider.name != ProviderName.IBM.value:
        raise NotSupported(f"{device.provider.name} devices have no calibration data.")
    configuration: dict[str, Any] = await _ask_provider(
        DEVICE_CALIBRATION, device, token, settings, "calibration"
    )
    return configuration


async def refresh_devices(
    session: AsyncSession, provider: Provider, *, token: str | None, settings: Settings
) -> Sequence[Device]:
    """Update the provider's device list from the provider and return its devices.

    IBM: the runtime's fake devices (`fake_*`, noisy simulations run here) always and,
    with a token (the request's or QFRACTAL_IBM_TOKEN), the account's backends. Each is
    added or updated by name; none is deleted (jobs refer to them).

    Raises:
        NotSupported: the provider has no device list to refresh from (501).
        CloudError: IBM refused the token or failed (502); nothing is changed.
    """
    name = ProviderName(provider.name)
    if name is not ProviderName.IBM:
        raise NotSupported(
            f"{provider.name} has no device list to refresh from; its standard devices are listed."
        )
    access = cloud_access(name.value, token=token or None, settings=settings)
    found = await _in_worker(PROVIDER_DEVICES, {"access": access.to_json()}, name)
    await _upsert_devices(session, provider, [DeviceInfo(**info) for info in found])
    return await list_devices(session, provider_id=provider.id)


async def _ask_provider(
    function: str, device: Device, token: str | None, settings: Settings, what: str
) -> Any:
    name = ProviderName(device.provider.name)
    access = cloud_access(name.value, token=token or None, settings=settings)
    missing = _missing_credentials(access, device)
    if missing:
        raise BadRequest(f"The {what} of {name.value} device '{device.name}' needs {missing}.")
    request = {"access": access.to_json(), "device": device.name}
    return await _in_worker(function, request, name)


def _missing_credentials(access: CloudAccess, device: Device) -> str | None:
    """What the call lacks, if anything: local devices need nothing."""
    if device.is_local:
        return None
    if access.provider is ProviderName.IBM and not access.ibm_token:
        return f"a provider token (header {TOKEN_HEADER}) or the server's {IBM_TOKEN_SETTING}"
    if access.provider is ProviderName.AWS and access.aws is None:
        return f"the server's AWS account: set {', '.join(AWS_SETTINGS)}"
    if access.provider is ProviderName.QMWARE and access.qmware is None:
        return f"the server's QMware account: set {QMWARE_SETTINGS}"
    return None


async def _in_worker(function: str, request: Any, name: ProviderName) -> Any:
    """`function(request)` in the device-query pool's worker; its errors as ours.

    Raises:
        CloudError: the provider failed, did not answer in time, or the worker died.
    """
    pool = await query_pool()
    try:
        return await pool.run(function, request, timeout=PROVIDER_TIMEOUT)
    except CallFailed as exc:
        known = _PASSED_ON.get(exc.error_type)
        if known is not None:
            raise known(exc.remote_message) from None
        logger.error("%s failed in a worker: %s\n%s", function, exc, exc.remote_traceback)
        raise CloudError(f"Asking {name.value} failed (details in the server log).") from None
    except CallTimeout:
        raise CloudError(
            f"{name.value} did not answer within {PROVIDER_TIMEOUT:g} seconds."
        ) from None
    except WorkerPoolError as exc:
        logger.error("%s: %s: %s", function, type(exc).__name__, exc)
        raise CloudError(f"Asking {name.value} failed (details in the server log).") from None


_PASSED_ON: dict[str, type[QfractalError]] = {
    f"{error.__module__}.{error.__qualname__}": error
    for error in (CloudError, MissingCredentials, UnknownCloudDevice, NotSupported)
}
"""Errors of the worker functions that are the client's answer as they are."""


async def _upsert_devices(
    session: AsyncSession, provider: Provider, found: Sequence[DeviceInfo]
) -> None:
    """Add the devices `provider` lacks and update the others, by name; delete none."""
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
    busy = BadRequest(f"The devices of {provider.name} are being refreshed by another request.")
    await flush_or_raise(session, busy)
