"""The frames between the pool and a worker, over the worker's stdin and a pipe.

A frame is two big-endian 32-bit lengths, a JSON header of the first length and a body
of the second. Values (payloads, results) are `bytes`, sent as they are, or anything
JSON can encode; the header's `payload`/`result` says which. Standard library only: the
worker imports it before anything else.
"""

import asyncio
import json
import struct
from typing import Any, BinaryIO

LENGTHS = struct.Struct(">II")


def encode_frame(header: dict[str, Any], body: bytes = b"") -> bytes:
    head = json.dumps(header).encode()
    return LENGTHS.pack(len(head), len(body)) + head + body


def pack_value(value: Any) -> tuple[str, bytes]:
    """`("bytes", value)` or `("json", its JSON)`.

    Raises:
        TypeError, ValueError: JSON cannot encode the value.
    """
    if isinstance(value, bytes | bytearray | memoryview):
        return "bytes", bytes(value)
    return "json", json.dumps(value, allow_nan=False).encode()


def unpack_value(kind: str, body: bytes) -> Any:
    if kind == "bytes":
        return body
    if kind == "json":
        return json.loads(body)
    raise ValueError(f"unknown value kind {kind!r}")


def read_frame(stream: BinaryIO) -> tuple[dict[str, Any], bytes] | None:
    """The next frame, blocking; None at the end of the stream."""
    lengths = stream.read(LENGTHS.size)
    if len(lengths) < LENGTHS.size:
        return None
    head_size, body_size = LENGTHS.unpack(lengths)
    head, body = stream.read(head_size), stream.read(body_size)
    if len(head) < head_size or len(body) < body_size:
        return None
    return json.loads(head), body


async def read_frame_async(reader: asyncio.StreamReader) -> tuple[dict[str, Any], bytes]:
    """The next frame.

    Raises:
        asyncio.IncompleteReadError: the stream ended first.
    """
    head_size, body_size = LENGTHS.unpack(await reader.readexactly(LENGTHS.size))
    head = await reader.readexactly(head_size)
    body = await reader.readexactly(body_size)
    return json.loads(head), body
