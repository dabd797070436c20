"""The job runner: the engine handler that runs a workflow job (fractal-server 2.17, §2.2
and §2.4), on a pure core.

The pure core, plain functions and models on plain data (no database, no processes, no
files):

* `selection`: which images a workflow task gets;
* `task_args`, `unit_files`: the `--args-json` of each call, its command line and files;
* `task_output`: parsing `--out-json`, and the size limit of a parallel step;
* `merge`: one output from the outputs of a task's successful units;
* `image_updates`: the image-list changes an output makes;
* `history`: the HistoryUnits of a run and their statuses.

The I/O around it:

* `handler` (registered by `registration`): a job from start to end, stop and loss;
* `job_setup`: what a job needs from the database; `job_log`: its `workflow.log`;
* `execute`: one workflow task; `calls`: its calls through an executor;
* `inputs`: the input images, selected in SQL; `persist`: history, images, accounting;
* `job_end`: how the job row ends; `archive`: the job folder zipped.
"""
