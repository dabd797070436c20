"""Turn database constraint violations into domain errors at the data layer."""

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from qfractal.errors import QfractalError


async def flush_or_raise(session: AsyncSession, error: QfractalError) -> None:
    """Flush pending writes; a constraint violation becomes `error`.

    Services check uniqueness first for a friendly message; this catches the race
    where two requests pass that check at the same time.
    """
    try:
        await session.flush()
    except IntegrityError as exc:
        raise error from exc
