"""Parallel task that does nothing to its image, slowly or by failing if asked to."""

import time

from fractal_task_tools.task_wrapper import run_fractal_task
from pydantic import validate_call


@validate_call
def generic_parallel(
    *,
    zarr_url: str,
    sleep_seconds: float = 0.0,
    raise_error: bool = False,
    error_message: str = "generic_task_parallel failed on purpose",
) -> None:
    """Wait, then succeed without changing the image, or fail.

    Args:
        zarr_url: The image (unchanged).
        sleep_seconds: Seconds to wait before ending.
        raise_error: Fail (exit code 1) after waiting.
        error_message: Message of the failure.
    """
    time.sleep(sleep_seconds)
    if raise_error:
        raise RuntimeError(f"{error_message} ({zarr_url})")


if __name__ == "__main__":
    run_fractal_task(task_function=generic_parallel)
