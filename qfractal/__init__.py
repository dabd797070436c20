"""qfractal: one server for bioimage workflows and quantum jobs."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("qfractal")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"
