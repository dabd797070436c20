"""Registers the workflow runner with the job engine when imported (a module listed in
`qfractal/handlers.py`, or named in `QFRACTAL_ENGINE_HANDLER_MODULES`)."""

from qfractal.compute.engine.handlers import registry
from qfractal.workflows.runner.handler import WorkflowJobHandler

handler = WorkflowJobHandler()
"""The process's one runner: registering it again is harmless."""


def register() -> None:
    registry.register(handler)


register()
