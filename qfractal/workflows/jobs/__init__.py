"""Jobs: a workflow (or a slice of it) submitted to run over a dataset, and its history.

Submission records a `jobv2` row and hands its id to the job engine; the runner (the
engine's `workflow_job` handler) ends it and writes the history rows read here.
"""
