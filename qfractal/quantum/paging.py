"""`?page=&item-count=` as qunicorn v1.0.4 reads them: pages from 1, 1..1000 items
(default 100); an empty page after the first is 404."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, TypeVar

from fastapi import Depends, Query

from qfractal.errors import NotFound
from qfractal.ids import MAX_ID

T = TypeVar("T")

DEFAULT_ITEM_COUNT = 100
MAX_ITEM_COUNT = 1000


@dataclass(frozen=True)
class Page:
    number: int
    item_count: int

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.item_count

    def check(self, items: Sequence[T]) -> Sequence[T]:
        """`items` of this page; 404 if the page is empty and not the first."""
        if not items and self.number > 1:
            raise NotFound(f"Page {self.number} is empty.")
        return items


def page_params(
    page: Annotated[int, Query(ge=1, le=MAX_ID, description="Page number, from 1.")] = 1,
    item_count: Annotated[
        int,
        Query(
            alias="item-count",
            ge=1,
            le=MAX_ITEM_COUNT,
            description=f"Items per page (1..{MAX_ITEM_COUNT}).",
        ),
    ] = DEFAULT_ITEM_COUNT,
) -> Page:
    return Page(number=page, item_count=item_count)


PageDep = Annotated[Page, Depends(page_params)]
