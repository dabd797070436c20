"""Converter-compound compute: create one fake 3D image of the plate."""

from typing import Any

from fractal_task_tools.task_wrapper import run_fractal_task
from pydantic import BaseModel, validate_call

from qfractal_tasks_mock._images import image, make_fake_zarr


class WellInitArgs(BaseModel):
    """Where the image belongs.

    Attributes:
        well: Name of the well, e.g. `A01`.
        plate: Name of the plate.
    """

    well: str
    plate: str


@validate_call
def create_ome_zarr_compute(*, zarr_url: str, init_args: WellInitArgs) -> dict[str, Any]:
    """Create the fake 3D image `zarr_url`.

    Args:
        zarr_url: The image to create.
        init_args: Well and plate of the image, from the init task.
    """
    make_fake_zarr(zarr_url, is_3d=True)
    attributes = {"well": init_args.well, "plate": f"{init_args.plate}.zarr"}
    return {"image_list_updates": [image(zarr_url, attributes=attributes, types={"3D": True})]}


if __name__ == "__main__":
    run_fractal_task(task_function=create_ome_zarr_compute)
