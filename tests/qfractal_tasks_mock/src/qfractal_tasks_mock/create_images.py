"""Converter: create a number of fake images in the dataset folder."""

from typing import Any

from fractal_task_tools.task_wrapper import run_fractal_task
from pydantic import validate_call

from qfractal_tasks_mock._images import image, make_fake_zarr, under


@validate_call
def create_images(
    *,
    zarr_dir: str,
    num_images: int = 3,
    prefix: str = "image",
    attributes: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Create `num_images` fake 2D images `{zarr_dir}/{prefix}_{i}.zarr`.

    Args:
        zarr_dir: Folder in which the images are created.
        num_images: Number of images.
        prefix: Start of the image names.
        attributes: Attributes given to every image (besides `index`).
    """
    updates = []
    for index in range(num_images):
        url = under(zarr_dir, f"{prefix}_{index}.zarr")
        make_fake_zarr(url, is_3d=False)
        updates.append(
            image(url, attributes={**(attributes or {}), "index": index}, types={"3D": False})
        )
    return {"image_list_updates": updates}


if __name__ == "__main__":
    run_fractal_task(task_function=create_images)
