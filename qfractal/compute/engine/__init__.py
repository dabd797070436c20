"""The job engine: background work recorded as `engine_job` rows, run by workers.

The API records a row in the request's transaction (`queue.enqueue`) and, after the
commit, tells the engine (embedded workers in `qfractal serve`, or Celery workers started
by `qfractal worker`). What a job does is up to the handler registered for its `kind`.
"""
