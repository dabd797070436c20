"""A job's files: its live log, the log of one task call, and its folder as a zip archive.

While a job runs, its folder holds `workflow.log` and one log file per task call. When
it ends, the runner may zip the folder into `<folder>.zip` and remove the folder; every
read here looks in the folder first and then in that archive. These functions block
(file I/O): async callers run them in a thread.
"""

import os
import posixpath
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from qfractal.errors import NotFound

WORKFLOW_LOG = "workflow.log"
CHUNK_SIZE = 1 << 16


def read_text(path: Path) -> str | None:
    """The text of a file (undecodable bytes replaced), or None if it cannot be read."""
    try:
        return path.read_text(errors="replace")
    except OSError:
        return None


def archive_of(working_dir: str) -> Path:
    return Path(f"{working_dir.rstrip('/')}.zip")


def _read_member(archive: Path, names: Sequence[str]) -> str | None:
    try:
        with zipfile.ZipFile(archive) as zipped:
            present = set(zipped.namelist())
            for name in names:
                if name in present:
                    return zipped.read(name).decode(errors="replace")
    except (OSError, zipfile.BadZipFile):
        return None
    return None


def _relative(path: str, folder: str | None) -> str | None:
    if not folder:
        return None
    folder = folder.rstrip("/")
    return posixpath.relpath(path, folder) if path.startswith(folder + "/") else None


def read_job_file(
    path: str, *, working_dir: str | None, working_dir_user: str | None
) -> str | None:
    """A file of a job (given by its path in either job folder), from the folder or from
    the folder's zip archive; None if it is in neither."""
    text = read_text(Path(path))
    if text is not None or not working_dir:
        return text
    folder_name = posixpath.basename(working_dir.rstrip("/"))
    names: list[str] = []
    for folder in (working_dir, working_dir_user):
        relative = _relative(path, folder)
        if relative is not None:
            names += [relative, f"{folder_name}/{relative}"]
    return _read_member(archive_of(working_dir), names) if names else None


def read_live_log(working_dir: str | None) -> str | None:
    """`workflow.log` of a running job, as far as it is written."""
    return read_text(Path(working_dir) / WORKFLOW_LOG) if working_dir else None


@dataclass(frozen=True)
class JobArchive:
    """What to send for a job's files: an existing zip archive, or a folder to zip."""

    filename: str
    zip_file: Path | None = None
    folder: Path | None = None


def job_archive(job_id: int, working_dir: str | None) -> JobArchive:
    """The job's files: its folder if it is still there, else its zip archive (404 if
    neither exists)."""
    if working_dir:
        folder = Path(working_dir)
        filename = f"{folder.name}_archive.zip"
        if folder.is_dir():
            return JobArchive(filename=filename, folder=folder)
        if archive_of(working_dir).is_file():
            return JobArchive(filename=filename, zip_file=archive_of(working_dir))
    raise NotFound(
        f"Job {job_id} has no files: neither its folder {working_dir} nor "
        f"{working_dir}.zip exists (the job may not have started yet)."
    )


class _Sink:
    """A write-only stream that hands out what was written so far."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        self._parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data = b"".join(self._parts)
        self._parts.clear()
        return data


def _files(folder: Path) -> Iterator[Path]:
    """Regular files below `folder`, sorted; symbolic links are not followed nor sent."""
    for root, dirs, files in os.walk(folder):
        dirs.sort()
        for name in sorted(files):
            path = Path(root) / name
            if path.is_file() and not path.is_symlink():
                yield path


def zip_folder(folder: Path) -> Iterator[bytes]:
    """The folder as a zip archive, in chunks, without building it in memory or on disk."""
    sink = _Sink()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in _files(folder):
            info = zipfile.ZipInfo.from_file(path, path.relative_to(folder).as_posix())
            info.compress_type = zipfile.ZIP_DEFLATED
            large = info.file_size >= zipfile.ZIP64_LIMIT
            with path.open("rb") as source, archive.open(info, "w", force_zip64=large) as target:
                while block := source.read(CHUNK_SIZE):
                    target.write(block)
                    if data := sink.take():
                        yield data
    if data := sink.take():
        yield data
