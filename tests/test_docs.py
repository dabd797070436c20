"""The README documents every setting and every CLI command."""

from pathlib import Path

from qfractal.config import Settings

README = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")


def test_every_setting_is_in_the_readme() -> None:
    missing = [
        f"QFRACTAL_{name.upper()}"
        for name in Settings.model_fields
        if f"QFRACTAL_{name.upper()}" not in README
    ]
    assert missing == []


def test_every_cli_command_is_in_the_readme() -> None:
    for command in ("init", "serve", "worker", "user create", "user list", "openapi", "db upgrade"):
        assert f"qfractal {command}" in README
