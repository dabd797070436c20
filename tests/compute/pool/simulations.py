"""A real simulation for the pool tests: a Bell pair on Aer, through qfractal's wrapper."""

import os
from typing import Any

from qiskit import QuantumCircuit

from qfractal.quantum.results.simulators import run_aer


def bell_counts(payload: dict[str, int]) -> dict[str, Any]:
    circuit = QuantumCircuit(2)
    circuit.h(0)
    circuit.cx(0, 1)
    circuit.measure_all()
    result = run_aer(circuit, shots=payload["shots"], seed=payload.get("seed"))
    return {"counts": result.counts, "shots": result.shots, "pid": os.getpid()}
