"""One database session per request, committed before the response is sent."""

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from qfractal.db.engine import create_async_db_engine


class Database:
    """The API's async engine and its session factory."""

    def __init__(self, url: str) -> None:
        self.engine: AsyncEngine = create_async_db_engine(url)
        self.sessionmaker = async_sessionmaker(self.engine, expire_on_commit=False)

    async def dispose(self) -> None:
        await self.engine.dispose()


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    database: Database = request.app.state.database
    async with database.sessionmaker() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise


# scope="function": commit when the route returns, so a failed commit is still an
# error response instead of a success that was never saved.
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]
