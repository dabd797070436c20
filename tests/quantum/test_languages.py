import json
from pathlib import Path

import pytest

from qfractal.quantum.transpilers import (
    PYTHON_LANGUAGES,
    SAFE_LANGUAGES,
    InvalidProgram,
    Language,
    normalize_form,
)

OPENAPI = Path("/work/shared/reference/openapi/qunicorn-openapi-head-v1.0.4.json")


@pytest.mark.skipif(not OPENAPI.exists(), reason="qunicorn's OpenAPI dump is not here")
def test_names_are_qunicorns_wire_names() -> None:
    spec = json.loads(OPENAPI.read_text())
    schema = spec["components"]["schemas"]["QuantumProgramRequestDto"]
    assert [member.name for member in Language] == schema["properties"]["assemblerLanguage"]["enum"]


def test_parse_takes_names_and_stored_values() -> None:
    assert Language.parse("QISKIT_PYTHON") is Language.QISKIT_PYTHON
    assert Language.parse("qiskit-python") is Language.QISKIT_PYTHON
    assert Language.QISKIT_PYTHON.value == "QISKIT-PYTHON"
    with pytest.raises(ValueError, match="unknown language 'QPY'"):
        Language.parse("QPY")


def test_python_languages_and_targets() -> None:
    assert SAFE_LANGUAGES.isdisjoint(PYTHON_LANGUAGES)
    assert set(Language) == SAFE_LANGUAGES | PYTHON_LANGUAGES
    assert Language.QUIL_PYTHON.python_target is Language.QUIL
    assert Language.PYTHON.python_target is None
    assert Language.PYTHON_PYTHON.is_python and not Language.QASM2.is_python


def test_forms_are_checked() -> None:
    with pytest.raises(InvalidProgram, match=r"submitted as QISKIT_PYTHON"):
        normalize_form(Language.QISKIT, "circuit = QuantumCircuit(1)")
    with pytest.raises(InvalidProgram, match="a QASM2 program is text"):
        normalize_form(Language.QASM2, b"OPENQASM 2.0;")
    assert normalize_form(Language.BRAKET_PYTHON, "x = 1") == "x = 1"


def test_a_pyquil_program_is_kept_as_quil_text() -> None:
    from pyquil import Program

    assert normalize_form(Language.QUIL, Program("X 0")) == "X 0\n"
