import asyncio
from pathlib import Path

from qfractal.db.sqlite_connection import connect


async def test_a_close_racing_a_forced_stop_ends(tmp_path: Path) -> None:
    """What SQLAlchemy does to a connection whose task was cancelled mid-statement: a
    graceful close, then a forced stop before the close is done. Both must end."""
    connection = await connect(str(tmp_path / "race.db"))
    await connection.execute("CREATE TABLE t (x INTEGER)")
    closing = asyncio.ensure_future(connection.close())
    await asyncio.sleep(0)  # the close is queued on the connection's thread
    stopping = connection.stop()
    done, _ = await asyncio.wait({closing}, timeout=5)
    assert closing in done, "the graceful close waits for a thread that has ended"
    assert stopping is not None
    await asyncio.wait_for(stopping, 5)
