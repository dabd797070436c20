"""Converter-compound init: plan a fake plate with one image per well."""

from typing import Any

from fractal_task_tools.task_wrapper import run_fractal_task
from pydantic import validate_call

from qfractal_tasks_mock._images import under


@validate_call
def create_ome_zarr_init(
    *, zarr_dir: str, num_images: int = 2, plate_name: str = "plate"
) -> dict[str, Any]:
    """Plan a fake plate `{plate_name}.zarr` with one image in each of `num_images` wells.

    Args:
        zarr_dir: Folder in which the plate is created.
        num_images: Number of images (wells A01, A02, ...).
        plate_name: Name of the plate, without the `.zarr` suffix.
    """
    wells = [f"A{index + 1:02d}" for index in range(num_images)]
    return {
        "parallelization_list": [
            {
                "zarr_url": under(zarr_dir, f"{plate_name}.zarr", well[0], well[1:], "0"),
                "init_args": {"well": well, "plate": plate_name},
            }
            for well in wells
        ]
    }


if __name__ == "__main__":
    run_fractal_task(task_function=create_ome_zarr_init)
