"""A finished job's folder, zipped into `<folder>.zip` (where the job routes look for
its files once the folder is gone)."""

import logging
import os
import shutil
import zipfile
from pathlib import Path

from qfractal.workflows.jobs.files import archive_of

logger = logging.getLogger(__name__)


def _regular_files(folder: Path) -> list[Path]:
    """Files below `folder`, sorted; symbolic links are neither followed nor archived."""
    found = []
    for root, _dirs, names in os.walk(folder):
        for name in names:
            path = Path(root) / name
            if path.is_file() and not path.is_symlink():
                found.append(path)
    return sorted(found)


def _checks_out(archive: Path, expected: int) -> bool:
    try:
        with zipfile.ZipFile(archive) as zipped:
            return zipped.testzip() is None and len(zipped.namelist()) == expected
    except (OSError, zipfile.BadZipFile):
        return False


def archive_job_folder(folder: Path) -> bool:
    """Zip `folder` into `<folder>.zip`, then remove the folder if the archive reads back
    whole. False (and the folder kept) if anything went wrong. Blocks: run in a thread."""
    target = archive_of(str(folder))
    partial = target.with_name(f"{target.name}.part")
    try:
        files = _regular_files(folder)
        with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as zipped:
            for path in files:
                zipped.write(path, path.relative_to(folder).as_posix())
        if not _checks_out(partial, len(files)):
            logger.warning("archive of %s does not check out; the folder is kept", folder)
            partial.unlink(missing_ok=True)
            return False
        os.replace(partial, target)
        shutil.rmtree(folder)
    except OSError:
        logger.exception("cannot archive the job folder %s; it is kept", folder)
        partial.unlink(missing_ok=True)
        return False
    return True
