"""The multipart form of pip collection, as fractal-client sends it, parsed into PipCollect.

The pins arrive as JSON strings; empty fields count as absent. Any problem is a 422 whose
`loc` names the form field, like every other validation error.
"""

import json
from typing import Annotated, Any

from fastapi import File, Form, UploadFile
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from qfractal.workflows.collection.schemas import MAX_WHEEL_BYTES, PipCollect

OptionalField = Annotated[str | None, Form()]


def _decode_pins(field: str, value: str | None) -> Any:
    if not value:
        return {}
    try:
        return json.loads(value)
    except ValueError as exc:
        raise RequestValidationError(
            [
                {
                    "type": "json_invalid",
                    "loc": ("body", field),
                    "msg": f"Invalid JSON: {exc}",
                    "input": value,
                }
            ]
        ) from exc


async def pip_collect_form(
    package: OptionalField = None,
    package_version: OptionalField = None,
    package_extras: OptionalField = None,
    python_version: OptionalField = None,
    pinned_package_versions_pre: OptionalField = None,
    pinned_package_versions_post: OptionalField = None,
    file: Annotated[UploadFile | None, File(description="A wheel (.whl)")] = None,
) -> PipCollect:
    raw: dict[str, Any] = {
        "package": package or None,
        "package_version": package_version or None,
        "package_extras": package_extras or None,
        "python_version": python_version or None,
        "pinned_package_versions_pre": _decode_pins(
            "pinned_package_versions_pre", pinned_package_versions_pre
        ),
        "pinned_package_versions_post": _decode_pins(
            "pinned_package_versions_post", pinned_package_versions_post
        ),
    }
    if file is not None:
        raw["file"] = {
            "filename": file.filename or "",
            "content": await file.read(MAX_WHEEL_BYTES + 1),
        }
    try:
        return PipCollect.model_validate(raw)
    except ValidationError as exc:
        raise RequestValidationError([_form_error(error) for error in exc.errors()]) from exc


def _form_error(error: Any) -> dict[str, Any]:
    """A pydantic error located in the form, without the wheel's bytes or exception objects.

    The message repeats the offending value (`input_value=...`, as pydantic prints it),
    since fractal-client shows only the message of a form error.
    """
    value = error.get("input")
    shown = "<omitted>" if isinstance(value, bytes | dict) else value
    return {
        "type": error["type"],
        "loc": ("body", *error["loc"]),
        "msg": f"{error['msg']} [input_value={shown!r}]",
        "input": shown,
    }
