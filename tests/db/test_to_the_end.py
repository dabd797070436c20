import asyncio

import pytest

from qfractal.db.to_the_end import to_the_end


async def test_a_cancelled_caller_waits_for_the_write_then_is_cancelled() -> None:
    written: list[str] = []

    @to_the_end
    async def write(value: str) -> str:
        await asyncio.sleep(0.2)
        written.append(value)
        return value

    caller = asyncio.create_task(write("heartbeat"))
    await asyncio.sleep(0.05)
    caller.cancel()
    with pytest.raises(asyncio.CancelledError):
        await caller
    assert written == ["heartbeat"]
    assert await write("end") == "end"
