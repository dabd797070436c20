"""Checks on real processes and timings shared by the executor and engine tests."""

import os
from collections.abc import Iterable
from datetime import datetime


def group_is_gone(pgid: int) -> bool:
    """True when no process of the group is left (`kill(-pgid, 0)` finds none)."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return True
    return False


def max_overlap(intervals: Iterable[tuple[datetime | None, datetime | None]]) -> int:
    """The most intervals (start, end) open at the same instant."""
    events: list[tuple[datetime, int]] = []
    for start, end in intervals:
        assert start is not None and end is not None
        events += [(start, 1), (end, -1)]
    running = peak = 0
    for _, step in sorted(events):  # an end sorts before a start at the same instant
        running += step
        peak = max(peak, running)
    return peak
