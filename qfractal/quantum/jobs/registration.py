"""Registers the quantum job handler with the job engine when imported (a module listed
in `qfractal/handlers.py`)."""

from qfractal.compute.engine.handlers import registry
from qfractal.quantum.jobs.handler import QuantumJobHandler
from qfractal.quantum.jobs.workers import close_pool

handler = QuantumJobHandler()
"""The process's one handler (it holds the process's cache of converted programs)."""


def register() -> None:
    registry.register(handler)
    registry.at_close(close_pool)  # the simulation workers end with the engine


register()
