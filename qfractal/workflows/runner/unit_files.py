"""Names of the files each unit leaves in the job folder (fractal-server 2.17, §2.6).

Each workflow task has a folder `{order}_{slug(task name)}`; in it, a non-parallel call
(or a compound task's init call) writes `non_par--args.json`, `non_par--log.txt` and
`non_par--metadiff.json`; the i-th parallel call (or compute call) of batch b writes
`par-{b:06d}-{i:07d}-args.json` and so on.
"""

import string
from dataclasses import dataclass

NON_PARALLEL_PREFIX = "non_par"
PARALLEL_PREFIX = "par"

_TO_UNDERSCORE = str.maketrans(dict.fromkeys(string.punctuation + string.whitespace, "_"))


def slug(name: str) -> str:
    """`name` in lower case, each ASCII punctuation or whitespace character an `_`."""
    return name.lower().translate(_TO_UNDERSCORE)


def task_folder(order: int, task_name: str) -> str:
    """The folder of a workflow task's units, relative to the job folder."""
    return f"{order}_{slug(task_name)}"


@dataclass(frozen=True)
class UnitFiles:
    """The files of one unit, relative to the job folder."""

    folder: str
    stem: str

    def _file(self, suffix: str) -> str:
        return f"{self.folder}/{self.stem}-{suffix}"

    @property
    def args_file(self) -> str:
        """The `--args-json` file."""
        return self._file("args.json")

    @property
    def metadiff_file(self) -> str:
        """The `--out-json` file."""
        return self._file("metadiff.json")

    @property
    def log_file(self) -> str:
        """Standard output and error of the call."""
        return self._file("log.txt")


def non_parallel_files(folder: str) -> UnitFiles:
    """The files of a non-parallel call, or of a compound task's init call."""
    return UnitFiles(folder=folder, stem=f"{NON_PARALLEL_PREFIX}-")


def parallel_files(folder: str, *, index: int, batch_size: int) -> UnitFiles:
    """The files of the `index`-th (from 0) parallel or compute call, the executor
    running `batch_size` calls per batch."""
    if index < 0 or batch_size < 1:
        raise ValueError(f"need index >= 0 and batch_size >= 1, got {index}, {batch_size}")
    return UnitFiles(folder=folder, stem=f"{PARALLEL_PREFIX}-{index // batch_size:06d}-{index:07d}")
