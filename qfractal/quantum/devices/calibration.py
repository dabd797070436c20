"""Calibration data of local devices, from the simulators themselves (offline)."""

import json
from functools import cache
from typing import Any


@cache
def aer_configuration() -> dict[str, Any]:
    """The configuration of Qiskit Aer's `AerSimulator` as JSON (what qunicorn answers as
    the calibration of `aer_simulator`). Imports qiskit-aer on first use (about a second)."""
    from qiskit_aer import AerSimulator

    configuration = AerSimulator().configuration().to_dict()
    return json.loads(json.dumps(configuration, default=str))
