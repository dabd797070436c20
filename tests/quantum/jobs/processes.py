"""Processes of the test run, read from /proc (Linux): to see that a canceled
simulation's worker process really ended."""

import asyncio
import os
import time
from pathlib import Path


def _stat(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2 :].split()  # fields after the command name


def descendants(root: int | None = None) -> set[int]:
    """Every live process below `root` (default: this one)."""
    root = root or os.getpid()
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := _stat(int(entry.name))) is not None:
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    found: set[int] = set()
    todo = [root]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found and alive(child):
                found.add(child)
                todo.append(child)
    return found


def alive(pid: int) -> bool:
    """Running (not gone, not a zombie)."""
    fields = _stat(pid)
    return fields is not None and fields[0] not in ("Z", "X")


def _cpu_ticks(pid: int) -> int:
    fields = _stat(pid)
    return 0 if fields is None else int(fields[11]) + int(fields[12])


async def busy_processes(pids: set[int], *, seconds: float = 0.5) -> set[int]:
    """Those of `pids` that used at least a third of a CPU over `seconds`."""
    before = {pid: _cpu_ticks(pid) for pid in pids}
    await asyncio.sleep(seconds)
    ticks = os.sysconf("SC_CLK_TCK") * seconds / 3
    return {pid for pid in pids if alive(pid) and _cpu_ticks(pid) - before[pid] >= ticks}


async def wait_until_gone(pids: set[int], *, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while any(alive(pid) for pid in pids):
        assert time.monotonic() < deadline, f"processes {pids} are still running"
        await asyncio.sleep(0.05)
