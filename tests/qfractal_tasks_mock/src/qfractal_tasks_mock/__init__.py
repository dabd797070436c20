"""Fake Fractal tasks for qfractal's tests.

Each module named in `__FRACTAL_MANIFEST__.json` is a task executable: it is run as
`python <module>.py --args-json A --out-json B` (through fractal-task-tools) and only
creates small fake OME-Zarr folders. `dev/task_list.py` describes the tasks; the manifest
is generated from it with `fractal-manifest create`.
"""
