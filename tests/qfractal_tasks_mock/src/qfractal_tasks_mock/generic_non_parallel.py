"""Non-parallel task that does nothing, slowly or by failing if asked to."""

import time

from fractal_task_tools.task_wrapper import run_fractal_task
from pydantic import validate_call


@validate_call
def generic_non_parallel(
    *,
    zarr_urls: list[str],
    zarr_dir: str,
    sleep_seconds: float = 0.0,
    raise_error: bool = False,
    error_message: str = "generic_task failed on purpose",
) -> None:
    """Wait, then succeed without changing any image, or fail.

    Args:
        zarr_urls: The input images (unchanged).
        zarr_dir: Folder of the dataset.
        sleep_seconds: Seconds to wait before ending.
        raise_error: Fail (exit code 1) after waiting.
        error_message: Message of the failure.
    """
    time.sleep(sleep_seconds)
    if raise_error:
        raise RuntimeError(error_message)


if __name__ == "__main__":
    run_fractal_task(task_function=generic_non_parallel)
