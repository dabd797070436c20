"""Forms of programs made by earlier runs, kept in the table `quantum_program_form` and
reused by later runs on any worker (qunicorn's transpilation cache).

Two kinds of form are kept, each at most `MAX_FORM_BYTES`:

- the text forms on the routes to the pilots' languages (OpenQASM, Quil), with their
  distance in conversion steps from the source;
- under the program's own language, the circuit the sandbox collected from a `*_PYTHON`
  program, so that a rerun does not run the user's code again.

Every form is stamped with `converters_stamp()`, a digest of the converters' code and
the SDKs' versions: a form made by other converters is not used, and is replaced when
the form is made again.
"""

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from importlib.metadata import PackageNotFoundError, version

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from qfractal.db.dialect import upsert
from qfractal.quantum.jobs.execution import TextForms
from qfractal.quantum.models import QuantumProgramForm
from qfractal.quantum.transpilers import Language

MAX_FORM_BYTES = 1024**2
_CONVERTER_PACKAGES = ("qfractal.quantum.transpilers", "qfractal.quantum.jobs.collectors")
_SDKS = ("qiskit", "qiskit-qasm3-import", "amazon-braket-sdk", "pyquil", "qrisp")


@dataclass
class StoredForms:
    """A program's forms: those read from the table, or those a run made."""

    text: TextForms = field(default_factory=dict)
    collected: str | bytes | None = None

    def __bool__(self) -> bool:
        return bool(self.text) or self.collected is not None


@cache
def converters_stamp() -> str:
    """A digest of the converters' source files and the SDK versions."""
    digest = hashlib.sha256()
    for package in _CONVERTER_PACKAGES:
        files = sorted(resources.files(package).iterdir(), key=lambda path: path.name)
        for path in files:
            if path.name.endswith(".py"):
                digest.update(path.name.encode() + b"\0" + path.read_bytes())
    for sdk in _SDKS:
        try:
            digest.update(f"{sdk}=={version(sdk)}\0".encode())
        except PackageNotFoundError:
            digest.update(f"{sdk} missing\0".encode())
    return digest.hexdigest()[:32]


async def read_forms(
    session: AsyncSession, programs: Iterable[tuple[int, Language]]
) -> dict[int, StoredForms]:
    """The current forms of these programs (id, language), by program id."""
    languages = dict(programs)
    found: dict[int, StoredForms] = {program_id: StoredForms() for program_id in languages}
    rows = await session.scalars(
        select(QuantumProgramForm).where(
            QuantumProgramForm.program_id.in_(languages),
            QuantumProgramForm.converters == converters_stamp(),
        )
    )
    for row in rows:
        forms = found[row.program_id]
        language = Language(row.language)
        if language is languages[row.program_id]:
            forms.collected = row.data if row.data is not None else row.text
        elif row.text is not None:
            forms.text[language] = (row.text, row.steps)
    return found


async def keep_forms(
    session: AsyncSession, program_id: int, language: Language, made: StoredForms
) -> None:
    """Add or replace the forms a run made of the program (`language`: its own)."""
    rows = [
        _row(program_id, target, text=text, steps=steps)
        for target, (text, steps) in made.text.items()
        if len(text) <= MAX_FORM_BYTES
    ]
    collected = made.collected
    if collected is not None and len(collected) <= MAX_FORM_BYTES:
        if isinstance(collected, bytes):
            rows.append(_row(program_id, language, data=collected))
        else:
            rows.append(_row(program_id, language, text=collected))
    if not rows:
        return
    statement = upsert(session, QuantumProgramForm).values(rows)
    excluded = statement.excluded
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["program_id", "language"],
            set_={
                "converters": excluded.converters,
                "text": excluded.text,
                "data": excluded.data,
                "steps": excluded.steps,
            },
        )
    )


def _row(
    program_id: int,
    language: Language,
    *,
    text: str | None = None,
    data: bytes | None = None,
    steps: int = 0,
) -> dict[str, object]:
    return {
        "program_id": program_id,
        "language": language.value,
        "converters": converters_stamp(),
        "text": text,
        "data": data,
        "steps": steps,
    }
