"""What pilots report about their providers' devices."""

from dataclasses import dataclass


@dataclass(frozen=True)
class DeviceInfo:
    """A device as its provider describes it (`num_qubits = -1`: no fixed limit)."""

    name: str
    num_qubits: int
    is_simulator: bool
    is_local: bool
