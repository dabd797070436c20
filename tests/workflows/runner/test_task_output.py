"""Parsing a task's `--out-json`: a table of file contents and what they give."""

import pytest

from qfractal.workflows.runner.errors import JobExecutionError, TaskOutputError
from qfractal.workflows.runner.task_output import (
    MAX_PARALLELIZATION_LIST_SIZE,
    check_parallelization_size,
    parse_init_task_output,
    parse_task_output,
)

EMPTY = {"image_list_updates": [], "image_list_removals": []}


def update(zarr_url: str, origin=None, attributes=None, types=None) -> dict:
    return {
        "zarr_url": zarr_url,
        "origin": origin,
        "attributes": attributes or {},
        "types": types or {},
    }


VALID = {
    "no file": (None, EMPTY),
    "JSON null": ("null", EMPTY),
    "JSON null as bytes": (b"null", EMPTY),
    "empty object": ("{}", EMPTY),
    "paths are normalized": (
        '{"image_list_updates": [{"zarr_url": "/z/a/../b/", "origin": "//z/./o"}],'
        ' "image_list_removals": ["/z/c/"]}',
        {
            "image_list_updates": [update("/z/b", origin="/z/o")],
            "image_list_removals": ["/z/c"],
        },
    ),
    "null attribute values (to unset) are kept": (
        '{"image_list_updates": [{"zarr_url": "/z/a", "attributes": {"x": null, "y": 1.5}}]}',
        {
            "image_list_updates": [update("/z/a", attributes={"x": None, "y": 1.5})],
            "image_list_removals": [],
        },
    ),
    "attribute keys are stripped": (
        '{"image_list_updates": [{"zarr_url": "/z/a", "attributes": {" well ": "A01"}}]}',
        {
            "image_list_updates": [update("/z/a", attributes={"well": "A01"})],
            "image_list_removals": [],
        },
    ),
    "unknown keys of an image are ignored (as fractal-server does)": (
        '{"image_list_updates": [{"zarr_url": "/z/a", "types": {"3D": true}, "note": 1}]}',
        {"image_list_updates": [update("/z/a", types={"3D": True})], "image_list_removals": []},
    ),
}


@pytest.mark.parametrize(("text", "expected"), VALID.values(), ids=VALID.keys())
def test_valid_task_output(text, expected):
    assert parse_task_output(text).model_dump() == expected


INVALID = {
    "empty file": ("", "not valid JSON"),
    "truncated JSON": ('{"image_list_updates": [', "not valid JSON"),
    "not an object": ("[]", "(top level): Input should be a valid dictionary"),
    "unknown top-level key": ('{"filters": {}}', "filters: Extra inputs are not permitted"),
    "relative zarr_url": (
        '{"image_list_updates": [{"zarr_url": "z/a"}]}',
        "image_list_updates[0].zarr_url: must be an absolute path",
    ),
    "relative origin": (
        '{"image_list_updates": [{"zarr_url": "/z/a", "origin": "o"}]}',
        "image_list_updates[0].origin: must be an absolute path",
    ),
    "relative removal": (
        '{"image_list_removals": ["/z/a", "b"]}',
        "image_list_removals[1]: must be an absolute path",
    ),
    "missing zarr_url": ('{"image_list_updates": [{}]}', "zarr_url: Field required"),
    "same image updated twice": (
        '{"image_list_updates": [{"zarr_url": "/z/a"}, {"zarr_url": "/z/a"}]}',
        "repeated: /z/a",
    ),
    "same image updated and removed (after normalization)": (
        '{"image_list_updates": [{"zarr_url": "/z/a/"}], "image_list_removals": ["/z/./a"]}',
        "repeated: /z/a",
    ),
    "same image removed twice": ('{"image_list_removals": ["/z/a", "/z/a"]}', "repeated: /z/a"),
    "attribute value not a scalar": (
        '{"image_list_updates": [{"zarr_url": "/z/a", "attributes": {"x": [1]}}]}',
        "image_list_updates[0].attributes.x",
    ),
    "attribute value NaN": (
        '{"image_list_updates": [{"zarr_url": "/z/a", "attributes": {"x": NaN}}]}',
        "image_list_updates[0].attributes.x",
    ),
    "empty attribute key": (
        '{"image_list_updates": [{"zarr_url": "/z/a", "attributes": {" ": 1}}]}',
        "keys must not be empty",
    ),
    "type value not a boolean": (
        '{"image_list_updates": [{"zarr_url": "/z/a", "types": {"3D": "yes"}}]}',
        "image_list_updates[0].types.3D",
    ),
    "NUL in a zarr_url": (
        '{"image_list_removals": ["/z/a\\u0000"]}',
        "image_list_removals[0]: must not contain the NUL character",
    ),
}


INIT_VALID = {
    "no file": (None, []),
    "JSON null": ("null", []),
    "empty list": ('{"parallelization_list": []}', []),
    "init_args default to {}": (
        '{"parallelization_list": [{"zarr_url": "/z/a/"}]}',
        [{"zarr_url": "/z/a", "init_args": {}}],
    ),
    "repeated items count once, first place kept": (
        '{"parallelization_list": [{"zarr_url": "/z/b", "init_args": {"k": 1}},'
        ' {"zarr_url": "/z/a"}, {"zarr_url": "/z/b/", "init_args": {"k": 1}}]}',
        [{"zarr_url": "/z/b", "init_args": {"k": 1}}, {"zarr_url": "/z/a", "init_args": {}}],
    ),
    "same image with other init_args are two items": (
        '{"parallelization_list": [{"zarr_url": "/z/a", "init_args": {"k": 1}},'
        ' {"zarr_url": "/z/a", "init_args": {"k": true}}]}',
        [
            {"zarr_url": "/z/a", "init_args": {"k": 1}},
            {"zarr_url": "/z/a", "init_args": {"k": True}},
        ],
    ),
}


@pytest.mark.parametrize(("text", "expected"), INIT_VALID.values(), ids=INIT_VALID.keys())
def test_valid_init_task_output(text, expected):
    assert parse_init_task_output(text).model_dump()["parallelization_list"] == expected


INIT_INVALID = {
    "not JSON": ("nope", "init task output is not valid JSON"),
    "unknown top-level key": ('{"items": []}', "items: Extra inputs are not permitted"),
    "unknown item key": (
        '{"parallelization_list": [{"zarr_url": "/z/a", "args": {}}]}',
        "parallelization_list[0].args: Extra inputs are not permitted",
    ),
    "relative zarr_url": (
        '{"parallelization_list": [{"zarr_url": "a"}]}',
        "parallelization_list[0].zarr_url: must be an absolute path",
    ),
    "init_args not an object": (
        '{"parallelization_list": [{"zarr_url": "/z/a", "init_args": []}]}',
        "parallelization_list[0].init_args",
    ),
}


@pytest.mark.parametrize(
    ("parse", "text", "message"),
    [(parse_task_output, *case) for case in INVALID.values()]
    + [(parse_init_task_output, *case) for case in INIT_INVALID.values()],
    ids=[*INVALID, *(f"init: {name}" for name in INIT_INVALID)],
)
def test_invalid_output(parse, text, message):
    """The unit fails with a message that says what is wrong, and where."""
    with pytest.raises(TaskOutputError) as caught:
        parse(text)
    assert message in str(caught.value)


@pytest.mark.parametrize("count", [0, 1, MAX_PARALLELIZATION_LIST_SIZE])
def test_parallelization_size_within_the_limit(count):
    check_parallelization_size(count)


def test_parallelization_size_over_the_limit_is_a_job_error():
    assert MAX_PARALLELIZATION_LIST_SIZE == 20_000
    with pytest.raises(JobExecutionError, match="Too many parallelization items: 20001"):
        check_parallelization_size(MAX_PARALLELIZATION_LIST_SIZE + 1)
