"""Run one program on an IBM Quantum device through `qiskit-ibm-runtime`, results in
qfractal's format.

A blocking function for a pool worker. The circuit is transpiled for the device (its
native gates and coupling map), sampled with the runtime's `SamplerV2`, and the outcomes
become keys through the ORIGINAL circuit's `ClassicalLayout`, so a circuit gives the same
keys on IBM as on Aer.

Devices named like one of the runtime's fake backends (`fake_manila`, `fake_sherbrooke`,
...: `fake_device_names()`) run in the library's local testing mode: a noisy Aer
simulation of that device, no token, no network. Any other name is a device of the IBM
Quantum Platform and needs a token.

The SDK is imported only when a program runs: the server imports this module.
"""

import functools
import keyword
import warnings
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from qfractal.errors import InvalidInput, QfractalError
from qfractal.quantum.pilots.errors import CloudError, MissingCredentials
from qfractal.quantum.pilots.types import DeviceInfo
from qfractal.quantum.results.errors import SimulationError, UnsupportedProgram
from qfractal.quantum.results.layout import ClassicalLayout, layout_from_qiskit
from qfractal.quantum.results.types import SampleResult

if TYPE_CHECKING:
    from qiskit import QuantumCircuit
    from qiskit.primitives import SamplerPubResult
    from qiskit.providers import BackendV2

IBM_CHANNEL = "ibm_quantum_platform"
TOKEN_SETTING = "QFRACTAL_IBM_TOKEN"
_MESSAGE_LIMIT = 300
"""Provider messages are cut to this many characters (some hold whole HTTP bodies)."""


@functools.cache
def _fake_backend_classes() -> Mapping[str, type["BackendV2"]]:
    from qiskit_ibm_runtime.fake_provider import FakeProviderForBackendV2

    with warnings.catch_warnings():
        # fake_nighthawk warns that its error rates are made up, at every construction.
        warnings.simplefilter("ignore", UserWarning)
        backends = FakeProviderForBackendV2().backends()
    return {backend.name: type(backend) for backend in backends}


def fake_device_names() -> tuple[str, ...]:
    """The names of the runtime's fake backends (`fake_manila`, ...), sorted."""
    return tuple(sorted(_fake_backend_classes()))


def is_fake_device(device_name: str) -> bool:
    """Whether `device_name` runs locally, as a noisy simulation of a fake backend."""
    return device_name.startswith("fake_") and device_name in _fake_backend_classes()


def run_ibm(
    circuit: "QuantumCircuit",
    *,
    device_name: str,
    shots: int,
    token: str | None,
    instance: str | None = None,
) -> SampleResult:
    """Sample `circuit` on the IBM device `device_name`.

    A fake backend's name runs locally (`token` and `instance` unused); any other name is
    looked up with `QiskitRuntimeService(channel="ibm_quantum_platform", token=token,
    instance=instance)`, and the call waits until IBM has run the job (queues can be
    long): call it in a worker, never in the server's event loop.

    A circuit without classical bits is not sent: its counts are empty anyway.

    Raises:
        InvalidInput: bad `shots`.
        MissingCredentials: a cloud device and no `token`.
        UnsupportedProgram: the circuit is wider than the device, cannot be transpiled for
            it, or has a classical register the runtime refuses (empty, or a name that is
            not a Python identifier).
        CloudError: IBM refused the token, does not know the device, or the job failed.
        SimulationError: the local simulation of a fake device failed.
    """
    if isinstance(shots, bool) or not isinstance(shots, int) or shots < 1:
        raise InvalidInput(f"shots must be a positive integer, not {shots!r}")
    layout = layout_from_qiskit(circuit)
    _check_registers(circuit)
    local = is_fake_device(device_name)
    backend = ibm_backend(device_name, token=token, instance=instance)
    if circuit.num_qubits > backend.num_qubits:
        raise UnsupportedProgram(
            f"the circuit uses {circuit.num_qubits} qubits; IBM device {device_name!r} has"
            f" {backend.num_qubits}"
        )
    extra: dict[str, Any] = {"backend": device_name, "local_testing": local}
    if not layout.registers:
        return SampleResult({}, shots, (), extra)
    isa_circuit = _transpile(circuit, backend, device_name)
    pub_result, job_id = _sample(isa_circuit, backend, shots, device_name, local, token)
    if job_id:
        extra["job_id"] = job_id
    try:
        counts = _counts(pub_result, layout, circuit)
    except Exception as exc:
        raise _failure(local, device_name, f"unreadable result: {_short(exc, token)}") from exc
    return SampleResult(counts, shots, layout.registers, extra)


def _check_registers(circuit: "QuantumCircuit") -> None:
    """Refuse the classical registers the runtime's sampler refuses, before any call."""
    for register in circuit.cregs:
        if register.size == 0:
            raise UnsupportedProgram(
                f"classical register {register.name!r} has no bits; IBM's sampler refuses"
                " empty registers"
            )
        if not register.name.isidentifier() or keyword.iskeyword(register.name):
            raise UnsupportedProgram(
                f"classical register {register.name!r}: IBM's sampler needs register names"
                " that are Python identifiers (letters, digits, _) and not keywords"
            )


def ibm_backend(device_name: str, *, token: str | None, instance: str | None) -> "BackendV2":
    """The backend of `device_name`: a fresh fake backend, or the cloud's (which needs
    `token`).

    Raises:
        MissingCredentials: a cloud device and no `token`.
        CloudError: IBM refused the token or does not know the device.
    """
    if is_fake_device(device_name):
        return _fake_backend(device_name)
    if not token:
        raise MissingCredentials(
            f"IBM device {device_name!r} needs an IBM Quantum token: give the provider token"
            f" in the request or set {TOKEN_SETTING}"
        )
    return _cloud_backend(device_name, token, instance)


def ibm_device_status(device_name: str, *, token: str | None, instance: str | None) -> bool:
    """Whether the device takes jobs (its status says `operational`).

    Raises:
        MissingCredentials, CloudError: as `ibm_backend`; or the status call failed.
    """
    backend = ibm_backend(device_name, token=token, instance=instance)
    try:
        return bool(backend.status().operational)
    except Exception as exc:
        raise CloudError(f"IBM device {device_name!r}: no status: {_short(exc, token)}") from exc


def ibm_device_configuration(
    device_name: str, *, token: str | None, instance: str | None
) -> dict[str, Any]:
    """The device's configuration (qubits, gates, coupling map, ...): what qunicorn
    answers as an IBM device's calibration.

    Raises:
        MissingCredentials, CloudError: as `ibm_backend`; or the configuration call failed.
    """
    backend = ibm_backend(device_name, token=token, instance=instance)
    try:
        configuration: dict[str, Any] = backend.configuration().to_dict()
    except Exception as exc:
        raise CloudError(
            f"IBM device {device_name!r}: no configuration: {_short(exc, token)}"
        ) from exc
    return configuration


def ibm_cloud_devices(token: str, instance: str | None) -> list[DeviceInfo]:
    """The backends the IBM Quantum Platform account of `token` may use.

    Raises:
        CloudError: IBM refused the token or the call failed.
    """
    try:
        backends = _service(token, instance).backends()
        return [
            DeviceInfo(
                str(backend.name),
                int(backend.num_qubits),
                is_simulator=bool(getattr(backend, "simulator", False)),
                is_local=False,
            )
            for backend in backends
        ]
    except QfractalError:
        raise
    except Exception as exc:
        raise CloudError(f"IBM Quantum: cannot list the backends: {_short(exc, token)}") from exc


def ibm_fake_devices() -> list[DeviceInfo]:
    """The runtime's fake backends: noisy simulations of real devices, run here."""
    devices = []
    for name in fake_device_names():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            num_qubits = _fake_backend_classes()[name]().num_qubits
        devices.append(DeviceInfo(name, int(num_qubits), is_simulator=True, is_local=True))
    return devices


def _service(token: str, instance: str | None) -> Any:
    from qiskit_ibm_runtime import QiskitRuntimeService

    return QiskitRuntimeService(channel=IBM_CHANNEL, token=token, instance=instance)


def _fake_backend(device_name: str) -> "BackendV2":
    """A fresh fake backend: its simulator keeps options between runs."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return _fake_backend_classes()[device_name]()


def _cloud_backend(device_name: str, token: str, instance: str | None) -> "BackendV2":
    try:
        return _service(token, instance).backend(device_name)
    except QfractalError:
        raise
    except Exception as exc:
        raise CloudError(f"IBM device {device_name!r}: {_short(exc, token)}") from exc


def _transpile(circuit: "QuantumCircuit", backend: "BackendV2", device_name: str) -> Any:
    from qiskit import transpile

    try:
        return transpile(circuit, backend=backend)
    except QfractalError:
        raise
    except Exception as exc:
        raise UnsupportedProgram(
            f"the circuit cannot be transpiled for IBM device {device_name!r}: {_short(exc)}"
        ) from exc


def _sample(
    isa_circuit: "QuantumCircuit",
    backend: "BackendV2",
    shots: int,
    device_name: str,
    local: bool,
    token: str | None,
) -> tuple["SamplerPubResult", str | None]:
    from qiskit_ibm_runtime import SamplerV2
    from qiskit_ibm_runtime.exceptions import IBMInputValueError

    try:
        with warnings.catch_warnings():
            # Deprecated since 0.50 for `executor_sampler.Sampler`; kept while pinned <0.52.
            warnings.filterwarnings(
                "ignore", message=".*SamplerV2 class is deprecated", category=DeprecationWarning
            )
            sampler = SamplerV2(mode=backend)
        job = sampler.run([isa_circuit], shots=shots)
        job_id = _job_id(job)
        return job.result()[0], job_id
    except QfractalError:
        raise
    except IBMInputValueError as exc:
        raise UnsupportedProgram(
            f"IBM device {device_name!r} refused the circuit: {_short(exc, token)}"
        ) from exc
    except Exception as exc:
        raise _failure(local, device_name, _short(exc, token)) from exc


def _job_id(job: Any) -> str | None:
    try:
        return str(job.job_id())
    except Exception:
        return None


def _counts(
    pub_result: "SamplerPubResult", layout: ClassicalLayout, circuit: "QuantumCircuit"
) -> dict[str, int]:
    """Counts in our keys from the sampler's per-register bit arrays.

    Each register's shots are read on their own, bit i of the register in column i
    (`order="little"`), and put at the register's flat classical bits: joining registers
    with `join_data` instead would hang on its order, which its documentation and its
    implementation give differently (qiskit 2.6: the first register ends up least
    significant, the docstring says leftmost).
    """
    registers = [register for register in circuit.cregs if register.size]
    rows = np.zeros((pub_result.data[registers[0].name].num_shots, layout.num_clbits), np.uint8)
    for register, clbits in zip(registers, layout.clbits, strict=True):
        bits = pub_result.data[register.name].to_bool_array(order="little")
        rows[:, list(clbits)] = bits.reshape(-1, register.size)
    return layout.counts_from_clbits(rows)


def _failure(local: bool, device_name: str, reason: str) -> SimulationError:
    if local:
        return SimulationError(
            f"the local simulation of IBM device {device_name!r} failed: {reason}"
        )
    return CloudError(f"IBM device {device_name!r} failed the job: {reason}")


def _short(exc: BaseException, secret: str | None = None) -> str:
    """One line of at most `_MESSAGE_LIMIT` characters, the token masked."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    if secret:
        text = text.replace(secret, "***")
    if len(text) > _MESSAGE_LIMIT:
        text = text[: _MESSAGE_LIMIT - 3] + "..."
    return text
