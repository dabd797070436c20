"""User code never sees the server's settings in its environment."""

import subprocess
import sys

import pytest

from qfractal.compute.executors.environment import user_code_environment


def test_server_settings_are_not_passed_to_user_code(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QFRACTAL_JWT_SECRET", "do-not-leak-this-secret-to-tasks")
    monkeypatch.setenv("QFRACTAL_DATABASE_URL", "postgresql://user:password@db/qfractal")
    monkeypatch.setenv("MY_TASK_SETTING", "kept")
    shown = subprocess.run(
        [sys.executable, "-c", "import os; print(sorted(os.environ))"],
        env=user_code_environment(),
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "MY_TASK_SETTING" in shown and "PATH" in shown
    assert "QFRACTAL_" not in shown
