"""The handler registry and the engine's settings (no database)."""

import pytest
from pydantic import ValidationError

from qfractal.compute.engine.handlers import HandlerRegistry, UnknownJobKind
from qfractal.config import Settings
from tests.compute.engine.command_handler import CommandHandler, StubbornHandler


def test_registry_maps_kinds_to_handlers() -> None:
    registry = HandlerRegistry()
    handler = CommandHandler()
    registry.register(handler)
    registry.register(handler)  # again: harmless
    registry.register(StubbornHandler())

    assert registry.handler_for("test.command") is handler
    assert registry.kinds() == ["test.command", "test.stubborn"]
    with pytest.raises(UnknownJobKind, match=r"test\.nobody"):
        registry.handler_for("test.nobody")
    with pytest.raises(ValueError, match="already registered"):
        registry.register(CommandHandler())


def test_handler_modules_are_comma_separated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QFRACTAL_ENGINE_HANDLER_MODULES", "plugins.one, plugins.two,")
    assert Settings(_env_file=None).engine_handler_modules == ["plugins.one", "plugins.two"]


def test_the_heartbeat_must_be_shorter_than_the_lease() -> None:
    with pytest.raises(ValidationError, match="shorter than engine_lease_seconds"):
        Settings(engine_heartbeat_seconds=10, engine_lease_seconds=10, _env_file=None)
