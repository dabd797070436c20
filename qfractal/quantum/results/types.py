"""Result values: what a program's run produces, in qunicorn's result format.

Counts and probabilities (qunicorn ADR 0011 "Counts", the v1.0.4 format):

- a key holds one hex number per classical register, space-joined, the LAST register
  first (Qiskit's order): registers `a` (1 bit) then `b` (2 bits), with a=1 and b=2, give
  `"0x2 0x1"`. Inside a register, bit 0 is the least significant.
- `metadata = {"format": "hex", "shots": N, "registers": [{"name", "size"}, ...]}`, the
  registers listed in the order they appear in the keys (so, last register first).
- a program with no classical bits gives empty counts `{}` (ADR 0011), not qunicorn's
  stored `{"": 0}`; `shots` still says how many shots ran.
- probability = count / total count.

Every provider produces the same keys for the same circuit: see `layout`.
"""

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class ResultType(StrEnum):
    COUNTS = "COUNTS"
    PROBABILITIES = "PROBABILITIES"
    QUASI_DIST = "QUASI_DIST"
    VALUE_AND_VARIANCE = "VALUE_AND_VARIANCE"
    ERROR = "ERROR"
    UPLOAD_SUCCESSFUL = "UPLOAD_SUCCESSFUL"


@dataclass(frozen=True)
class Register:
    """A classical register: its name and number of bits."""

    name: str
    size: int

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "size": self.size}


@dataclass(frozen=True)
class ResultData:
    """One stored result of one program: `{resultType, data, metadata}`."""

    result_type: ResultType
    data: dict[str, Any]
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SampleResult:
    """The counts of one program's run.

    `registers` are in declaration order (the first register is the rightmost in keys);
    `extra` holds backend details merged into the metadata (`backend`, `seed`, ...).
    """

    counts: dict[str, int]
    shots: int
    registers: tuple[Register, ...]
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def probabilities(self) -> dict[str, float]:
        total = sum(self.counts.values())
        return {key: count / total for key, count in self.counts.items()} if total else {}

    @property
    def metadata(self) -> dict[str, Any]:
        return {
            **self.extra,
            "format": "hex",
            "shots": self.shots,
            "registers": [register.as_dict() for register in reversed(self.registers)],
        }

    def results(self) -> list[ResultData]:
        """The COUNTS and PROBABILITIES results, as qunicorn stores them per program."""
        metadata = self.metadata
        return [
            ResultData(ResultType.COUNTS, dict(self.counts), metadata),
            ResultData(ResultType.PROBABILITIES, self.probabilities, dict(metadata)),
        ]
