"""Running one program of a job on a local simulator: for a worker process.

`execute_program(task)` takes plain data (a `ProgramTask`) and returns plain data (a
`ProgramOutcome`): no database, no HTTP. `run_program` is the same with JSON in and out,
for the worker pool (`qfractal.compute.pool`). Neither raises: a program that cannot be
converted or simulated gets an ERROR result with a message for the user; an unexpected
failure also returns its traceback, for the server's log only.

| job type | results per program |
|---|---|
| RUNNER | COUNTS and PROBABILITIES |
| SAMPLER | COUNTS |
| ESTIMATOR (Aer) | one VALUE_AND_VARIANCE per observable |
"""

import base64
import math
import traceback
from dataclasses import dataclass, field
from typing import Any

from qfractal.errors import QfractalError
from qfractal.quantum.enums import JobType
from qfractal.quantum.jobs.python_programs import CollectedCircuit
from qfractal.quantum.pilots.cloud import CloudAccess, run_cloud
from qfractal.quantum.results.errors import UnsupportedProgram
from qfractal.quantum.results.layout import layout_from_quil, layout_of_program
from qfractal.quantum.results.simulators import (
    PYQUIL_MAX_QUBITS,
    LocalSimulator,
    estimate_aer,
    run_aer,
    run_braket_local,
    run_pyquil_local,
)
from qfractal.quantum.results.types import ResultData, ResultType, SampleResult
from qfractal.quantum.transpilers import Language, ProgramForms, build_graph

TextForms = dict[Language, tuple[str, int]]
"""Cached text forms of a program: language → (text, conversion steps from the source)."""


@dataclass(frozen=True)
class ProgramTask:
    """One program to run, on a local `simulator` or, when that is None, on a cloud
    device with `cloud` access. `max_qubits` is the device's limit (-1: none);
    `collected` is what the sandbox made of a `*_PYTHON` program; `cached_forms` are
    text forms of the program from earlier runs, to start conversions from."""

    language: Language
    source: str
    simulator: LocalSimulator | None
    device_name: str
    max_qubits: int
    job_type: JobType
    shots: int
    observables: tuple[Any, ...] = ()
    cached_forms: TextForms = field(default_factory=dict)
    collected: str | bytes | None = None
    cloud: CloudAccess | None = None

    def to_json(self) -> dict[str, Any]:
        collected: dict[str, str] | None = None
        if isinstance(self.collected, bytes):
            collected = {"base64": base64.b64encode(self.collected).decode("ascii")}
        elif self.collected is not None:
            collected = {"text": self.collected}
        return {
            "language": self.language.value,
            "source": self.source,
            "simulator": self.simulator.value if self.simulator else None,
            "deviceName": self.device_name,
            "maxQubits": self.max_qubits,
            "jobType": self.job_type.value,
            "shots": self.shots,
            "observables": list(self.observables),
            "cachedForms": {k.value: list(v) for k, v in self.cached_forms.items()},
            "collected": collected,
            "cloud": self.cloud.to_json() if self.cloud else None,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "ProgramTask":
        collected = data.get("collected")
        value: str | bytes | None = None
        if collected is not None:
            value = (
                base64.b64decode(collected["base64"])
                if "base64" in collected
                else collected["text"]
            )
        return cls(
            language=Language(data["language"]),
            source=data["source"],
            simulator=LocalSimulator(data["simulator"]) if data["simulator"] else None,
            device_name=data["deviceName"],
            max_qubits=data["maxQubits"],
            job_type=JobType(data["jobType"]),
            shots=data["shots"],
            observables=tuple(data["observables"]),
            cached_forms={Language(k): (v[0], v[1]) for k, v in data["cachedForms"].items()},
            collected=value,
            cloud=CloudAccess.from_json(data["cloud"]) if data.get("cloud") else None,
        )


@dataclass(frozen=True)
class ProgramOutcome:
    results: list[ResultData]
    text_forms: TextForms
    """The program's text forms after this run, to cache for the next."""
    failure: str | None = None
    """The traceback of an unexpected error (for the server's log, never the client)."""


def outcome_to_json(outcome: ProgramOutcome) -> dict[str, Any]:
    return {
        "results": [
            {"resultType": r.result_type.value, "data": r.data, "metadata": r.metadata}
            for r in outcome.results
        ],
        "textForms": {k.value: list(v) for k, v in outcome.text_forms.items()},
        "failure": outcome.failure,
    }


def outcome_from_json(data: dict[str, Any]) -> ProgramOutcome:
    return ProgramOutcome(
        results=[
            ResultData(ResultType(r["resultType"]), r["data"], r["metadata"])
            for r in data["results"]
        ],
        text_forms={Language(k): (v[0], v[1]) for k, v in data["textForms"].items()},
        failure=data["failure"],
    )


def run_program(payload: dict[str, Any]) -> dict[str, Any]:
    """`execute_program` for the worker pool: JSON in (`ProgramTask.to_json`), JSON out
    (`outcome_to_json`)."""
    return outcome_to_json(execute_program(ProgramTask.from_json(payload)))


def error_result(message: str, **metadata: Any) -> ResultData:
    """An ERROR result (qunicorn's `{"exception_message": ...}`)."""
    return ResultData(ResultType.ERROR, {"exception_message": message}, metadata)


def execute_program(task: ProgramTask) -> ProgramOutcome:
    """Convert the program to the simulator's language and run it; never raises."""
    forms: ProgramForms | None = None
    failure = None
    try:
        forms = _forms(task)
        results = _run(task, forms)
    except QfractalError as exc:
        results = [error_result(_message(exc))]
    except Exception as exc:
        results = [error_result(f"{type(exc).__name__}: {exc}"[:2000])]
        failure = traceback.format_exc()
    text_forms = forms.text_forms() if forms is not None else {}
    return ProgramOutcome(results, text_forms, failure)


def _message(exc: QfractalError) -> str:
    detail = exc.detail
    return detail if isinstance(detail, str) else str(detail)


def _forms(task: ProgramTask) -> ProgramForms:
    if task.language.is_python:
        if task.collected is None:
            raise UnsupportedProgram(f"a {task.language.name} program needs the sandbox first")
        runner = CollectedCircuit(task.language, task.source, task.collected)
        graph = build_graph(python_runner=runner)
        forms = ProgramForms(task.language, task.source, graph=graph)
        target = task.language.python_target
        if target is not None:
            forms.to(target)  # the circuit the program built: the layout's reference
        return forms
    return ProgramForms.restore(task.language, task.source, task.cached_forms)


def _check_width(task: ProgramTask, num_qubits: int) -> None:
    if 0 <= task.max_qubits < num_qubits:
        raise UnsupportedProgram(
            f"the program uses {num_qubits} qubits; device '{task.device_name}' has "
            f"{task.max_qubits}"
        )


def _run(task: ProgramTask, forms: ProgramForms) -> list[ResultData]:
    if task.job_type is JobType.ESTIMATOR:
        return _estimate(task, forms)
    sample = _sample(task, forms)
    results = sample.results()
    if task.job_type is JobType.SAMPLER:
        return results[:1]
    return results


def _sample(task: ProgramTask, forms: ProgramForms) -> SampleResult:
    if task.simulator is None:
        if task.cloud is None:
            raise UnsupportedProgram(f"device '{task.device_name}' is neither local nor cloud")
        _check_width(task, layout_of_program(forms).num_qubits)
        return run_cloud(task.cloud, forms, device_name=task.device_name, shots=task.shots)
    if task.simulator is LocalSimulator.AER:
        _, circuit = forms.to(Language.QISKIT)
        _check_width(task, circuit.num_qubits)
        return run_aer(circuit, shots=task.shots)
    if task.simulator is LocalSimulator.BRAKET:
        layout = layout_of_program(forms)
        _, circuit = forms.to(Language.BRAKET)
        _check_width(task, max([layout.num_qubits, *(int(q) + 1 for q in circuit.qubits)]))
        return run_braket_local(circuit, shots=task.shots, layout=layout)
    _, text = forms.to(Language.QUIL)
    _check_width(task, layout_from_quil(text).num_qubits)
    limit = PYQUIL_MAX_QUBITS if task.max_qubits < 0 else min(task.max_qubits, PYQUIL_MAX_QUBITS)
    return run_pyquil_local(text, shots=task.shots, max_qubits=limit)


def _estimate(task: ProgramTask, forms: ProgramForms) -> list[ResultData]:
    if task.simulator is not LocalSimulator.AER:
        raise UnsupportedProgram("ESTIMATOR jobs run on IBM devices only")
    _, circuit = forms.to(Language.QISKIT)
    _check_width(task, circuit.num_qubits)
    estimates = estimate_aer(circuit, list(task.observables))
    return [
        estimate.result(
            backend="aer_simulator",
            method="statevector",
            shots=task.shots,
            standardError=math.sqrt(estimate.variance / task.shots),
        )
        for estimate in estimates
    ]
