"""Every image-update rule of §2.4 steps 5-6, as a table of cases."""

from typing import Any

import pytest

from qfractal.workflows.images.schemas import SingleImage
from qfractal.workflows.models import Image
from qfractal.workflows.runner.errors import JobExecutionError
from qfractal.workflows.runner.image_updates import (
    ImageChanges,
    apply_task_output,
    zarr_urls_to_load,
)
from qfractal.workflows.runner.task_output import TaskOutput

ZARR_DIR = "/zarr"


def path(name: str) -> str:
    """`/zarr/{name}`, or `name` if it is a path already."""
    return name if name.startswith("/") else f"{ZARR_DIR}/{name}"


def img(name: str, origin: str | None = None, **fields: Any) -> SingleImage:
    """The image `/zarr/{name}`; `origin` is a name too."""
    return SingleImage(
        zarr_url=path(name),
        origin=None if origin is None else path(origin),
        attributes=fields.get("attributes", {}),
        types=fields.get("types", {}),
    )


def up(name: str, origin: str | None = None, **fields: Any) -> dict[str, Any]:
    """An image update of `/zarr/{name}` as a task writes it."""
    update: dict[str, Any] = {"zarr_url": path(name), **fields}
    if origin is not None:
        update["origin"] = path(origin)
    return update


def output(*updates: dict[str, Any], removals: tuple[str, ...] = ()) -> TaskOutput:
    return TaskOutput.model_validate(
        {
            "image_list_updates": list(updates),
            "image_list_removals": [path(name) for name in removals],
        }
    )


def changes(updated=(), added=(), removed=()) -> ImageChanges:
    return ImageChanges(
        updated=list(updated),
        added=list(added),
        removed=[path(name) for name in removed],
    )


A = img("a", attributes={"well": "A01", "plate": "p1", "x": 1}, types={"3D": True, "raw": True})
B = img("b", attributes={"well": "B02"}, types={"3D": True})
ORIGIN = img("o", attributes={"well": "C03", "from_o": True}, types={"3D": True, "o_type": True})
D = img("d", origin="o", attributes={"old": 1}, types={"old_type": True})
IMAGES = [A, B, ORIGIN, D]

# name: (output or None, input image names, output_types, expected changes)
CASES = {
    # -- no updates and no removals: every input counts as updated --
    "empty output: output types set on every input": (
        output(),
        ["a", "b"],
        {"3D": False, "mip": True},
        changes(
            updated=[
                img("a", attributes=A.attributes, types={"3D": False, "raw": True, "mip": True}),
                img("b", attributes=B.attributes, types={"3D": False, "mip": True}),
            ]
        ),
    ),
    "empty output, inputs already have the output types: nothing to write": (
        output(),
        ["a", "b"],
        {"3D": True},
        changes(),
    ),
    "empty output, no output types: nothing to write": (output(), ["a"], {}, changes()),
    "empty output of a converter (no inputs): nothing": (output(), [], {"3D": True}, changes()),
    "no successful unit: nothing, not even output types": (None, ["a"], {"3D": False}, changes()),
    "an output with only removals does not touch the inputs": (
        output(removals=("b",)),
        ["a"],
        {"3D": False},
        changes(removed=["b"]),
    ),
    # -- existing image, origin null or itself --
    "attributes merged, None unsets a key": (
        output(up("a", attributes={"well": "A02", "x": None, "new": 2.5, "gone": None})),
        ["a"],
        {},
        changes(
            updated=[
                img(
                    "a",
                    attributes={"well": "A02", "plate": "p1", "new": 2.5},
                    types=A.types,
                )
            ]
        ),
    ),
    "returned types merged, then output types win": (
        output(up("a", types={"3D": True, "registered": True, "raw": False})),
        ["a"],
        {"3D": False},
        changes(
            updated=[
                img(
                    "a",
                    attributes=A.attributes,
                    types={"3D": False, "raw": False, "registered": True},
                )
            ]
        ),
    ),
    "origin equal to itself: the image's own origin is kept": (
        output(up("d", origin="d", attributes={"new": 1})),
        ["d"],
        {},
        changes(updated=[img("d", origin="o", attributes={"old": 1, "new": 1}, types=D.types)]),
    ),
    "origin null: the image's own origin is kept": (
        output(up("d", types={"t": True})),
        ["d"],
        {},
        changes(
            updated=[img("d", origin="o", attributes=D.attributes, types={**D.types, "t": True})]
        ),
    ),
    "an update that changes nothing is not written": (
        output(up("a", attributes={"well": "A01"}, types={"raw": True})),
        ["a"],
        {"3D": True},
        changes(),
    ),
    "1 becoming true is a change (JSON values, not Python's)": (
        output(up("a", attributes={"x": True})),
        ["a"],
        {},
        changes(updated=[img("a", attributes={**A.attributes, "x": True}, types=A.types)]),
    ),
    "1 becoming 1.0 is a change": (
        output(up("a", attributes={"x": 1.0})),
        ["a"],
        {},
        changes(updated=[img("a", attributes={**A.attributes, "x": 1.0}, types=A.types)]),
    ),
    "an existing image that is not an input can be updated": (
        output(up("b", attributes={"seen": True})),
        ["a"],
        {},
        changes(updated=[img("b", attributes={**B.attributes, "seen": True}, types=B.types)]),
    ),
    # -- existing image, another origin: rebuilt from the origin --
    "rebuilt from the origin's attributes and types, its own are dropped": (
        output(up("a", origin="o", attributes={"extra": 1}, types={"t": True})),
        ["a"],
        {"mip": True},
        changes(
            updated=[
                img(
                    "a",
                    origin="o",
                    attributes={"well": "C03", "from_o": True, "extra": 1},
                    types={"3D": True, "o_type": True, "t": True, "mip": True},
                )
            ]
        ),
    ),
    "rebuilt from an unknown origin: starts empty": (
        output(up("a", origin="/elsewhere/x", attributes={"extra": 1})),
        ["a"],
        {"mip": True},
        changes(
            updated=[img("a", origin="/elsewhere/x", attributes={"extra": 1}, types={"mip": True})]
        ),
    ),
    # -- new images --
    "new image inherits from its origin, then update, then output types": (
        output(up("new", origin="o", attributes={"proj": True, "well": None}, types={"m": True})),
        ["o"],
        {"3D": False},
        changes(
            added=[
                img(
                    "new",
                    origin="o",
                    attributes={"from_o": True, "proj": True},
                    types={"3D": False, "o_type": True, "m": True},
                )
            ]
        ),
    ),
    "new image with an unknown origin starts empty": (
        output(up("new", origin="nowhere", attributes={"k": "v"})),
        [],
        {"3D": True},
        changes(added=[img("new", origin="nowhere", attributes={"k": "v"}, types={"3D": True})]),
    ),
    "new image without origin": (
        output(up("plate.zarr/A/01/0", types={"3D": True})),
        [],
        {},
        changes(added=[img("plate.zarr/A/01/0", types={"3D": True})]),
    ),
    "new images are added in output order": (
        output(up("n2"), up("n1"), up("n3")),
        [],
        {},
        changes(added=[img("n2"), img("n1"), img("n3")]),
    ),
    # -- updates apply in order --
    "origin created earlier in the same output": (
        output(up("n1", attributes={"k": 1}, types={"t": True}), up("n2", origin="n1")),
        [],
        {},
        changes(
            added=[
                img("n1", attributes={"k": 1}, types={"t": True}),
                img("n2", origin="n1", attributes={"k": 1}, types={"t": True}),
            ]
        ),
    ),
    "origin updated earlier in the same output is seen updated": (
        output(up("o", attributes={"well": "Z99"}), up("new", origin="o")),
        ["o"],
        {},
        changes(
            updated=[img("o", attributes={**ORIGIN.attributes, "well": "Z99"}, types=ORIGIN.types)],
            added=[
                img(
                    "new",
                    origin="o",
                    attributes={**ORIGIN.attributes, "well": "Z99"},
                    types=ORIGIN.types,
                )
            ],
        ),
    ),
    "origin updated later in the same output is seen as it was": (
        output(up("new", origin="o"), up("o", attributes={"well": "Z99"})),
        ["o"],
        {},
        changes(
            updated=[img("o", attributes={**ORIGIN.attributes, "well": "Z99"}, types=ORIGIN.types)],
            added=[img("new", origin="o", attributes=ORIGIN.attributes, types=ORIGIN.types)],
        ),
    ),
    # -- removals --
    "removal of an existing image": (output(removals=("b",)), [], {}, changes(removed=["b"])),
    "removals come after updates: an origin about to go still gives its attributes": (
        output(up("new", origin="o"), removals=("o",)),
        ["o"],
        {},
        changes(
            added=[img("new", origin="o", attributes=ORIGIN.attributes, types=ORIGIN.types)],
            removed=["o"],
        ),
    ),
}


@pytest.mark.parametrize(
    ("task_output", "inputs", "output_types", "expected"), CASES.values(), ids=CASES.keys()
)
def test_apply_task_output(task_output, inputs, output_types, expected):
    result = apply_task_output(
        task_output,
        images={image.zarr_url: image for image in IMAGES},
        input_zarr_urls=[path(name) for name in inputs],
        output_types=output_types,
        zarr_dir=ZARR_DIR,
    )
    assert result == expected
    assert result.num_new_images == len(expected.added)


ERRORS = {
    "new image outside zarr_dir": (output(up("/other/x")), "not inside"),
    "new image at zarr_dir itself": (output(up("/zarr")), "not inside"),
    "new image in a folder that only starts like zarr_dir": (
        output(up("/zarr2/x")),
        "zarr_url: /zarr2/x",
    ),
    "removal of an unknown image": (
        output(removals=("ghost",)),
        "Cannot remove missing image (zarr_url=/zarr/ghost).",
    ),
}


@pytest.mark.parametrize(("task_output", "message"), ERRORS.values(), ids=ERRORS.keys())
def test_job_errors(task_output, message):
    with pytest.raises(JobExecutionError) as caught:
        apply_task_output(
            task_output,
            images={image.zarr_url: image for image in IMAGES},
            input_zarr_urls=[],
            output_types={},
            zarr_dir=ZARR_DIR,
        )
    assert message in caught.value.message


def test_inputs_must_be_given():
    with pytest.raises(ValueError, match="input images missing"):
        apply_task_output(
            output(),
            images={},
            input_zarr_urls=["/zarr/a"],
            output_types={"3D": False},
            zarr_dir=ZARR_DIR,
        )


def test_rows_work_as_images():
    """`Image` rows are read as they are (no conversion needed)."""
    row = Image(zarr_url="/zarr/a", origin=None, attributes={"k": 1}, types={"3D": True})
    result = apply_task_output(
        output(),
        images={row.zarr_url: row},
        input_zarr_urls=[row.zarr_url],
        output_types={"3D": False},
        zarr_dir=ZARR_DIR,
    )
    assert result == changes(updated=[img("a", attributes={"k": 1}, types={"3D": False})])


def test_zarr_urls_to_load():
    task_output = output(up("a", origin="o"), up("new", origin="/zarr/n1"), removals=("r",))
    assert zarr_urls_to_load(task_output, input_zarr_urls=["/zarr/i"]) == {
        "/zarr/i",
        "/zarr/a",
        "/zarr/o",
        "/zarr/new",
        "/zarr/n1",
        "/zarr/r",
    }
