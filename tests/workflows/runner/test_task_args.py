"""What each call is given: `--args-json` per task type, the argv, the unit files."""

import pytest

from qfractal.workflows.runner.task_args import (
    compute_args,
    non_parallel_args,
    parallel_args,
    task_command,
)
from qfractal.workflows.runner.task_output import ParallelizationItem
from qfractal.workflows.runner.unit_files import (
    UnitFiles,
    non_parallel_files,
    parallel_files,
    slug,
    task_folder,
)
from qfractal.workflows.tasks.schemas import TaskType

URLS = ["/zarr/a", "/zarr/b"]

NON_PARALLEL = {
    "non_parallel": (
        TaskType.NON_PARALLEL,
        {"zarr_urls": URLS, "zarr_dir": "/zarr", "level": 2},
    ),
    "converter_non_parallel: no zarr_urls": (
        TaskType.CONVERTER_NON_PARALLEL,
        {"zarr_dir": "/zarr", "level": 2},
    ),
    "compound init": (TaskType.COMPOUND, {"zarr_urls": URLS, "zarr_dir": "/zarr", "level": 2}),
    "converter_compound init: no zarr_urls": (
        TaskType.CONVERTER_COMPOUND,
        {"zarr_dir": "/zarr", "level": 2},
    ),
}


@pytest.mark.parametrize(("task_type", "expected"), NON_PARALLEL.values(), ids=NON_PARALLEL.keys())
def test_non_parallel_args(task_type, expected):
    args = non_parallel_args(task_type, zarr_urls=URLS, zarr_dir="/zarr", args={"level": 2})
    assert args == expected


def test_a_parallel_task_has_no_non_parallel_call():
    with pytest.raises(ValueError, match="no non-parallel call"):
        non_parallel_args(TaskType.PARALLEL, zarr_urls=URLS, zarr_dir="/zarr", args={})


OTHER_CALLS = {
    "non-parallel without args": (
        lambda: non_parallel_args(TaskType.NON_PARALLEL, zarr_urls=[], zarr_dir="/z", args=None),
        {"zarr_urls": [], "zarr_dir": "/z"},
    ),
    "the runner's zarr_dir wins over a stray reserved key": (
        lambda: non_parallel_args(
            TaskType.CONVERTER_NON_PARALLEL, zarr_urls=[], zarr_dir="/z", args={"zarr_dir": "/x"}
        ),
        {"zarr_dir": "/z"},
    ),
    "parallel: one image": (
        lambda: parallel_args("/zarr/a", args={"sigma": 1.5}),
        {"zarr_url": "/zarr/a", "sigma": 1.5},
    ),
    "parallel without args": (lambda: parallel_args("/zarr/a", args=None), {"zarr_url": "/zarr/a"}),
    "compound compute: item with its init_args": (
        lambda: compute_args(
            ParallelizationItem(zarr_url="/zarr/a", init_args={"well": "A01"}), args={"n": 3}
        ),
        {"zarr_url": "/zarr/a", "init_args": {"well": "A01"}, "n": 3},
    ),
    "compound compute: empty init_args": (
        lambda: compute_args(ParallelizationItem(zarr_url="/zarr/a"), args=None),
        {"zarr_url": "/zarr/a", "init_args": {}},
    ),
}


@pytest.mark.parametrize(("call", "expected"), OTHER_CALLS.values(), ids=OTHER_CALLS.keys())
def test_call_args(call, expected):
    assert call() == expected


COMMANDS = {
    "python and script": (
        "/venv/bin/python3 /pkg/task.py",
        ["/venv/bin/python3", "/pkg/task.py"],
    ),
    "quoted path with a space": (
        "'/my venv/bin/python' -m pkg.task",
        ["/my venv/bin/python", "-m", "pkg.task"],
    ),
    "shell characters stay plain arguments": (
        "/bin/task 'a;b' $HOME",
        ["/bin/task", "a;b", "$HOME"],
    ),
}


@pytest.mark.parametrize(("command", "argv"), COMMANDS.values(), ids=COMMANDS.keys())
def test_task_command(command, argv):
    assert task_command(command, args_file="/j/a.json", out_file="/j/o.json") == [
        *argv,
        "--args-json",
        "/j/a.json",
        "--out-json",
        "/j/o.json",
    ]


SLUGS = {
    "plain": ("mytask", "mytask"),
    "lower case": ("Illumination Correction", "illumination_correction"),
    "each punctuation character": ("Create OME-Zarr (v2)", "create_ome_zarr__v2_"),
    "tabs and newlines": ("a\tb\nc", "a_b_c"),
    "non-ASCII letters kept": ("Zellzählung", "zellzählung"),
}


@pytest.mark.parametrize(("name", "expected"), SLUGS.values(), ids=SLUGS.keys())
def test_slug(name, expected):
    assert slug(name) == expected


def test_task_folder():
    assert task_folder(0, "Create OME-Zarr") == "0_create_ome_zarr"
    assert task_folder(12, "MIP") == "12_mip"


FILES = {
    "non-parallel": (non_parallel_files("1_t"), "1_t/non_par-"),
    "first parallel call": (parallel_files("1_t", index=0, batch_size=1), "1_t/par-000000-0000000"),
    "batches of one": (parallel_files("1_t", index=7, batch_size=1), "1_t/par-000007-0000007"),
    "batches of ten": (parallel_files("1_t", index=12, batch_size=10), "1_t/par-000001-0000012"),
    "last of a batch": (parallel_files("1_t", index=9, batch_size=10), "1_t/par-000000-0000009"),
}


@pytest.mark.parametrize(("files", "stem"), FILES.values(), ids=FILES.keys())
def test_unit_files(files: UnitFiles, stem: str):
    assert files.args_file == f"{stem}-args.json"
    assert files.metadiff_file == f"{stem}-metadiff.json"
    assert files.log_file == f"{stem}-log.txt"


def test_non_parallel_files_are_named_as_fractal_names_them():
    assert non_parallel_files("0_t").args_file == "0_t/non_par--args.json"


@pytest.mark.parametrize(("index", "batch_size"), [(-1, 1), (0, 0)])
def test_parallel_files_refuse_bad_numbers(index, batch_size):
    with pytest.raises(ValueError):
        parallel_files("0_t", index=index, batch_size=batch_size)
