"""Checking that a program has the in-memory form its language calls for.

The checks look classes up in `sys.modules` instead of importing the SDKs: an object can
only be a `QuantumCircuit` if qiskit is already imported, and checking a string must not
cost the second or more that importing qiskit, Braket or pyQuil takes.
"""

import sys
from typing import Any

from qfractal.quantum.transpilers.errors import InvalidProgram
from qfractal.quantum.transpilers.languages import Language

_CLASSES: dict[Language, tuple[str, str, str]] = {
    Language.QISKIT: ("qiskit.circuit", "QuantumCircuit", "a qiskit QuantumCircuit"),
    Language.BRAKET: ("braket.circuits", "Circuit", "a braket.circuits.Circuit"),
    Language.QRISP: ("qrisp", "QuantumCircuit", "a qrisp QuantumCircuit"),
}


def is_instance_of(obj: Any, module: str, name: str) -> bool:
    """isinstance(obj, module.name), without importing `module` when it is not loaded yet."""
    loaded = sys.modules.get(module)
    cls = getattr(loaded, name, None) if loaded is not None else None
    return isinstance(cls, type) and isinstance(obj, cls)


def is_pyquil_program(obj: Any) -> bool:
    return is_instance_of(obj, "pyquil.quil", "Program")


def normalize_form(language: Language, program: Any) -> Any:
    """`program` as the form `language` holds in memory (see `languages`).

    A pyQuil `Program` given as QUIL becomes its Quil text, so that every QUIL form is a
    string (storable, and parsed again in a few milliseconds).

    Raises:
        InvalidProgram: `program` is not of the right type for `language`.
    """
    if language is Language.QUIL and is_pyquil_program(program):
        return program.out()
    if language.is_text or language.is_python:
        if not isinstance(program, str):
            raise InvalidProgram(f"a {language.name} program is text, not {type(program).__name__}")
        return program
    module, name, what = _CLASSES[language]
    if not is_instance_of(program, module, name):
        hint = ""
        if isinstance(program, str):
            hint = f" (Python source is submitted as {language.name}_PYTHON)"
        raise InvalidProgram(
            f"a {language.name} program is {what}, not {type(program).__name__}{hint}"
        )
    return program
