"""Parallel task: pretend to correct the illumination of one image."""

from typing import Any

from fractal_task_tools.task_wrapper import run_fractal_task
from pydantic import validate_call

from qfractal_tasks_mock._images import image, make_fake_zarr


@validate_call
def illumination_correction(
    *, zarr_url: str, overwrite_input: bool = True, suffix: str = "corr"
) -> dict[str, Any]:
    """Mark the image as corrected, or create a corrected copy.

    Args:
        zarr_url: The image to correct.
        overwrite_input: Correct in place; otherwise create `{zarr_url}_{suffix}`.
        suffix: Suffix of the copy when `overwrite_input` is false.
    """
    if overwrite_input:
        return {"image_list_updates": [image(zarr_url, attributes={"corrected": True})]}
    new_url = f"{zarr_url.rstrip('/')}_{suffix}"
    make_fake_zarr(new_url)
    return {"image_list_updates": [image(new_url, origin=zarr_url, attributes={"corrected": True})]}


if __name__ == "__main__":
    run_fractal_task(task_function=illumination_correction)
