"""The standard providers and devices that `qfractal init` puts in the database.

`pilot_languages` are the languages each provider's pilot takes without conversion;
`num_qubits = -1` means no fixed limit (a local simulator bounded by memory). `is_local`
says where a device runs, nothing else: Aer, Braket's local simulator and pyQuil's numpy
wavefunction simulator run in qfractal's own processes; QMware's `dev-gpu` is remote
(qunicorn marked it local only to make it the default device).
"""

from dataclasses import dataclass

from qfractal.quantum.enums import UNLIMITED_QUBITS, ProviderName
from qfractal.quantum.transpilers.languages import Language


@dataclass(frozen=True)
class StandardDevice:
    name: str
    num_qubits: int
    is_simulator: bool
    is_local: bool


@dataclass(frozen=True)
class StandardProvider:
    name: ProviderName
    with_token: bool
    pilot_languages: tuple[Language, ...]
    devices: tuple[StandardDevice, ...]


def _qpu(name: str, num_qubits: int) -> StandardDevice:
    return StandardDevice(name, num_qubits, is_simulator=False, is_local=False)


def _cloud_simulator(name: str, num_qubits: int) -> StandardDevice:
    return StandardDevice(name, num_qubits, is_simulator=True, is_local=False)


def _local_simulator(name: str, num_qubits: int) -> StandardDevice:
    return StandardDevice(name, num_qubits, is_simulator=True, is_local=True)


IBM = StandardProvider(
    name=ProviderName.IBM,
    with_token=True,
    pilot_languages=(Language.QISKIT,),
    devices=(
        _local_simulator("aer_simulator", UNLIMITED_QUBITS),
        *(_qpu(name, 7) for name in ("ibm_perth", "ibm_lagos", "ibm_nairobi", "ibmq_jakarta")),
        *(_qpu(name, 5) for name in ("ibmq_manila", "ibmq_quito", "ibmq_belem", "ibmq_lima")),
        _cloud_simulator("simulator_stabilizer", 5000),
        _cloud_simulator("simulator_mps", 100),
        _cloud_simulator("simulator_extended_stabilizer", 63),
        _cloud_simulator("ibmq_qasm_simulator", 32),
        _cloud_simulator("simulator_statevector", 32),
    ),
)

AWS = StandardProvider(
    name=ProviderName.AWS,
    with_token=False,
    pilot_languages=(Language.BRAKET,),
    devices=(
        _local_simulator("local_simulator", 26),  # Braket's state-vector LocalSimulator
        _cloud_simulator("SV1", 34),
        _cloud_simulator("DM1", 17),
        _cloud_simulator("TN1", 50),
        _qpu("Aria 1", 25),
        _qpu("Forte 1", 36),
        _qpu("Garnet", 20),
        _qpu("Ankaa-3", 84),
    ),
)

RIGETTI = StandardProvider(
    name=ProviderName.RIGETTI,
    with_token=False,
    pilot_languages=(Language.QUIL,),
    devices=tuple(_local_simulator(f"{n}q-qvm", n) for n in (2, 5, 9)),
)

QMWARE = StandardProvider(
    name=ProviderName.QMWARE,
    with_token=True,
    pilot_languages=(Language.QASM2,),
    devices=(
        _cloud_simulator("dev", UNLIMITED_QUBITS),
        _cloud_simulator("dev-gpu", UNLIMITED_QUBITS),
    ),
)

STANDARD_PROVIDERS: tuple[StandardProvider, ...] = (IBM, AWS, RIGETTI, QMWARE)
"""In the order their rows are created (IBM gets id 1 on a new database)."""
