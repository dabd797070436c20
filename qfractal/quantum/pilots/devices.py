"""Devices as their providers see them: status, calibration and device lists.

For a worker process of the quantum pool, never the server's process: the SDKs are heavy
to import, their calls block on the network, and Qiskit called from a server thread
once crashed the server (a segfault). The server calls `DEVICE_STATUS`,
`DEVICE_CALIBRATION` and `PROVIDER_DEVICES` with a JSON request `{"access": CloudAccess
JSON, "device": name}` and gets JSON back. A provider's failure is a `CloudError` with
one short line, never the token.
"""

import json
from functools import cache
from typing import Any

from qfractal.quantum.enums import ProviderName
from qfractal.quantum.errors import NotSupported
from qfractal.quantum.pilots.braket_cloud import aws_device_online
from qfractal.quantum.pilots.cloud import CloudAccess
from qfractal.quantum.pilots.ibm import (
    ibm_cloud_devices,
    ibm_device_configuration,
    ibm_device_status,
    ibm_fake_devices,
)
from qfractal.quantum.pilots.qmware import checked_account, qmware_status

DEVICE_STATUS = f"{__name__}:device_status"
DEVICE_CALIBRATION = f"{__name__}:device_calibration"
PROVIDER_DEVICES = f"{__name__}:provider_devices"
AER_DEVICE = "aer_simulator"


def device_status(request: dict[str, Any]) -> bool:
    """Whether the cloud device takes jobs; QMware's: whether its API is up."""
    access, device_name = _read(request)
    if access.provider is ProviderName.IBM:
        return ibm_device_status(device_name, token=access.ibm_token, instance=access.ibm_instance)
    if access.provider is ProviderName.AWS:
        return aws_device_online(device_name, access.aws)
    if access.provider is ProviderName.QMWARE:
        return qmware_status(checked_account(access.qmware))
    raise NotSupported(f"{access.provider.value} has no cloud devices.")


def device_calibration(request: dict[str, Any]) -> dict[str, Any]:
    """An IBM device's configuration: Aer's own, a fake backend's, or the cloud's."""
    access, device_name = _read(request)
    if access.provider is not ProviderName.IBM:
        raise NotSupported(f"{access.provider.value} devices have no calibration data.")
    if device_name == AER_DEVICE:
        return _aer_configuration()
    configuration = ibm_device_configuration(
        device_name, token=access.ibm_token, instance=access.ibm_instance
    )
    return _as_json(configuration)


def provider_devices(request: dict[str, Any]) -> list[dict[str, Any]]:
    """IBM's devices: the runtime's fake backends (run here) and, with a token, the
    account's backends. Each as `DeviceInfo` fields."""
    access, _ = _read(request)
    if access.provider is not ProviderName.IBM:
        raise NotSupported(f"{access.provider.value} has no device list to refresh from.")
    devices = ibm_fake_devices()
    if access.ibm_token:
        devices += ibm_cloud_devices(access.ibm_token, access.ibm_instance)
    return [vars(device) for device in devices]


def _read(request: dict[str, Any]) -> tuple[CloudAccess, str]:
    return CloudAccess.from_json(request["access"]), str(request.get("device", ""))


@cache
def _aer_configuration() -> dict[str, Any]:
    from qiskit_aer import AerSimulator

    return _as_json(AerSimulator().configuration().to_dict())


def _as_json(value: dict[str, Any]) -> dict[str, Any]:
    """`value` with what JSON lacks (dates, complex numbers) as strings."""
    converted: dict[str, Any] = json.loads(json.dumps(value, default=str))
    return converted
