"""`?page=&page_size=` as fractal-server reads them, and the page it answers with."""

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Query
from pydantic import BaseModel, Field

from qfractal.errors import InvalidInput


@dataclass(frozen=True)
class PageRequest:
    page: int
    size: int | None
    """None: everything on one page."""

    def clamp(self, total: int) -> "PageRequest":
        """A page past the end becomes the last page (the reference's images/query rule)."""
        if self.size is None or total == 0:
            return PageRequest(page=1, size=self.size)
        last = (total + self.size - 1) // self.size
        return PageRequest(page=min(self.page, last), size=self.size)

    @property
    def offset(self) -> int:
        return 0 if self.size is None else (self.page - 1) * self.size


def page_request(
    page: Annotated[int, Query(ge=1, le=2**31 - 1, description="Page number, from 1.")] = 1,
    page_size: Annotated[
        int | None, Query(ge=1, le=2**31 - 1, description="Items per page; omit for all.")
    ] = None,
) -> PageRequest:
    if page_size is None and page > 1:
        raise InvalidInput(f"page_size is required when page={page} (only page 1 has everything).")
    return PageRequest(page=page, size=page_size)


PageDep = Annotated[PageRequest, Depends(page_request)]


class PageInfo(BaseModel):
    current_page: int = Field(ge=1)
    page_size: int = Field(ge=0)
    """Items per page as asked, or the total when everything is on one page."""
    total_count: int = Field(ge=0)

    @classmethod
    def of(cls, request: PageRequest, total: int) -> "PageInfo":
        size = total if request.size is None else request.size
        return cls(current_page=request.page, page_size=size, total_count=total)
