"""The mock task package `tests/qfractal_tasks_mock`, built into wheels once per session.

The wheels are built with hatchling and no build isolation, so no network is needed. The
broken variant's manifest names an executable the package does not contain.
"""

import json
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

MOCK_PACKAGE = Path(__file__).parent / "qfractal_tasks_mock"
MOCK_NAME = "qfractal-tasks-mock"
MOCK_VERSION = "0.1.0"
BROKEN_VERSION = "0.0.9"


@dataclass(frozen=True)
class MockWheels:
    good: Path
    broken: Path


def _build_wheel(source: Path, out_dir: Path) -> Path:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "build",
            "--wheel",
            "--no-isolation",
            "--outdir",
            str(out_dir),
            str(source),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = out_dir.glob("*.whl")
    return wheel


def _broken_copy(folder: Path) -> Path:
    """The mock package with another version and a manifest naming a missing executable."""
    source = folder / "source"
    shutil.copytree(MOCK_PACKAGE, source, ignore=shutil.ignore_patterns("__pycache__"))
    pyproject = source / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace(
            f'version = "{MOCK_VERSION}"', f'version = "{BROKEN_VERSION}"'
        )
    )
    manifest_path = source / "src" / "qfractal_tasks_mock" / "__FRACTAL_MANIFEST__.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["task_list"].append(
        {
            "name": "ghost",
            "executable_non_parallel": "ghost_task.py",
            "args_schema_non_parallel": {"type": "object", "properties": {}},
        }
    )
    manifest_path.write_text(json.dumps(manifest))
    return source


@pytest.fixture(scope="session")
def mock_wheels(tmp_path_factory: pytest.TempPathFactory) -> MockWheels:
    folder = tmp_path_factory.mktemp("mock-wheels")
    good = _build_wheel(MOCK_PACKAGE, folder / "good")
    broken = _build_wheel(_broken_copy(folder), folder / "broken")
    return MockWheels(good=good, broken=broken)
