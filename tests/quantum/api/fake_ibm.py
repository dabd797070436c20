"""A stand-in for `qiskit_ibm_runtime.QiskitRuntimeService`: no network. It knows one
token (`GOOD_TOKEN`) and the backends `ibm_perth` (operational), `ibm_down` (not) and
`ibm_new`; any other token is refused with a message that quotes it, as a careless
SDK might."""

from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest

GOOD_TOKEN = "good-token"
BACKENDS = {"ibm_perth": (7, True), "ibm_down": (27, False), "ibm_new": (133, True)}


class FakeRuntimeService:
    calls: list[dict[str, Any]] = []

    def __init__(self, *, channel: str, token: str, instance: str | None = None) -> None:
        FakeRuntimeService.calls.append({"channel": channel, "token": token, "instance": instance})
        if token != GOOD_TOKEN:
            raise ValueError(f"Unable to retrieve instances.\nInvalid token {token}")

    def backend(self, name: str) -> SimpleNamespace:
        if name not in BACKENDS:
            raise KeyError(f"No backend matches the criteria: {name}")
        num_qubits, operational = BACKENDS[name]
        status = SimpleNamespace(operational=operational)
        return SimpleNamespace(name=name, num_qubits=num_qubits, status=lambda: status)

    def backends(self) -> list[SimpleNamespace]:
        return [
            SimpleNamespace(name=name, num_qubits=qubits, simulator=False)
            for name, (qubits, _) in BACKENDS.items()
        ]


@pytest.fixture
def ibm_service(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """`QiskitRuntimeService` is the fake while the test runs."""
    import qiskit_ibm_runtime

    FakeRuntimeService.calls = []
    monkeypatch.setattr(qiskit_ibm_runtime, "QiskitRuntimeService", FakeRuntimeService)
    yield
