"""`*_PYTHON` programs: run only in the sandbox (`qfractal.compute.sandbox`), never here.

`collect_circuit` runs a program's source in a sandboxed child, with the names qunicorn's
programs expect already imported (`QuantumCircuit`; `Circuit`, and a BRAKET_PYTHON
program may be a bare expression such as `Circuit().h(0).cnot(0, 1)`; `Program`), and
returns what a trusted collector made of its `circuit`: QPY bytes, OpenQASM 3 or Quil
text. `CollectedCircuit` is the transpilers' `PythonRunner` that turns that back into
the circuit object, in the worker process that simulates it.
"""

import ast
import importlib.util
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qfractal.config import Settings
from qfractal.errors import InvalidInput
from qfractal.quantum.transpilers.errors import ConversionError, MissingSdk
from qfractal.quantum.transpilers.languages import Language

logger = logging.getLogger(__name__)

WALL_SECONDS = 60.0
"""Longest a program may run to build its circuit."""
CPU_SECONDS = 60
MEMORY_BYTES = 2 * 1024**3
RESULT_BYTES = 64 * 1024**2


class ProgramFailed(InvalidInput):
    """The program did not build a circuit; the message is for its author. `traceback`
    holds only the program's own frames."""

    def __init__(self, message: str, *, traceback: str | None = None) -> None:
        super().__init__(message)
        self.traceback = traceback


@dataclass(frozen=True)
class _Kind:
    collector: str
    preamble: str
    preload: tuple[str, ...]
    sdk: str


_COLLECTORS = "qfractal.quantum.jobs.collectors"
_KINDS: dict[Language, _Kind] = {
    Language.QISKIT_PYTHON: _Kind(
        f"{_COLLECTORS}.qiskit_circuit:collect",
        "from qiskit import ClassicalRegister, QuantumCircuit, QuantumRegister",
        ("qiskit",),
        "qiskit",
    ),
    Language.BRAKET_PYTHON: _Kind(
        f"{_COLLECTORS}.braket_circuit:collect",
        "from braket.circuits import Circuit",
        ("braket.circuits",),
        "braket",
    ),
    Language.QRISP_PYTHON: _Kind(
        f"{_COLLECTORS}.qrisp_circuit:collect",
        "from qrisp import QuantumCircuit",
        ("qrisp",),
        "qrisp",
    ),
    Language.QUIL_PYTHON: _Kind(
        f"{_COLLECTORS}.quil_program:collect",
        "from pyquil import Program",
        ("pyquil", "pyquil.gates", "pyquil.quilbase"),
        "pyquil",
    ),
}
_LINE = re.compile(r'(File "<program>", line )(\d+)')


def sandbox_source(language: Language, source: str) -> str:
    """The program as the sandbox runs it: one line of imports first, and a bare
    BRAKET_PYTHON expression assigned to `circuit` (lines keep their numbers + 1)."""
    kind = _KINDS[language]
    if language is Language.BRAKET_PYTHON and _is_expression(source):
        source = f"circuit = ({source}\n)"
    return f"{kind.preamble}\n{source}"


def _is_expression(source: str) -> bool:
    try:
        ast.parse(source, mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def _program_lines(traceback: str | None) -> str | None:
    """The program's traceback with its own line numbers (without the preamble)."""
    if traceback is None:
        return None
    return _LINE.sub(lambda m: f"{m.group(1)}{int(m.group(2)) - 1}", traceback)


def _check_supported(language: Language) -> _Kind:
    kind = _KINDS.get(language)
    if kind is None:
        raise ProgramFailed(
            f"{language.name} programs build no circuit: nothing can run them on a device."
        )
    if importlib.util.find_spec(kind.sdk) is None:
        raise MissingSdk(f"{language.name} programs need {kind.sdk}, which is not installed here.")
    return kind


async def collect_circuit(language: Language, source: str, *, settings: Settings) -> str | bytes:
    """Run the program in the sandbox and return its collected `circuit`.

    Raises:
        ProgramFailed: the program raised, ran too long, built no circuit or the wrong
            kind of object; the sandbox is unavailable on this server.
        MissingSdk: the language's SDK is not installed.
    """
    kind = _check_supported(language)
    try:
        from qfractal.compute.sandbox import (
            Isolation,
            Limits,
            SandboxEntry,
            SandboxSetupError,
            run_in_sandbox,
        )
    except ImportError:
        logger.exception("the sandbox for Python programs cannot be imported")
        raise ProgramFailed("sandbox unavailable: this server cannot run Python programs") from None
    entry = SandboxEntry(collector=kind.collector, variable="circuit", preload=kind.preload)
    limits = Limits(
        wall_seconds=WALL_SECONDS,
        cpu_seconds=CPU_SECONDS,
        memory_bytes=MEMORY_BYTES,
        result_bytes=RESULT_BYTES,
    )
    isolation = Isolation(hidden_paths=_hidden_paths(settings))
    try:
        outcome = await run_in_sandbox(
            sandbox_source(language, source), entry=entry, limits=limits, isolation=isolation
        )
    except SandboxSetupError:
        logger.exception("the sandbox failed to run a %s program", language.name)
        raise ProgramFailed(
            "sandbox unavailable: the sandbox failed to start (see the server log)"
        ) from None
    if outcome.ok and outcome.value is not None:
        return outcome.value
    message = outcome.message or outcome.status.value
    if outcome.exception_type:
        message = f"{outcome.exception_type}: {message}"
    raise ProgramFailed(
        f"the {language.name} program failed: {message}",
        traceback=_program_lines(outcome.traceback),
    )


def _hidden_paths(settings: Settings) -> tuple[Path, ...]:
    """What the program must not see: the server's data folder and its `.env`."""
    candidates = (settings.data_dir, Path(".env").resolve())
    return tuple(path for path in candidates if path.exists())


class CollectedCircuit:
    """The `PythonRunner` of one program whose circuit the sandbox already collected:
    decodes the collected value into the language's circuit object."""

    def __init__(self, language: Language, source: str, collected: str | bytes) -> None:
        self.language = language
        self.source = source
        self.collected = collected

    def __call__(self, language: Language, source: str) -> Any:
        if language is not self.language or source != self.source:
            raise ConversionError(
                "the program was not run in the sandbox", source=language.name, target="circuit"
            )
        try:
            return decode(language, self.collected)
        except Exception as exc:
            raise ConversionError(
                f"the circuit the program built cannot be read back: {exc}",
                source=language.name,
                target=(language.python_target or language).name,
            ) from exc


def decode(language: Language, collected: str | bytes) -> Any:
    """The circuit object from what the language's collector returned (untrusted data:
    parsed, never executed)."""
    if language is Language.QISKIT_PYTHON:
        return _from_qpy(collected)
    if language is Language.QRISP_PYTHON:
        from qrisp import QuantumCircuit

        return QuantumCircuit.from_qiskit(_from_qpy(collected))
    if not isinstance(collected, str):
        raise TypeError("expected text")
    if language is Language.BRAKET_PYTHON:
        from braket.circuits import Circuit

        return Circuit.from_ir(collected)
    if language is Language.QUIL_PYTHON:
        return collected
    raise TypeError(f"{language.name} has no collector")


def _from_qpy(collected: str | bytes) -> Any:
    import io

    from qiskit import QuantumCircuit, qpy

    if not isinstance(collected, bytes):
        raise TypeError("expected QPY bytes")
    circuits = qpy.load(io.BytesIO(collected))
    if len(circuits) != 1 or not isinstance(circuits[0], QuantumCircuit):
        raise TypeError("expected one QuantumCircuit")
    return circuits[0]
