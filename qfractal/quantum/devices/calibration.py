"""Calibration data of local devices, from the simulators themselves (offline).

Called in a worker process of the quantum pool (`AER_CONFIGURATION`), never in the
server's process: Qiskit called from a server thread once crashed it (a segfault).
"""

import json
from functools import cache
from typing import Any

AER_CONFIGURATION = "qfractal.quantum.devices.calibration:aer_configuration"


@cache
def aer_configuration(_: object = None) -> dict[str, Any]:
    """The configuration of Qiskit Aer's `AerSimulator` as JSON (what qunicorn answers as
    the calibration of `aer_simulator`). Imports qiskit-aer on first use (about a second)."""
    from qiskit_aer import AerSimulator

    configuration = AerSimulator().configuration().to_dict()
    return json.loads(json.dumps(configuration, default=str))
