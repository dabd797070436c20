"""Reading a child's output through pipes of our own.

With the transport's pipes (`stdout=PIPE`), `Process.wait()` on Python 3.11 returns
only once every pipe has ended: a process the child left behind, or output nobody
reads any more, would hold it off. A child gets the write end of `os.pipe()` instead,
and the parent reads the other end with `pipe_reader`, closing it when it is done.
"""

import asyncio
import os

CHUNK = 65536


async def pipe_reader(fd: int) -> tuple[asyncio.StreamReader, asyncio.ReadTransport]:
    """A stream over the read end `fd` (which it takes over); close the transport to
    let go of the pipe."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=CHUNK)
    transport, _ = await loop.connect_read_pipe(
        lambda: asyncio.StreamReaderProtocol(reader), os.fdopen(fd, "rb", buffering=0)
    )
    return reader, transport
