"""Non-parallel task: drop images from the dataset's image list."""

from typing import Any

from fractal_task_tools.task_wrapper import run_fractal_task
from pydantic import validate_call


@validate_call
def remove_images(
    *, zarr_urls: list[str], zarr_dir: str, only: list[str] | None = None
) -> dict[str, Any]:
    """Remove the input images (or only some of them) from the image list; folders stay.

    Args:
        zarr_urls: The input images.
        zarr_dir: Folder of the dataset.
        only: Remove only these images instead of every input image.
    """
    return {"image_list_removals": list(zarr_urls if only is None else only)}


if __name__ == "__main__":
    run_fractal_task(task_function=remove_images)
