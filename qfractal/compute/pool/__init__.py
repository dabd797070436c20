"""A pool of warm worker processes for trusted, heavy calls (local simulations).

`WorkerPool(size, preload=[...])` keeps `size` long-lived interpreters that import the
heavy modules once; `await pool.run("package.module:function", payload, timeout=...)`
runs a trusted function in a free one. A cancelled, stopped or timed-out call kills its
worker, and any worker that dies is replaced: the pool keeps its size.
"""

from qfractal.compute.pool.errors import (
    CallFailed,
    CallStopped,
    CallTimeout,
    PoolClosed,
    WorkerCrashed,
    WorkerPoolError,
    WorkerStartError,
)
from qfractal.compute.pool.pool import WorkerPool

__all__ = [
    "CallFailed",
    "CallStopped",
    "CallTimeout",
    "PoolClosed",
    "WorkerCrashed",
    "WorkerPool",
    "WorkerPoolError",
    "WorkerStartError",
]
