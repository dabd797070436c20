"""Pure rules of `__FRACTAL_MANIFEST__.json` (version 2) and the task rows built from it."""

from pathlib import Path
from typing import Any

import pytest

from qfractal.workflows.collection.manifest import (
    ManifestError,
    build_tasks,
    check_executables,
    parse_manifest,
)
from qfractal.workflows.collection.venv import locate_manifest

SCHEMA = {"type": "object", "properties": {"zarr_url": {"type": "string"}}}


def manifest(*tasks: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {"manifest_version": "2", "task_list": list(tasks), **fields}


def test_a_valid_manifest() -> None:
    parsed = parse_manifest(
        manifest(
            {"name": "a", "executable_non_parallel": "a.py", "executable_parallel": "sub/b.py"},
            {"name": "c", "executable_parallel": "c.py", "meta_parallel": {"mem": 1}},
            {"name": "d", "executable_non_parallel": "d.py", "type": "converter_non_parallel"},
            authors="Someone",
        )
    )
    assert [t.task_type.value for t in parsed.task_list] == [
        "compound",
        "parallel",
        "converter_non_parallel",
    ]
    rows = build_tasks(
        parsed, python="/venv/bin/python", package_dir="/site/pkg", version="1.2", task_group_id=5
    )
    assert rows[0].command_non_parallel == "/venv/bin/python /site/pkg/a.py"
    assert rows[0].command_parallel == "/venv/bin/python /site/pkg/sub/b.py"
    assert rows[1].command_non_parallel is None
    assert rows[1].meta_parallel == {"mem": 1} and rows[1].meta_non_parallel == {}
    assert {row.version for row in rows} == {"1.2"} and rows[2].authors == "Someone"


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ({"manifest_version": "1", "task_list": []}, "manifest_version"),
        (manifest({"name": "a"}), "needs executable_non_parallel"),
        (
            manifest(
                {"name": "a", "executable_parallel": "a.py"},
                {"name": "a", "executable_parallel": "b.py"},
            ),
            "unique",
        ),
        (
            manifest({"name": "a", "executable_parallel": "a.py", "meta_non_parallel": {"x": 1}}),
            "must be {}",
        ),
        (
            manifest(
                {"name": "a", "executable_parallel": "a.py", "args_schema_non_parallel": SCHEMA}
            ),
            "null",
        ),
        (
            manifest({"name": "a", "executable_parallel": "a.py"}, has_args_schemas=True),
            "args_schema_parallel",
        ),
        (manifest({"name": "a", "executable_parallel": "a.py", "type": "compound"}), "exactly"),
        (manifest({"name": "a", "executable_parallel": "../evil.py"}), "inside the package"),
        (manifest({"name": "a", "executable_parallel": "/abs.py"}), "inside the package"),
        (manifest({"name": "a", "executable_parallel": "a.py; rm -rf /"}), "shell characters"),
    ],
)
def test_invalid_manifests(data: dict[str, Any], problem: str) -> None:
    with pytest.raises(ManifestError) as error:
        parse_manifest(data)
    assert problem in str(error.value)


def test_executables_must_exist(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("")
    parsed = parse_manifest(
        manifest(
            {"name": "a", "executable_parallel": "a.py"},
            {"name": "b", "executable_parallel": "b.py"},
        )
    )
    with pytest.raises(ManifestError, match=r"b: b.py"):
        check_executables(parsed, tmp_path)


def test_locate_manifest_in_pip_show_output() -> None:
    output = (
        "Name: my-pkg\nVersion: 1.0\nLocation: /venv/lib/site-packages\nRequires: \nFiles:\n"
        "  my_pkg/__init__.py\n  my_pkg/__FRACTAL_MANIFEST__.json\n  my_pkg-1.0.dist-info/RECORD\n"
    )
    assert locate_manifest(output, "my-pkg") == Path(
        "/venv/lib/site-packages/my_pkg/__FRACTAL_MANIFEST__.json"
    )
    with pytest.raises(ManifestError, match="no __FRACTAL_MANIFEST__"):
        locate_manifest("Name: x\nLocation: /v\nFiles:\n  x/__init__.py\n", "x")
