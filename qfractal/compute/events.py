"""Waiting for an `asyncio.Event` with a timeout, without losing a cancellation.

On Python 3.11, `asyncio.wait_for(event.wait(), timeout)` returns normally when the event
is set in the same loop iteration as the waiting task is cancelled: the cancellation is
lost, and a loop meant to end (an engine stopping, a job being cancelled) goes on.
"""

import asyncio


async def wait_event(event: asyncio.Event, timeout: float) -> bool:
    """Wait until `event` is set or `timeout` seconds have passed; True if it is set."""
    if event.is_set():
        return True
    waiter = asyncio.ensure_future(event.wait())
    try:
        await asyncio.wait({waiter}, timeout=timeout)
    finally:
        waiter.cancel()
    return event.is_set()
