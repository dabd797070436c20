"""The program languages of the quantum face, as qunicorn v1.0.4 names them.

A member's *name* is the wire form (`QISKIT_PYTHON`, what the API takes and returns);
its *value* is qunicorn's stored form (`QISKIT-PYTHON`). `Language.parse` accepts both.

What a program of each language is, in memory:

| language | form |
|---|---|
| QASM2, QASM3, QUIL | text (`str`); QUIL also takes a pyQuil `Program`, kept as its text |
| QISKIT | a `qiskit.QuantumCircuit` object |
| BRAKET | a `braket.circuits.Circuit` object |
| QRISP | a `qrisp.QuantumCircuit` object |
| PYTHON and every `*_PYTHON` | Python source (`str`), never run in the server |

In qunicorn a QISKIT, BRAKET or QRISP *deployment* holds Python source that the server
exec()s. qfractal never does: user Python runs only in the sandboxed subprocess, which
hands back the circuit object (see `python_edges`). Inside this package `QISKIT` therefore
always means a QuantumCircuit object, and so on.
"""

from enum import StrEnum


class Language(StrEnum):
    QASM2 = "QASM2"
    QASM3 = "QASM3"
    QRISP = "QRISP"
    BRAKET = "BRAKET"
    QISKIT = "QISKIT"
    PYTHON = "PYTHON"
    QUIL = "QUIL"
    QRISP_PYTHON = "QRISP-PYTHON"
    BRAKET_PYTHON = "BRAKET-PYTHON"
    QISKIT_PYTHON = "QISKIT-PYTHON"
    PYTHON_PYTHON = "PYTHON-PYTHON"
    QUIL_PYTHON = "QUIL-PYTHON"

    @classmethod
    def parse(cls, text: str) -> "Language":
        """The language named `text`: wire name (`QUIL_PYTHON`) or stored value (`QUIL-PYTHON`).

        Raises:
            ValueError: no such language.
        """
        key = text.strip().upper().replace("-", "_")
        try:
            return cls[key]
        except KeyError:
            names = ", ".join(member.name for member in cls)
            raise ValueError(f"unknown language {text!r}; expected one of {names}") from None

    @property
    def is_python(self) -> bool:
        """True for Python source: PYTHON and the `*_PYTHON` languages."""
        return self in PYTHON_LANGUAGES

    @property
    def is_text(self) -> bool:
        """True for the languages parsed from text here: QASM2, QASM3, QUIL."""
        return self in TEXT_LANGUAGES

    @property
    def python_target(self) -> "Language | None":
        """The circuit a `*_PYTHON` program builds (QISKIT for QISKIT_PYTHON), else None."""
        return PYTHON_TARGETS.get(self)


TEXT_LANGUAGES = frozenset({Language.QASM2, Language.QASM3, Language.QUIL})
"""Parsed from strings in the server."""

OBJECT_LANGUAGES = frozenset({Language.QISKIT, Language.BRAKET, Language.QRISP})
"""In-memory circuit objects of an SDK."""

PYTHON_LANGUAGES = frozenset(
    {
        Language.PYTHON,
        Language.QRISP_PYTHON,
        Language.BRAKET_PYTHON,
        Language.QISKIT_PYTHON,
        Language.PYTHON_PYTHON,
        Language.QUIL_PYTHON,
    }
)
"""Python source: run only in the sandbox, never in the server."""

SAFE_LANGUAGES = TEXT_LANGUAGES | OBJECT_LANGUAGES
"""Every language the server converts without running user code."""

PYTHON_TARGETS: dict[Language, Language] = {
    Language.QRISP_PYTHON: Language.QRISP,
    Language.BRAKET_PYTHON: Language.BRAKET,
    Language.QISKIT_PYTHON: Language.QISKIT,
    Language.QUIL_PYTHON: Language.QUIL,
}
"""What the sandbox hands back for each `*_PYTHON` language. PYTHON and PYTHON_PYTHON
(free-form scripts) build no circuit and have no converters."""
