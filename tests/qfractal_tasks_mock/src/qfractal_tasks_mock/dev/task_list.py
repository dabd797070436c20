"""The tasks of the package, from which `fractal-manifest create` writes the manifest."""

from fractal_task_tools.task_models import (
    CompoundTask,
    ConverterCompoundTask,
    ConverterNonParallelTask,
    NonParallelTask,
    ParallelTask,
)

AUTHORS = "qfractal developers"

TASK_LIST = [
    ConverterCompoundTask(
        name="create_ome_zarr_compound",
        executable_init="create_ome_zarr_init.py",
        executable="create_ome_zarr_compute.py",
        meta_init={"cpus_per_task": 1, "mem": 1000},
        meta={"cpus_per_task": 1, "mem": 1000},
        category="Conversion",
        modality="HCS",
        tags=["mock", "plate"],
    ),
    CompoundTask(
        name="MIP_compound",
        executable_init="mip_init.py",
        executable="mip_compute.py",
        input_types={"3D": True},
        output_types={"3D": False},
        category="Image Processing",
        modality="HCS",
        tags=["mock", "projection"],
    ),
    ParallelTask(
        name="illumination_correction",
        executable="illumination_correction.py",
        input_types={"illumination_correction": False},
        output_types={"illumination_correction": True},
        category="Image Processing",
        tags=["mock"],
    ),
    NonParallelTask(name="generic_task", executable="generic_non_parallel.py", tags=["mock"]),
    ParallelTask(name="generic_task_parallel", executable="generic_parallel.py", tags=["mock"]),
    ConverterNonParallelTask(
        name="create_images", executable="create_images.py", category="Conversion", tags=["mock"]
    ),
    NonParallelTask(name="remove_images", executable="remove_images.py", tags=["mock"]),
    ParallelTask(name="unset_attribute", executable="unset_attribute.py", tags=["mock"]),
    NonParallelTask(name="insert_single_image", executable="insert_single_image.py", tags=["mock"]),
]
