"""Compound compute: create the 2D projection of one image."""

from typing import Any

from fractal_task_tools.task_wrapper import run_fractal_task
from pydantic import BaseModel, validate_call

from qfractal_tasks_mock._images import image, make_fake_zarr


class ProjectionInitArgs(BaseModel):
    """Where the projection goes.

    Attributes:
        new_zarr_url: The image to create.
    """

    new_zarr_url: str


@validate_call
def mip_compute(*, zarr_url: str, init_args: ProjectionInitArgs) -> dict[str, Any]:
    """Create the fake 2D projection of `zarr_url` as a new image.

    Args:
        zarr_url: The 3D image.
        init_args: The new image's URL, from the init task.
    """
    make_fake_zarr(init_args.new_zarr_url, is_3d=False)
    return {
        "image_list_updates": [image(init_args.new_zarr_url, origin=zarr_url, types={"3D": False})]
    }


if __name__ == "__main__":
    run_fractal_task(task_function=mip_compute)
