"""The Braket cloud pilot against stubbed AWS: botocore's `Stubber` on the real clients of
a real `boto3.Session`, so the SDK's own calls (GetDevice, CreateQuantumTask,
GetQuantumTask, S3 GetObject) are checked and answered offline."""

import io
import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.response import StreamingBody
from botocore.stub import Stubber

from qfractal.errors import InvalidInput
from qfractal.quantum.pilots.braket_cloud import (
    DEVICE_ARNS,
    AwsCredentials,
    aws_device_online,
    run_braket_cloud,
)
from qfractal.quantum.pilots.errors import CloudError, MissingCredentials, UnknownCloudDevice
from qfractal.quantum.results.layout import layout_from_braket

REGION = "us-east-1"
BUCKET = "qfractal-test-results"
PREFIX = "tasks"
TASK_ID = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
TASK_ARN = f"arn:aws:braket:{REGION}:123456789012:quantum-task/{TASK_ID}"
CREDENTIALS = AwsCredentials("test", "test", REGION, BUCKET, PREFIX)
OPENQASM = "braket.ir.openqasm.program"

BELL_QASM = """OPENQASM 3.0;
bit[2] b;
qubit[2] q;
h q[0];
cnot q[0], q[1];
b[0] = measure q[0];
b[1] = measure q[1];"""


class JsonWhere:
    """Equal to a JSON text whose value passes `check` (a Stubber expected parameter)."""

    def __init__(self, check: Callable[[Any], bool]) -> None:
        self.check = check

    def __eq__(self, other: object) -> bool:
        return isinstance(other, str) and bool(self.check(json.loads(other)))

    def __hash__(self) -> int:
        return id(self)


class Aws:
    """A real boto3 session (fake keys) whose braket and s3 clients are stubbed."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.session = boto3.Session(
            aws_access_key_id="test", aws_secret_access_key="test", region_name=REGION
        )
        self.clients = {name: self.session.client(name) for name in ("braket", "s3")}
        self.braket = Stubber(self.clients["braket"])
        self.s3 = Stubber(self.clients["s3"])
        # AwsSession makes its own braket client and S3 resource (which asks `client`).
        monkeypatch.setattr(self.session, "client", self._client)

    def _client(self, service_name: str, *args: Any, **kwargs: Any) -> Any:
        return self.clients[service_name]

    def get_device(self, device_name: str, status: str = "ONLINE") -> None:
        arn = DEVICE_ARNS[device_name]
        simulator = "quantum-simulator" in arn
        response = {
            "deviceArn": arn,
            "deviceName": device_name,
            "providerName": "Amazon Braket" if simulator else "IonQ",
            "deviceType": "SIMULATOR" if simulator else "QPU",
            "deviceStatus": status,
            "deviceCapabilities": _capabilities(simulator),
        }
        self.braket.add_response("get_device", response, {"deviceArn": arn})

    def refuse(self, operation: str, code: str, message: str) -> None:
        """The next `operation` call fails with AWS error `code` (HTTP 400)."""
        self.braket.add_client_error(
            operation, service_error_code=code, service_message=message, http_status_code=400
        )

    def create_task(self, device_name: str, shots: int, qasm: str, qubits: int) -> None:
        params = {
            "deviceArn": DEVICE_ARNS[device_name],
            "outputS3Bucket": BUCKET,
            "outputS3KeyPrefix": PREFIX,
            "shots": shots,
            "action": JsonWhere(lambda a: a["source"] == qasm),
            "deviceParameters": JsonWhere(
                lambda p: p["paradigmParameters"]["qubitCount"] == qubits
            ),
        }
        self.braket.add_response("create_quantum_task", {"quantumTaskArn": TASK_ARN}, params)

    def get_task(self, device_name: str, status: str, **more: Any) -> None:
        response = {
            "quantumTaskArn": TASK_ARN,
            "status": status,
            "deviceArn": DEVICE_ARNS[device_name],
            "deviceParameters": "{}",
            "shots": 5,
            "outputS3Bucket": BUCKET,
            "outputS3Directory": f"{PREFIX}/{TASK_ID}",
            "createdAt": datetime(2026, 11, 25, tzinfo=UTC),
            "actionMetadata": {"actionType": OPENQASM},
            **more,
        }
        params = {"quantumTaskArn": TASK_ARN, "additionalAttributeNames": ["QueueInfo"]}
        self.braket.add_response("get_quantum_task", response, params)

    def results(self, device_name: str, qasm: str, measured: list[int], rows: list[list[int]]):
        from braket.ir.openqasm import Program
        from braket.task_result import (
            AdditionalMetadata,
            GateModelTaskResult,
            TaskMetadata,
        )

        result = GateModelTaskResult(
            measurements=rows,
            measuredQubits=measured,
            taskMetadata=TaskMetadata(
                id=TASK_ARN, shots=len(rows), deviceId=DEVICE_ARNS[device_name]
            ),
            additionalMetadata=AdditionalMetadata(action=Program(source=qasm)),
        )
        body = result.json().encode()
        self.s3.add_response(
            "get_object",
            {"Body": StreamingBody(io.BytesIO(body), len(body)), "ContentLength": len(body)},
            {"Bucket": BUCKET, "Key": f"{PREFIX}/{TASK_ID}/results.json"},
        )

    def completed_run(
        self, device_name: str, qasm: str, qubits: int, measured: list[int], rows: list[list[int]]
    ) -> None:
        """The calls of a run that is RUNNING at the first poll, then COMPLETED."""
        self.get_device(device_name)
        self.create_task(device_name, len(rows), qasm, qubits)
        self.get_task(device_name, "RUNNING")
        self.get_task(device_name, "COMPLETED")
        self.results(device_name, qasm, measured, rows)
        self.get_task(device_name, "COMPLETED")  # the SDK's state() once the result is read


def _capabilities(simulator: bool) -> str:
    """GetDevice's `deviceCapabilities`: a simulator's or an IonQ QPU's (from the schemas)."""
    from braket.device_schema import DeviceServiceProperties
    from braket.device_schema.ionq import IonqDeviceCapabilities
    from braket.device_schema.simulators import GateModelSimulatorDeviceCapabilities

    service = DeviceServiceProperties(
        executionWindows=[
            {"executionDay": "Everyday", "windowStartHour": "00:00", "windowEndHour": "23:59"}
        ],
        shotsRange=[1, 100_000],
    )
    action = {
        OPENQASM: {
            "actionType": OPENQASM,
            "version": ["1"],
            "supportedOperations": ["h", "cnot", "x"],
            "supportedResultTypes": [],
        }
    }
    if simulator:
        capabilities = GateModelSimulatorDeviceCapabilities(
            service=service,
            action=action,
            deviceParameters={},
            paradigm={"qubitCount": 34},
        )
    else:
        capabilities = IonqDeviceCapabilities(
            service=service,
            action=action,
            deviceParameters={},
            paradigm={
                "qubitCount": 25,
                "nativeGateSet": ["gpi", "gpi2", "ms"],
                "connectivity": {"fullyConnected": True, "connectivityGraph": {}},
            },
        )
    return capabilities.json()


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Aws]:
    for name in (
        "AMZN_BRAKET_TASK_RESULTS_S3_URI",
        "AMZN_BRAKET_JOB_TOKEN",
        "AMZN_BRAKET_RESERVATION_DEVICE_ARN",
        "AMZN_BRAKET_RESERVATION_TIME_WINDOW_ARN",
        "BRAKET_ENDPOINT",
    ):
        monkeypatch.delenv(name, raising=False)
    stubbed = Aws(monkeypatch)
    with stubbed.braket, stubbed.s3:
        yield stubbed


def _run(aws: Aws, circuit: Any, device_name: str, shots: int, **options: Any):
    return run_braket_cloud(
        circuit,
        device_name=device_name,
        shots=shots,
        layout=layout_from_braket(circuit),
        credentials=CREDENTIALS,
        boto_session=aws.session,
        poll_seconds=0.001,
        **options,
    )


def test_bell_circuit_on_sv1(aws: Aws) -> None:
    from braket.circuits import Circuit

    rows = [[0, 0], [1, 1], [0, 0], [1, 1], [0, 0]]
    aws.completed_run("SV1", BELL_QASM, 2, [0, 1], rows)

    result = _run(aws, Circuit().h(0).cnot(0, 1), "SV1", 5)

    assert result.counts == {"0x0": 3, "0x3": 2}
    assert result.shots == 5
    assert result.extra == {"backend": "SV1", "taskArn": TASK_ARN}
    aws.braket.assert_no_pending_responses()
    aws.s3.assert_no_pending_responses()


def test_x_on_qubit_0_is_0x1_on_aria_as_on_local_simulator(aws: Aws) -> None:
    from braket.circuits import Circuit

    from qfractal.quantum.results.simulators import run_braket_local

    qasm = "OPENQASM 3.0;\nbit[1] b;\nqubit[1] q;\nx q[0];\nb[0] = measure q[0];"
    aws.completed_run("Aria 1", qasm, 1, [0], [[1], [1], [1], [1]])
    circuit = Circuit().x(0).measure(0)

    result = _run(aws, circuit, "Aria 1", 4)

    assert result.counts == {"0x1": 4}  # qunicorn: "0x4"
    assert run_braket_local(circuit, shots=4).counts == result.counts
    aws.braket.assert_no_pending_responses()


def test_columns_follow_measured_qubits(aws: Aws) -> None:
    """Bit 0 is qubit 1's measurement; the device lists its columns as qubits [1, 0]."""
    from braket.circuits import Circuit

    qasm = (
        "OPENQASM 3.0;\nbit[2] b;\nqubit[2] q;\nx q[1];\nb[0] = measure q[0];\nb[1] = measure q[1];"
    )
    aws.completed_run("SV1", qasm, 2, [1, 0], [[1, 0], [1, 0]])

    result = _run(aws, Circuit().x(1).measure(1), "SV1", 2)

    assert result.counts == {"0x1": 2}


def test_failed_task_is_a_cloud_error_with_its_reason(aws: Aws) -> None:
    from braket.circuits import Circuit

    aws.get_device("SV1")
    aws.create_task("SV1", 5, BELL_QASM, 2)
    aws.get_task("SV1", "FAILED", failureReason="Device is offline for maintenance")

    with pytest.raises(CloudError) as caught:
        _run(aws, Circuit().h(0).cnot(0, 1), "SV1", 5)

    message = str(caught.value.detail)
    assert "SV1" in message and "FAILED" in message
    assert "Device is offline for maintenance" in message
    assert caught.value.status_code == 502
    aws.braket.assert_no_pending_responses()


def test_refused_task_is_a_cloud_error_without_traceback(aws: Aws) -> None:
    from braket.circuits import Circuit

    aws.get_device("SV1")
    aws.refuse("create_quantum_task", "ValidationException", "shots must be at most 100000")

    with pytest.raises(CloudError) as caught:
        _run(aws, Circuit().h(0).cnot(0, 1), "SV1", 5)

    assert caught.value.detail == (
        "AWS device 'SV1': ValidationException: shots must be at most 100000"
    )
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_timeout_cancels_the_task(aws: Aws) -> None:
    from braket.circuits import Circuit

    aws.get_device("SV1")
    aws.create_task("SV1", 5, BELL_QASM, 2)
    aws.get_task("SV1", "QUEUED")
    aws.braket.add_response(
        "cancel_quantum_task",
        {"quantumTaskArn": TASK_ARN, "cancellationStatus": "CANCELLING"},
        {"quantumTaskArn": TASK_ARN},
    )

    with pytest.raises(CloudError, match="still QUEUED after 0 s; cancelled"):
        _run(aws, Circuit().h(0).cnot(0, 1), "SV1", 5, timeout=0)
    aws.braket.assert_no_pending_responses()


@pytest.mark.parametrize(("status", "online"), [("ONLINE", True), ("OFFLINE", False)])
def test_device_status_is_braket_s(aws: Aws, status: str, online: bool) -> None:
    aws.get_device("Aria 1", status)
    assert aws_device_online("Aria 1", None, boto_session=aws.session) is online
    aws.braket.assert_no_pending_responses()


def test_device_status_refused_is_a_cloud_error(aws: Aws) -> None:
    aws.refuse(
        "get_device", "AccessDeniedException", "User is not authorized to perform: braket:GetDevice"
    )
    with pytest.raises(CloudError) as caught:
        aws_device_online("SV1", None, boto_session=aws.session)
    assert caught.value.detail == (
        "AWS device 'SV1': AccessDeniedException: User is not authorized to perform:"
        " braket:GetDevice"
    )
    assert caught.value.status_code == 502


def test_device_status_needs_an_account_and_a_braket_device() -> None:
    with pytest.raises(MissingCredentials, match="QFRACTAL_AWS_ACCESS_KEY_ID"):
        aws_device_online("SV1", None)
    with pytest.raises(UnknownCloudDevice, match="'Lucy'"):
        aws_device_online("Lucy", CREDENTIALS)


def test_missing_credentials() -> None:
    from braket.circuits import Circuit

    circuit = Circuit().h(0)
    with pytest.raises(MissingCredentials) as caught:
        run_braket_cloud(
            circuit,
            device_name="SV1",
            shots=1,
            layout=layout_from_braket(circuit),
            credentials=None,
        )
    message = str(caught.value.detail)
    assert "SV1" in message and "QFRACTAL_AWS_ACCESS_KEY_ID" in message
    assert "QFRACTAL_AWS_S3_BUCKET" in message
    assert caught.value.status_code == 422


def test_unknown_device() -> None:
    from braket.circuits import Circuit

    circuit = Circuit().h(0)
    with pytest.raises(UnknownCloudDevice, match="'Lucy'") as caught:
        run_braket_cloud(
            circuit,
            device_name="Lucy",
            shots=1,
            layout=layout_from_braket(circuit),
            credentials=CREDENTIALS,
        )
    assert isinstance(caught.value, InvalidInput)


def test_credentials_repr_hides_the_keys() -> None:
    text = repr(AwsCredentials("AKIAEXAMPLE", "secret-value", REGION, BUCKET))
    assert "AKIAEXAMPLE" not in text and "secret-value" not in text
    assert BUCKET in text
