"""A job's `workflow.log`: timestamped lines, each flushed at once so that the live log
(`GET .../job/{id}/?show_tmp_logs=true`) shows the job as it runs."""

import logging
from datetime import UTC, datetime
from pathlib import Path

from qfractal.workflows.jobs.files import WORKFLOW_LOG

LINE_FORMAT = "%(asctime)s - %(name)s - %(levelname)s - %(message)s"


class _UTCFormatter(logging.Formatter):
    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")


class JobLog:
    """Appends to `{working_dir}/workflow.log` under the name `WF{workflow}_job{job}`.

    The logger is not registered with `logging` (no global state per job): its lines go
    to the file only.
    """

    def __init__(self, working_dir: Path, *, name: str) -> None:
        self.path = working_dir / WORKFLOW_LOG
        self._handler = logging.FileHandler(self.path, encoding="utf-8")
        self._handler.setFormatter(_UTCFormatter(LINE_FORMAT))
        self._logger = logging.Logger(name)
        self._logger.addHandler(self._handler)

    def info(self, message: str) -> None:
        self._logger.info(message)

    def warning(self, message: str) -> None:
        self._logger.warning(message)

    def error(self, message: str) -> None:
        self._logger.error(message)

    def close(self) -> None:
        self._logger.removeHandler(self._handler)
        self._handler.close()

    def text(self) -> str:
        """Everything written so far."""
        return self.path.read_text(encoding="utf-8", errors="replace")
