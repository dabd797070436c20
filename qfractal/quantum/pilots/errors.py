"""Errors of running programs on providers' cloud devices."""

from qfractal.errors import InvalidInput
from qfractal.quantum.results.errors import SimulationError


class MissingCredentials(InvalidInput):
    """The provider's account is not configured (the server's settings name it)."""


class CloudError(SimulationError):
    """The provider's cloud failed the program: an HTTP error, a job that ended in error,
    timed out or was canceled there, or an answer that cannot be read. The message is short
    (device and reason), never a traceback."""

    status_code = 502


class UnknownCloudDevice(InvalidInput):
    """No provider's device has this name."""
