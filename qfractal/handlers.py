"""The faces' job handlers, registered by the app and by `qfractal worker` at start-up.

Each module listed here (and in `QFRACTAL_ENGINE_HANDLER_MODULES`) registers its
handlers when imported, with `qfractal.compute.engine.handlers.register(...)`. The
engine itself never imports a face.
"""

import importlib

from qfractal.config import Settings

HANDLER_MODULES: tuple[str, ...] = (
    "qfractal.workflows.runner.registration",
    "qfractal.quantum.jobs.registration",
)
"""Built-in handler modules of the faces."""


def register_handlers(settings: Settings) -> None:
    """Import the built-in handler modules and those named in the settings."""
    for name in (*HANDLER_MODULES, *settings.engine_handler_modules):
        importlib.import_module(name)
