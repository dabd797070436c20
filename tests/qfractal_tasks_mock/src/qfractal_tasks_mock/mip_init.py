"""Compound init: plan one maximum-intensity projection per 3D image."""

from typing import Any

from fractal_task_tools.task_wrapper import run_fractal_task
from pydantic import validate_call


def projection_url(zarr_url: str, suffix: str) -> str:
    """`.../plate.zarr/A/01/0` becomes `.../plate_{suffix}.zarr/A/01/0`."""
    if ".zarr/" in zarr_url:
        return zarr_url.replace(".zarr/", f"_{suffix}.zarr/", 1)
    return f"{zarr_url.rstrip('/')}_{suffix}"


@validate_call
def mip_init(*, zarr_urls: list[str], zarr_dir: str, suffix: str = "mip") -> dict[str, Any]:
    """Plan a projection of each input image into a new image.

    Args:
        zarr_urls: The 3D images to project.
        zarr_dir: Folder of the dataset.
        suffix: Added to the plate name of the new images.
    """
    return {
        "parallelization_list": [
            {"zarr_url": url, "init_args": {"new_zarr_url": projection_url(url, suffix)}}
            for url in zarr_urls
        ]
    }


if __name__ == "__main__":
    run_fractal_task(task_function=mip_init)
