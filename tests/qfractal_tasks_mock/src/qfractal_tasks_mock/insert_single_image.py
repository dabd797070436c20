"""Non-parallel task: add one new image to the dataset."""

from typing import Any

from fractal_task_tools.task_wrapper import run_fractal_task
from pydantic import validate_call

from qfractal_tasks_mock._images import image, make_fake_zarr, under


@validate_call
def insert_single_image(
    *,
    zarr_urls: list[str],
    zarr_dir: str,
    name: str = "single_image.zarr",
    attributes: dict[str, str] | None = None,
    is_3d: bool = True,
) -> dict[str, Any]:
    """Create the fake image `{zarr_dir}/{name}` and add it to the image list.

    Args:
        zarr_urls: The input images (unchanged).
        zarr_dir: Folder of the dataset.
        name: Name of the new image.
        attributes: Attributes of the new image.
        is_3d: Value of the new image's `3D` type.
    """
    url = under(zarr_dir, name)
    make_fake_zarr(url, is_3d=is_3d)
    return {"image_list_updates": [image(url, attributes=attributes or {}, types={"3D": is_3d})]}


if __name__ == "__main__":
    run_fractal_task(task_function=insert_single_image)
