"""Run one program on an Amazon Braket cloud device, results in qfractal's format.

A blocking function for a pool worker: it creates the Braket task, polls it until it ends
and reads its result from S3. The circuit is run as `run_braket_local` runs it (every qubit
0..n-1 measured, the classical bits taken from the layout), so a program gives the same
keys on AWS as on the local simulators (qunicorn got `0x4` on AWS for X on qubit 0 where
the simulators gave `0x1`).

The SDK (`braket.aws`, `boto3`) is imported only when a program runs: the server imports
this module.
"""

import contextlib
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from qfractal.errors import InvalidInput, QfractalError
from qfractal.quantum.pilots.errors import CloudError, MissingCredentials, UnknownCloudDevice
from qfractal.quantum.results.layout import ClassicalLayout
from qfractal.quantum.results.simulators import braket_counts, braket_measure_all
from qfractal.quantum.results.types import SampleResult

if TYPE_CHECKING:
    from braket.aws import AwsQuantumTask
    from braket.circuits import Circuit

DEVICE_ARNS: dict[str, str] = {
    "SV1": "arn:aws:braket:::device/quantum-simulator/amazon/sv1",
    "DM1": "arn:aws:braket:::device/quantum-simulator/amazon/dm1",
    "TN1": "arn:aws:braket:::device/quantum-simulator/amazon/tn1",
    "Aria 1": "arn:aws:braket:us-east-1::device/qpu/ionq/Aria-1",
    "Forte 1": "arn:aws:braket:us-east-1::device/qpu/ionq/Forte-1",
    "Garnet": "arn:aws:braket:eu-north-1::device/qpu/iqm/Garnet",
    "Ankaa-3": "arn:aws:braket:us-west-1::device/qpu/rigetti/Ankaa-3",
}
"""Our device names to their Braket ARNs. The simulators run in any Braket region; a QPU's
ARN names its region, and the SDK sends its calls there whatever the session's region."""

CREDENTIAL_SETTINGS = (
    "QFRACTAL_AWS_ACCESS_KEY_ID",
    "QFRACTAL_AWS_SECRET_ACCESS_KEY",
    "QFRACTAL_AWS_REGION",
    "QFRACTAL_AWS_S3_BUCKET",
)

_FAILED_STATES = frozenset({"FAILED", "CANCELLED"})


@dataclass(frozen=True)
class AwsCredentials:
    """An AWS account for Braket: its keys, the region of its calls, and where Braket
    writes task results (`s3://{s3_bucket}/{s3_prefix}/{task id}/results.json`)."""

    access_key_id: str = field(repr=False)
    secret_access_key: str = field(repr=False)
    region: str
    s3_bucket: str
    s3_prefix: str = "qfractal"


def device_arn(device_name: str) -> str:
    """The Braket ARN of one of our device names.

    Raises:
        UnknownCloudDevice: not a Braket cloud device.
    """
    try:
        return DEVICE_ARNS[device_name]
    except KeyError:
        known = ", ".join(repr(name) for name in DEVICE_ARNS)
        raise UnknownCloudDevice(
            f"{device_name!r} is not an AWS Braket cloud device (known: {known})"
        ) from None


def run_braket_cloud(
    circuit: "Circuit",
    *,
    device_name: str,
    shots: int,
    layout: ClassicalLayout,
    credentials: AwsCredentials | None,
    boto_session: Any = None,
    poll_seconds: float = 1.0,
    timeout: float = 24 * 3600,
) -> SampleResult:
    """Sample `circuit` on the Braket cloud device `device_name` (a key of `DEVICE_ARNS`).

    The calls use `boto_session` when given (a `boto3.Session`), else a session built from
    `credentials`; results go to the credentials' S3 bucket and prefix (with only a
    session: the SDK's default bucket, `amazon-braket-{region}-{account}`, created if
    missing). The task is polled every `poll_seconds`; after `timeout` seconds it is
    cancelled. Blocks: call it in a worker, never in the server's event loop.

    Raises:
        InvalidInput: bad `shots`.
        UnknownCloudDevice: `device_name` is not a Braket cloud device.
        MissingCredentials: neither `credentials` nor `boto_session`.
        CloudError: AWS refused a call, the task failed, was cancelled or timed out, or
            its result cannot be read.
    """
    if isinstance(shots, bool) or not isinstance(shots, int) or shots < 1:
        raise InvalidInput(f"shots must be a positive integer, not {shots!r}")
    arn = device_arn(device_name)
    if credentials is None and boto_session is None:
        raise MissingCredentials(
            f"running on AWS device {device_name!r} needs an AWS account: set "
            + ", ".join(CREDENTIAL_SETTINGS)
        )
    body, num_qubits = braket_measure_all(circuit, layout)
    task_arn = None
    result = None
    if num_qubits:
        try:
            task, result = _run_task(
                body,
                arn=arn,
                device_name=device_name,
                shots=shots,
                credentials=credentials,
                boto_session=boto_session,
                poll_seconds=poll_seconds,
                timeout=timeout,
            )
        except QfractalError:
            raise
        except Exception as exc:
            raise CloudError(f"AWS device {device_name!r}: {_reason(exc)}") from None
        task_arn = task.id
    try:
        counts = braket_counts(result, layout, shots=shots, num_qubits=num_qubits)
    except Exception as exc:
        raise CloudError(
            f"AWS device {device_name!r}: unreadable result of task {task_arn}: {exc}"
        ) from None
    extra = {"backend": device_name, "taskArn": task_arn}
    return SampleResult(counts, shots, layout.registers, extra)


def aws_device_online(
    device_name: str, credentials: AwsCredentials | None, *, boto_session: Any = None
) -> bool:
    """Whether the Braket device `device_name` (a key of `DEVICE_ARNS`) is ONLINE, asked
    in the device's own region (a QPU's ARN names it). The call uses `boto_session` when
    given, else a session of `credentials`.

    Raises:
        UnknownCloudDevice: not a Braket cloud device.
        MissingCredentials: neither `credentials` nor `boto_session`.
        CloudError: AWS refused or failed the call.
    """
    import boto3

    arn = device_arn(device_name)
    if boto_session is None:
        if credentials is None:
            raise MissingCredentials(
                f"the status of AWS device {device_name!r} needs an AWS account: set "
                + ", ".join(CREDENTIAL_SETTINGS)
            )
        boto_session = boto3.Session(
            aws_access_key_id=credentials.access_key_id,
            aws_secret_access_key=credentials.secret_access_key,
        )
    region = arn.split(":")[3] or (credentials.region if credentials else None)
    try:
        client = boto_session.client("braket", region_name=region)
        return bool(client.get_device(deviceArn=arn)["deviceStatus"] == "ONLINE")
    except Exception as exc:
        raise CloudError(f"AWS device {device_name!r}: {_reason(exc)}") from None


def _run_task(
    body: "Circuit",
    *,
    arn: str,
    device_name: str,
    shots: int,
    credentials: AwsCredentials | None,
    boto_session: Any,
    poll_seconds: float,
    timeout: float,
) -> tuple["AwsQuantumTask", Any]:
    """Create the task, wait for it to end, and return it with its result."""
    import boto3
    from braket.aws import AwsDevice, AwsSession

    if boto_session is None:
        assert credentials is not None
        boto_session = boto3.Session(
            aws_access_key_id=credentials.access_key_id,
            aws_secret_access_key=credentials.secret_access_key,
            region_name=credentials.region,
        )
    device = AwsDevice(arn, aws_session=AwsSession(boto_session=boto_session))
    destination = (credentials.s3_bucket, credentials.s3_prefix) if credentials else None
    # quiet: no extra GetQuantumTask per poll for the queue position.
    task = device.run(body, s3_destination_folder=destination, shots=shots, quiet=True)
    deadline = time.monotonic() + timeout
    # The status from GetQuantumTask itself: `task.state()` also wants `actionMetadata`.
    while (state := task.metadata().get("status")) != "COMPLETED":
        if state in _FAILED_STATES:
            reason = task.metadata(use_cached_value=True).get("failureReason") or "no reason given"
            raise CloudError(f"AWS device {device_name!r}: task {task.id} {state}: {reason}")
        if time.monotonic() >= deadline:
            _cancel(task)
            raise CloudError(
                f"AWS device {device_name!r}: task {task.id} still {state} after"
                f" {timeout:g} s; cancelled"
            )
        time.sleep(poll_seconds)
    result = task.result()
    if result is None:
        raise CloudError(f"AWS device {device_name!r}: task {task.id} has no result")
    return task, result


def _cancel(task: "AwsQuantumTask") -> None:
    # The timeout is the error to report; the task may have ended meanwhile.
    with contextlib.suppress(Exception):
        task.cancel()


def _reason(exc: Exception) -> str:
    """One line about an SDK or AWS failure: the AWS error code and message if any."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict) and isinstance(response.get("Error"), dict):
        error = response["Error"]
        code = error.get("Code") or type(exc).__name__
        message = error.get("Message") or ""
        return f"{code}: {message}" if message else code
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
