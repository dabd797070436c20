"""Parallel task: remove one attribute from an image."""

from typing import Any

from fractal_task_tools.task_wrapper import run_fractal_task
from pydantic import validate_call

from qfractal_tasks_mock._images import image


@validate_call
def unset_attribute(*, zarr_url: str, attribute: str) -> dict[str, Any]:
    """Unset `attribute` of the image (an attribute set to null is removed).

    Args:
        zarr_url: The image.
        attribute: Name of the attribute to remove.
    """
    return {"image_list_updates": [image(zarr_url, attributes={attribute: None})]}


if __name__ == "__main__":
    run_fractal_task(task_function=unset_attribute)
