"""Errors of running programs on simulators and of shaping their results."""

from qfractal.errors import InvalidInput, QfractalError


class UnsupportedProgram(InvalidInput):
    """The program uses something this backend cannot run (e.g. a mid-circuit measurement
    on a simulator that only samples final states)."""


class SimulationError(QfractalError):
    """The simulator failed on a program it accepted."""

    status_code = 500
