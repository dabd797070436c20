"""`wait_event`: an event wait with a timeout that never swallows a cancellation."""

import asyncio

from qfractal.compute.events import wait_event


async def test_it_says_whether_the_event_was_set() -> None:
    event = asyncio.Event()
    assert await wait_event(event, 0.01) is False
    asyncio.get_running_loop().call_later(0.01, event.set)
    assert await wait_event(event, 5) is True


async def test_a_cancellation_arriving_as_the_event_is_set_is_kept() -> None:
    """The case `asyncio.wait_for` loses on Python 3.11: set and cancel in one iteration."""
    for _ in range(20):
        event = asyncio.Event()
        waiting = asyncio.create_task(wait_event(event, 60))
        await asyncio.sleep(0)  # the task now waits
        event.set()
        waiting.cancel()
        await asyncio.wait({waiting})
        assert waiting.cancelled()
