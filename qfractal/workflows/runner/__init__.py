"""The job runner's pure core: what a workflow task gets, what its calls are given, and
what their outputs do to the dataset's images (fractal-server 2.17, §2.2 and §2.4).

Plain functions and models on plain data: no database, no processes, no files. The
runner's I/O (loading images, running units, writing rows) calls these.

* `selection`: which images a workflow task gets;
* `task_args`, `unit_files`: the `--args-json` of each call, its command line and files;
* `task_output`: parsing `--out-json`, and the size limit of a parallel step;
* `merge`: one output from the outputs of a task's successful units;
* `image_updates`: the image-list changes an output makes;
* `history`: the HistoryUnits of a run and their statuses.
"""
