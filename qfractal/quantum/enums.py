"""The named values of the quantum face, as qunicorn v1.0.4 names them.

The wire carries enum NAMEs; the database stores the values. For these enums name and
value are the same, except `ErrorMitigation` (lower-case on the wire, as in qunicorn).
Languages are `transpilers.Language`, result types `results.ResultType`.
"""

from enum import StrEnum


class ProviderName(StrEnum):
    IBM = "IBM"
    AWS = "AWS"
    RIGETTI = "RIGETTI"
    QMWARE = "QMWARE"


class JobState(StrEnum):
    """READY until a worker takes the job; RUNNING; then FINISHED, ERROR or CANCELED.

    BLOCKED exists in qunicorn's enum but nothing sets it; it is kept for the wire.
    """

    READY = "READY"
    RUNNING = "RUNNING"
    FINISHED = "FINISHED"
    BLOCKED = "BLOCKED"
    ERROR = "ERROR"
    CANCELED = "CANCELED"

    @property
    def is_active(self) -> bool:
        """Waiting for or holding a worker: READY, RUNNING (and the unused BLOCKED)."""
        return self in ACTIVE_JOB_STATES


ACTIVE_JOB_STATES = frozenset({JobState.READY, JobState.RUNNING, JobState.BLOCKED})
"""States in which a job may still run: its deployment and the job itself stay."""


class JobType(StrEnum):
    RUNNER = "RUNNER"
    SAMPLER = "SAMPLER"
    ESTIMATOR = "ESTIMATOR"
    IBM_RUNNER = "IBM_RUNNER"
    IBM_UPLOAD = "IBM_UPLOAD"


class ErrorMitigation(StrEnum):
    NONE = "none"
    DYNAMICAL_DECOUPLING = "dynamical_decoupling"
    PAULI_TWIRLING = "pauli_twirling"
    TWIRLED_READOUT_ERROR_EXTINCTION = "twirled_readout_error_extinction"
    ZERO_NOISE_EXTRAPOLATION = "zero_noise_extrapolation"
    PROBABILISTIC_ERROR_AMPLIFICATION = "probabilistic_error_amplification"
    PROBABILISTIC_ERROR_CANCELLATION = "probabilistic_error_cancellation"


UNLIMITED_QUBITS = -1
"""`num_qubits` of a device without a fixed qubit count (a simulator bounded by memory)."""
