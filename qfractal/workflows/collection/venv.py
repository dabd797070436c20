"""Task environments on disk: build a venv, install into it, inspect it, measure it, remove it."""

import asyncio
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from qfractal.workflows.collection import commands
from qfractal.workflows.collection.manifest import MANIFEST_FILENAME, ManifestError


@dataclass(frozen=True)
class Venv:
    """A task group's virtual environment and how pip is run in it."""

    path: str
    pip_cache_dir: str | None = None

    @property
    def python(self) -> str:
        return f"{self.path}/bin/python"

    async def create(self, base_python: str) -> None:
        await commands.run(commands.create_venv(base_python, self.path))

    async def install(self, *requirements: str) -> None:
        if requirements:
            await commands.run(
                commands.pip_install(self.python, requirements, cache_dir=self.pip_cache_dir)
            )

    async def upgrade_pip(self) -> None:
        await self.install("--upgrade", "pip")

    async def freeze(self) -> str:
        return (await commands.run(commands.pip_freeze(self.python))).stdout

    async def manifest_path(self, distribution: str) -> Path:
        """Where the installed distribution keeps its manifest (from `pip show --files`)."""
        shown = await commands.run(commands.pip_show_files(self.python, distribution))
        return locate_manifest(shown.stdout, distribution)

    async def size(self) -> tuple[int, int]:
        return await asyncio.to_thread(folder_size, Path(self.path))


def locate_manifest(pip_show_output: str, distribution: str) -> Path:
    """Read `pip show --files` output: the one manifest file among the distribution's files."""
    location: str | None = None
    files: list[str] = []
    in_files = False
    for line in pip_show_output.splitlines():
        if in_files and line.startswith(" "):
            files.append(line.strip())
            continue
        in_files = False
        key, _, value = line.partition(":")
        if key == "Location":
            location = value.strip()
        elif key == "Files":
            in_files = True
    manifests = [f for f in files if Path(f).name == MANIFEST_FILENAME]
    if location is None or not manifests:
        raise ManifestError(f"Package {distribution} has no {MANIFEST_FILENAME} among its files.")
    if len(manifests) > 1:
        raise ManifestError(f"Package {distribution} has several manifests: {manifests}.")
    return Path(location, manifests[0]).resolve()


def folder_size(path: Path) -> tuple[int, int]:
    """(size in kB, number of files) of a folder, not following symlinks."""
    total = count = 0
    for root, _dirs, names in os.walk(path):
        for name in names:
            try:
                total += os.lstat(os.path.join(root, name)).st_size
            except OSError:
                continue
            count += 1
    return total // 1024, count


async def remove_tree(path: str | Path) -> None:
    await asyncio.to_thread(shutil.rmtree, path, ignore_errors=True)
