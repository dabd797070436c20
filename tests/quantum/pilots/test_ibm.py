"""The IBM pilot on qiskit-ibm-runtime's fake backends: real noisy runs, offline."""

import pytest

from qfractal.errors import InvalidInput, QfractalError
from qfractal.quantum.pilots.errors import CloudError, MissingCredentials
from qfractal.quantum.pilots.ibm import (
    fake_device_names,
    ibm_cloud_devices,
    ibm_device_configuration,
    ibm_device_status,
    ibm_fake_devices,
    is_fake_device,
    run_ibm,
)
from qfractal.quantum.results import run_aer
from qfractal.quantum.results.errors import UnsupportedProgram
from qfractal.quantum.results.types import Register
from tests.quantum.programs import ASYMMETRIC, BELL

DEVICE = "fake_manila"  # 5 qubits


def _dominant(counts: dict[str, int]) -> str:
    return max(counts, key=counts.__getitem__)


def test_fake_devices_are_listed() -> None:
    names = fake_device_names()
    assert {"fake_manila", "fake_sherbrooke"} <= set(names)
    assert is_fake_device("fake_manila")
    assert not is_fake_device("ibm_perth")
    assert not is_fake_device("fake_nowhere")


def test_fake_devices_describe_themselves() -> None:
    devices = {device.name: device for device in ibm_fake_devices()}
    assert set(devices) == set(fake_device_names())
    assert devices["fake_manila"].num_qubits == 5
    assert devices["fake_sherbrooke"].num_qubits == 127
    assert all(device.is_local and device.is_simulator for device in devices.values())
    assert ibm_device_status("fake_manila", token=None, instance=None) is True
    configuration = ibm_device_configuration("fake_manila", token=None, instance=None)
    assert configuration["backend_name"] == "fake_manila"
    assert configuration["n_qubits"] == 5
    assert len(configuration["coupling_map"]) > 0


def test_cloud_status_and_configuration_need_a_token() -> None:
    for call in (ibm_device_status, ibm_device_configuration):
        with pytest.raises(MissingCredentials, match="QFRACTAL_IBM_TOKEN"):
            call("ibm_perth", token=None, instance=None)


def test_a_refused_token_is_a_cloud_error_without_the_token() -> None:
    """No network here (nor a valid token): IBM's answer never arrives, the call fails."""
    with pytest.raises(CloudError) as caught:
        ibm_cloud_devices("s3cret-token", None)
    assert str(caught.value.detail).startswith("IBM Quantum: cannot list the backends:")
    assert "s3cret-token" not in str(caught.value.detail)
    assert caught.value.status_code == 502


def test_bell_pair_on_a_noisy_fake_device() -> None:
    result = run_ibm(BELL.qiskit(), device_name=DEVICE, shots=1000, token=None)
    assert set(result.counts) <= {"0x0", "0x1", "0x2", "0x3"}
    assert sum(result.counts.values()) == 1000
    assert result.counts.get("0x0", 0) + result.counts.get("0x3", 0) > 800
    assert result.shots == 1000
    assert result.registers == (Register("c", 2),)
    assert result.extra["backend"] == DEVICE
    assert result.extra["local_testing"] is True


def test_x_on_qubit_0_gives_aers_key() -> None:
    from qiskit import QuantumCircuit

    circuit = QuantumCircuit(2, 2)
    circuit.x(0)
    circuit.measure([0, 1], [0, 1])
    counts = run_ibm(circuit, device_name=DEVICE, shots=500, token=None).counts
    assert counts["0x1"] > 0.8 * 500, counts
    assert _dominant(counts) == _dominant(run_aer(circuit, shots=100, seed=1).counts) == "0x1"


def test_asymmetric_circuit_keeps_the_bit_order() -> None:
    circuit = ASYMMETRIC.qiskit()
    counts = run_ibm(circuit, device_name=DEVICE, shots=500, token=None).counts
    assert _dominant(counts) == _dominant(run_aer(circuit, shots=100, seed=1).counts) == "0x6"


def test_two_registers_give_aers_keys_last_register_first() -> None:
    from qiskit import ClassicalRegister, QuantumCircuit, QuantumRegister

    a, b = ClassicalRegister(1, "a"), ClassicalRegister(2, "b")
    circuit = QuantumCircuit(QuantumRegister(3, "q"), a, b)
    circuit.x(0)
    circuit.x(2)
    circuit.measure(0, a[0])
    circuit.measure(1, b[0])
    circuit.measure(2, b[1])  # a = 1, b = 0b10
    result = run_ibm(circuit, device_name=DEVICE, shots=500, token=None)
    aer = run_aer(circuit, shots=100, seed=1)
    assert _dominant(result.counts) == _dominant(aer.counts) == "0x2 0x1"
    assert all(len(key.split()) == 2 for key in result.counts)
    assert result.registers == aer.registers == (Register("a", 1), Register("b", 2))
    assert result.metadata["registers"] == aer.metadata["registers"]


@pytest.mark.parametrize("shots", [1, 37])
def test_shots_are_honoured(shots: int) -> None:
    result = run_ibm(BELL.qiskit(), device_name=DEVICE, shots=shots, token=None)
    assert sum(result.counts.values()) == shots
    assert result.shots == shots


@pytest.mark.parametrize("shots", [0, -3, 2.5, True, "10"])
def test_shots_must_be_positive(shots: object) -> None:
    with pytest.raises(InvalidInput, match="shots"):
        run_ibm(BELL.qiskit(), device_name=DEVICE, shots=shots, token=None)  # type: ignore[arg-type]


@pytest.mark.parametrize("token", [None, ""])
def test_cloud_device_without_token_needs_credentials(token: str | None) -> None:
    with pytest.raises(MissingCredentials, match=r"'ibm_perth'.*QFRACTAL_IBM_TOKEN") as caught:
        run_ibm(BELL.qiskit(), device_name="ibm_perth", shots=10, token=token)
    assert caught.value.status_code == 422


def test_circuit_wider_than_the_device_is_refused() -> None:
    from qiskit import QuantumCircuit

    circuit = QuantumCircuit(6, 6)
    circuit.h(range(6))
    circuit.measure(range(6), range(6))
    with pytest.raises(QfractalError, match=r"6 qubits; IBM device 'fake_manila' has 5") as caught:
        run_ibm(circuit, device_name=DEVICE, shots=10, token=None)
    assert isinstance(caught.value, UnsupportedProgram)
    assert "Traceback" not in str(caught.value)


def test_register_names_the_sampler_refuses_are_refused_clearly() -> None:
    from qiskit import ClassicalRegister, QuantumCircuit, QuantumRegister

    circuit = QuantumCircuit(QuantumRegister(1, "q"), ClassicalRegister(1, "if"))
    circuit.measure(0, 0)
    with pytest.raises(UnsupportedProgram, match="'if'"):
        run_ibm(circuit, device_name=DEVICE, shots=10, token=None)


def test_no_classical_bits_gives_empty_counts() -> None:
    from qiskit import QuantumCircuit

    circuit = QuantumCircuit(1)
    circuit.h(0)
    result = run_ibm(circuit, device_name=DEVICE, shots=10, token=None)
    assert result.counts == {}
    assert result.shots == 10
    assert result.registers == ()


def test_provider_messages_are_one_short_line_without_the_token() -> None:
    from qfractal.quantum.pilots.ibm import _short

    assert _short(ValueError("bad token s3cret\n  401"), "s3cret") == "bad token *** 401"
    assert len(_short(ValueError("x" * 5000))) == 300
    assert _short(ValueError()) == "ValueError"
