"""Cloud devices' status and lists, asked of the providers' SDKs.

Blocking calls (network, heavy SDK imports): the server calls them in a worker thread
(`asyncio.to_thread`), never in its event loop. The SDKs (`qiskit_ibm_runtime`,
`braket`, `boto3`) are imported inside the functions: the server imports this module.
Failures of the provider are `CloudError`s (502) with one short line, never a
traceback; the token never appears in them.
"""

import functools
import warnings
from collections.abc import Mapping
from dataclasses import dataclass

from qfractal.errors import QfractalError
from qfractal.quantum.pilots.braket_cloud import AwsCredentials, device_arn
from qfractal.quantum.pilots.errors import CloudError
from qfractal.quantum.pilots.ibm import IBM_CHANNEL, _short


@dataclass(frozen=True)
class DeviceInfo:
    """A device as the provider describes it (`num_qubits = -1`: no fixed limit)."""

    name: str
    num_qubits: int
    is_simulator: bool
    is_local: bool


@functools.cache
def _fake_qubits() -> Mapping[str, int]:
    from qiskit_ibm_runtime.fake_provider import FakeProviderForBackendV2

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        backends = FakeProviderForBackendV2().backends()
    return {backend.name: int(backend.num_qubits) for backend in backends}


def ibm_fake_devices() -> list[DeviceInfo]:
    """The runtime's fake backends (`fake_manila`, ...): noisy simulations that run in
    this server's processes, sorted by name."""
    return [
        DeviceInfo(name, num_qubits, is_simulator=True, is_local=True)
        for name, num_qubits in sorted(_fake_qubits().items())
    ]


def ibm_cloud_devices(token: str, instance: str | None = None) -> list[DeviceInfo]:
    """The backends the IBM Quantum Platform account of `token` may use, sorted by name.

    Raises:
        CloudError: IBM refused the token or the call failed.
    """
    try:
        from qiskit_ibm_runtime import QiskitRuntimeService

        service = QiskitRuntimeService(channel=IBM_CHANNEL, token=token, instance=instance)
        devices = [
            DeviceInfo(
                str(backend.name),
                int(backend.num_qubits),
                is_simulator=bool(getattr(backend, "simulator", False)),
                is_local=False,
            )
            for backend in service.backends()
        ]
    except QfractalError:
        raise
    except Exception as exc:
        raise CloudError(f"IBM Quantum: cannot list the backends: {_short(exc, token)}") from None
    return sorted(devices, key=lambda device: device.name)


def ibm_device_operational(device_name: str, token: str, instance: str | None = None) -> bool:
    """Whether the IBM cloud backend `device_name` takes jobs (its status `operational`).

    Raises:
        CloudError: IBM refused the token, does not know the device, or the call failed.
    """
    try:
        from qiskit_ibm_runtime import QiskitRuntimeService

        service = QiskitRuntimeService(channel=IBM_CHANNEL, token=token, instance=instance)
        return bool(service.backend(device_name).status().operational)
    except QfractalError:
        raise
    except Exception as exc:
        raise CloudError(f"IBM device {device_name!r}: {_short(exc, token)}") from None


def aws_device_online(device_name: str, credentials: AwsCredentials) -> bool:
    """Whether the Braket device `device_name` (a key of `DEVICE_ARNS`) is ONLINE.

    Raises:
        UnknownCloudDevice: not a Braket cloud device.
        CloudError: AWS refused the call.
    """
    arn = device_arn(device_name)
    try:
        import boto3
        from braket.aws import AwsDevice, AwsSession

        boto_session = boto3.Session(
            aws_access_key_id=credentials.access_key_id,
            aws_secret_access_key=credentials.secret_access_key,
            region_name=credentials.region,
        )
        device = AwsDevice(arn, aws_session=AwsSession(boto_session=boto_session))
        return str(device.status) == "ONLINE"
    except QfractalError:
        raise
    except Exception as exc:
        raise CloudError(f"AWS device {device_name!r}: {_aws_reason(exc)}") from None


def _aws_reason(exc: Exception) -> str:
    """One line about an AWS failure: the error code and message if any."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict) and isinstance(response.get("Error"), dict):
        error = response["Error"]
        code = error.get("Code") or type(exc).__name__
        message = error.get("Message") or ""
        reason = f"{code}: {message}" if message else code
    else:
        reason = " ".join(str(exc).split()) or type(exc).__name__
    return reason if len(reason) <= 300 else reason[:297] + "..."
