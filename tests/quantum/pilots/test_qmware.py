"""QMware's pilot against a fake QMware API on 127.0.0.1 (`fake_qmware`)."""

import socket
import time
from typing import Any

import pytest

from qfractal.errors import InvalidInput
from qfractal.quantum.pilots.errors import (
    CloudError,
    MissingCredentials,
    UnknownCloudDevice,
)
from qfractal.quantum.pilots.qmware import QmwareAccount, qmware_status, run_qmware
from qfractal.quantum.results.errors import SimulationError
from qfractal.quantum.results.layout import layout_from_qiskit
from qfractal.quantum.results.simulators import run_aer
from qfractal.quantum.results.types import SampleResult
from tests.quantum.pilots.fake_qmware import KEY, KEY_ID, FakeQmware, qmware

__all__ = ["qmware"]

FAST = {"poll_seconds": 0.01, "max_poll_seconds": 0.05}

BELL = """OPENQASM 2.0;
include "qelib1.inc";
qreg q[2];
creg c[2];
h q[0];
cx q[0], q[1];
measure q[0] -> c[0];
measure q[1] -> c[1];
"""

X_ON_0 = """OPENQASM 2.0;
include "qelib1.inc";
qreg q[2];
creg c[2];
x q[0];
measure q -> c;
"""

TWO_REGISTERS = """OPENQASM 2.0;
include "qelib1.inc";
qreg q[3];
creg a[1];
creg b[2];
x q[0];
h q[1];
measure q[0] -> a[0];
measure q[1] -> b[1];
measure q[2] -> b[0];
"""
"""a is always 1; b is 0 or 2: keys "0x0 0x1" and "0x2 0x1" (last register first)."""


def account(fake: FakeQmware, *, key: str = KEY) -> QmwareAccount:
    return QmwareAccount(url=fake.url + "/", api_key=key, api_key_id=KEY_ID)


def run(
    fake: FakeQmware, qasm2: str, *, device: str = "dev", shots: int = 200, **kwargs: Any
) -> SampleResult:
    from qiskit import qasm2 as qiskit_qasm2

    layout = layout_from_qiskit(qiskit_qasm2.loads(qasm2))
    options = {**FAST, **kwargs}
    return run_qmware(
        qasm2,
        device_name=device,
        shots=shots,
        layout=layout,
        account=options.pop("account", account(fake)),
        **options,
    )


def test_bell_on_dev(qmware: FakeQmware) -> None:
    result = run(qmware, BELL, shots=300)

    assert set(result.counts) == {"0x0", "0x3"}
    assert sum(result.counts.values()) == 300
    assert result.shots == 300
    assert result.extra == {"backend": "dev", "qmwareJobId": "job-1"}
    assert result.metadata["registers"] == [{"name": "c", "size": 2}]
    [body] = qmware.submitted()
    assert body["code"] == {"type": "qasm2", "code": BELL}
    assert body["programParameters"] == [{"name": "shots", "value": "300"}]
    assert qmware.polls("job-1") == qmware.running_polls + 1


def test_x_on_qubit_0_is_0x1(qmware: FakeQmware) -> None:
    qmware.running_polls = 1

    assert run(qmware, X_ON_0, shots=50).counts == {"0x1": 50}


def test_two_registers_as_run_aer(qmware: FakeQmware) -> None:
    from qiskit import qasm2 as qiskit_qasm2

    result = run(qmware, TWO_REGISTERS, shots=200)
    local = run_aer(qiskit_qasm2.loads(TWO_REGISTERS), shots=200)

    assert set(result.counts) == set(local.counts) == {"0x0 0x1", "0x2 0x1"}
    assert sum(result.counts.values()) == 200
    assert result.metadata["registers"] == local.metadata["registers"]


def test_dev_gpu_sends_qasm2_gpu(qmware: FakeQmware) -> None:
    result = run(qmware, X_ON_0, device="dev-gpu", shots=10)

    assert result.counts == {"0x1": 10}
    assert result.extra["backend"] == "dev-gpu"
    assert [body["code"]["type"] for body in qmware.submitted()] == ["qasm2-gpu"]


def test_key_headers_are_sent(qmware: FakeQmware) -> None:
    run(qmware, X_ON_0, shots=10)

    for request in qmware.requests:
        assert request.headers["x-api-key"] == KEY
        assert request.headers["x-api-key-id"] == KEY_ID


def test_wrong_key_is_a_cloud_error_naming_401(qmware: FakeQmware) -> None:
    with pytest.raises(CloudError, match="401") as caught:
        run(qmware, BELL, account=account(qmware, key="wrong"))

    assert "dev" in str(caught.value)
    assert "Traceback" not in str(caught.value)
    assert caught.value.status_code == 502
    assert isinstance(caught.value, SimulationError)
    assert qmware.jobs == {}


@pytest.mark.parametrize("status", ["ERROR", "TIMEOUT", "CANCELED"])
def test_job_ending_in_error_carries_the_message(qmware: FakeQmware, status: str) -> None:
    qmware.final_status = status

    with pytest.raises(CloudError) as caught:
        run(qmware, BELL)

    message = str(caught.value)
    assert status in message
    assert "unknown gate 'foo'" in message
    assert "'dev'" in message


def test_passing_poll_failures_are_retried(qmware: FakeQmware) -> None:
    qmware.failing_polls = 3

    assert run(qmware, X_ON_0, shots=20).counts == {"0x1": 20}
    assert qmware.polls("job-1") == 3 + qmware.running_polls + 1


def test_too_many_poll_failures_are_a_cloud_error(qmware: FakeQmware) -> None:
    qmware.failing_polls = 100

    with pytest.raises(CloudError, match="polling failed 5 times in a row: HTTP 503"):
        run(qmware, X_ON_0)


def test_unknown_status_is_a_cloud_error(qmware: FakeQmware) -> None:
    qmware.final_status = "EXPLODED"

    with pytest.raises(CloudError, match="unknown job status 'EXPLODED'"):
        run(qmware, BELL)


@pytest.mark.parametrize(
    ("value", "match"),
    [
        ([], "no result"),
        ([{"result": []}, {"result": []}], "2 result lists"),
        ([{"result": [{"number": 4, "hits": 1}]}], "unreadable outcome"),
        ([{"result": [{"number": "0x1", "hits": 1}]}], "unreadable outcome"),
        ([{"nothing": []}], "no result list"),
    ],
)
def test_malformed_result_is_a_cloud_error(qmware: FakeQmware, value: Any, match: str) -> None:
    qmware.out_value = value

    with pytest.raises(CloudError, match=match):
        run(qmware, BELL)


def test_timeout_is_a_cloud_error(qmware: FakeQmware) -> None:
    qmware.running_polls = 10**6
    started = time.monotonic()

    with pytest.raises(CloudError, match=r"no result after 0\.3 s"):
        run(qmware, BELL, timeout=0.3)

    assert time.monotonic() - started < 2
    assert qmware.polls("job-1") >= 2


def test_no_account_is_missing_credentials(qmware: FakeQmware) -> None:
    with pytest.raises(MissingCredentials) as caught:
        run(qmware, BELL, account=None)

    assert isinstance(caught.value, InvalidInput)
    for setting in ("QFRACTAL_QMWARE_URL", "QFRACTAL_QMWARE_API_KEY", "QFRACTAL_QMWARE_API_KEY_ID"):
        assert setting in str(caught.value)
    with pytest.raises(MissingCredentials, match="QFRACTAL_QMWARE_API_KEY_ID"):
        run(qmware, BELL, account=QmwareAccount(qmware.url, KEY, ""))
    assert qmware.requests == []


def test_unknown_device(qmware: FakeQmware) -> None:
    with pytest.raises(UnknownCloudDevice, match="unknown QMware device 'qpu'"):
        run(qmware, BELL, device="qpu")


def test_account_repr_hides_the_key() -> None:
    assert KEY not in repr(QmwareAccount("https://qmware.example", KEY, KEY_ID))


def test_health(qmware: FakeQmware) -> None:
    assert qmware_status(account(qmware)) is True
    qmware.health = (200, {"status": "DOWN"})
    assert qmware_status(account(qmware)) is False
    qmware.health = (503, {"status": "DOWN"})
    assert qmware_status(account(qmware)) is False


def test_health_of_a_server_that_is_down() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    assert qmware_status(QmwareAccount(f"http://127.0.0.1:{port}", KEY, KEY_ID)) is False
