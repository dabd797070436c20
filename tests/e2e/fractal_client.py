"""The real `fractal` CLI (fractal-client from the package index) in throw-away venvs.

Each client version is installed once into `<repo>/.cache/fractal-client-<version>/`
and reused by later runs; delete the folder to reinstall.
"""

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CLIENT_VERSIONS = ("2.17.0", "2.18.2")
CACHE = Path(__file__).resolve().parents[2] / ".cache"


def client_executable(version: str) -> Path:
    venv = CACHE / f"fractal-client-{version}"
    executable = venv / "bin" / "fractal"
    if not executable.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run(
            [str(venv / "bin" / "pip"), "install", "--quiet", f"fractal-client=={version}"],
            check=True,
            timeout=600,
        )
    return executable


@dataclass
class FractalCLI:
    """Runs `fractal ...` against one server as one user."""

    executable: Path
    server: str
    cache_dir: Path
    user: str
    password: str

    def run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("FRACTAL_")}
        env.update(
            FRACTAL_SERVER=self.server,
            FRACTAL_USER=self.user,
            FRACTAL_PASSWORD=self.password,
            FRACTAL_CACHE_PATH=str(self.cache_dir),
        )
        return subprocess.run(
            [str(self.executable), *args], env=env, capture_output=True, text=True, timeout=timeout
        )

    def ok(self, *args: str) -> str:
        """stdout of a command that must succeed."""
        result = self.run(*args)
        assert result.returncode == 0, (args, result.stdout, result.stderr)
        return result.stdout

    def json(self, *args: str) -> Any:
        """The JSON a command prints (fractal prints objects as indented JSON)."""
        return json.loads(self.ok(*args))

    def batch_id(self, *args: str) -> int:
        """The ID that `fractal --batch ...` prints for a created object."""
        return int(self.ok("--batch", *args).split()[0])

    def as_user(self, user: str, password: str) -> "FractalCLI":
        return FractalCLI(self.executable, self.server, self.cache_dir, user, password)
