from qfractal.quantum.transpilers import Language, ProgramForms
from tests.quantum.programs import BELL


def test_conversions_keep_every_form_on_the_way() -> None:
    forms = ProgramForms(Language.QASM2, BELL.qasm2())
    language, circuit = forms.to([Language.BRAKET])
    assert language is Language.BRAKET and forms[Language.BRAKET] is circuit
    assert list(forms) == [Language.QASM2, Language.QISKIT, Language.QASM3, Language.BRAKET]
    assert [forms.distance(lang) for lang in forms] == [0, 1, 2, 3]


def test_later_routes_start_from_the_nearest_cached_form() -> None:
    forms = ProgramForms(Language.QASM2, BELL.qasm2())
    forms.to(Language.BRAKET)
    qiskit = forms[Language.QISKIT]
    assert str(forms.route_to(Language.QUIL)) == "QISKIT -> QUIL"
    forms.to(Language.QUIL)
    assert forms[Language.QISKIT] is qiskit  # not converted again
    assert forms.distance(Language.QUIL) == 2
    assert len(forms.route_to([Language.QASM3, Language.QUIL])) == 0


def test_text_forms_persist_and_restore() -> None:
    forms = ProgramForms(Language.QASM2, BELL.qasm2())
    forms.to(Language.BRAKET)
    forms.to(Language.QUIL)
    stored = forms.text_forms()
    assert set(stored) == {Language.QASM3, Language.QUIL}
    restored = ProgramForms.restore(Language.QASM2, BELL.qasm2(), stored)
    assert restored.distance(Language.QUIL) == 2
    assert str(restored.route_to(Language.BRAKET)) == "QASM3 -> BRAKET"
