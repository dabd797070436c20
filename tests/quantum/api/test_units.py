"""Pure pieces of the quantum API: name patterns, token sealing, language names, links."""

import pytest

from qfractal.quantum.deployments.service import like_pattern
from qfractal.quantum.links import Links
from qfractal.quantum.schemas import parse_language
from qfractal.quantum.secrets import UnreadableToken, open_token, seal_token
from qfractal.quantum.transpilers.languages import Language

SECRET = "a-server-secret-of-at-least-32-characters"


@pytest.mark.parametrize(
    ("pattern", "like"),
    [
        ("QASM%", "QASM%"),
        ("a_b", "a\\_b"),
        ("100\\%", "100\\%"),
        ("back\\\\slash", "back\\\\slash"),
        ("\\a", "a"),
        ("end\\", "end\\\\"),
        ("\\_", "\\_"),
    ],
)
def test_like_pattern(pattern: str, like: str) -> None:
    assert like_pattern(pattern) == like


def test_sealed_tokens_open_only_with_the_same_secret() -> None:
    sealed = seal_token(SECRET, "ibm-api-token")
    assert "ibm-api-token" not in sealed
    assert seal_token(SECRET, "ibm-api-token") != sealed  # random IV
    assert open_token(SECRET, sealed) == "ibm-api-token"
    with pytest.raises(UnreadableToken):
        open_token(SECRET + "x", sealed)
    with pytest.raises(UnreadableToken):
        open_token(SECRET, sealed[:-4] + "AAAA")
    with pytest.raises(UnreadableToken):
        open_token(SECRET, "not a token ü")


def test_language_names() -> None:
    assert parse_language("QISKIT_PYTHON") is Language.QISKIT_PYTHON
    assert parse_language("qiskit-python") is Language.QISKIT_PYTHON
    assert parse_language("BASIQ") is Language.QUIL
    with pytest.raises(ValueError, match="unknown language"):
        parse_language("QASM4")
    with pytest.raises(ValueError, match="not int"):
        parse_language(3)


def test_links_keep_the_root_path() -> None:
    links = Links("https://example.org/base/")
    assert links.deployment(3) == "https://example.org/base/quantum/deployments/3/"
    assert links.program(3, 4) == "https://example.org/base/quantum/deployments/3/programs/4/"
    assert links.devices(provider_id=2) == "https://example.org/base/quantum/devices/?provider=2"
    assert links.absolute("/docs") == "https://example.org/base/docs"
