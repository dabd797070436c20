"""The `embedded` engine: worker loops as asyncio tasks inside `qfractal serve`.

`engine_workers` loops claim queued jobs one at a time and run them; one more loop
sweeps. Each loop polls every `engine_heartbeat_seconds` and wakes at once on `wake()`.
Starting sweeps first; jobs left queued by a previous process are then simply claimed,
so a restarted server loses no queued job. Stopping cancels the loops: a running job's
handler sees the cancellation (and `context.stop`), the job is failed with "worker ...
shut down while the job was running" and its handler's `lost` is called, unless the
handler says it is resumable: then it is queued again for the next start.
"""

import asyncio

from qfractal.compute.engine.sweeper import repeat, sweep, sweeper_step
from qfractal.compute.engine.worker import Runtime, Worker, new_worker_id


class EmbeddedEngine:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.worker_id = new_worker_id()
        self._worker = Worker(self.runtime, worker_id=self.worker_id)
        self._wakeups: list[asyncio.Event] = []
        self._loops: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        sweeper_id = f"{self.worker_id}/sweeper"
        await sweep(self.runtime, worker_id=sweeper_id)
        steps = [self._work] * self.runtime.settings.engine_workers
        steps.append(sweeper_step(self.runtime, worker_id=sweeper_id, on_requeued=self.wake))
        for step in steps:
            wake = asyncio.Event()
            self._wakeups.append(wake)
            every = self.runtime.settings.engine_heartbeat_seconds
            self._loops.append(asyncio.create_task(repeat(step, every=every, wake=wake)))

    async def wake(self, engine_job_id: int | None = None) -> None:
        for wake in self._wakeups:
            wake.set()

    async def stop(self) -> None:
        for loop in self._loops:
            loop.cancel()
        await asyncio.gather(*self._loops, return_exceptions=True)
        self._loops.clear()
        self._wakeups.clear()
        await self.runtime.handlers.close()

    async def _work(self) -> bool:
        lease = await self._worker.claim_next()
        if lease is None:
            return False
        await self._worker.run(lease)
        return True
