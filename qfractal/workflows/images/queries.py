"""The SQL of a dataset's images, on SQLite and PostgreSQL alike.

Filters are evaluated by the database (the rule is `filters.matches`). Keys of attributes
and types are bound parameters, never spliced into SQL or into a JSON path:

* PostgreSQL looks them up with `jsonb -> key` and compares JSONB values, whose equality
  already has JSON semantics (`1 = 1.0`, `true <> 1`);
* SQLite scans the object with `json_each` and compares `key` columns, because its JSON
  paths cannot express every key (a `"` in a key, or escaped characters in the stored
  text, make `$."key"` miss); the JSON type is checked next to the value, since SQLite
  returns `true` as the integer 1.
"""

import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    ColumnElement,
    String,
    Text,
    and_,
    cast,
    exists,
    func,
    insert,
    literal,
    select,
    true,
    type_coerce,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession

from qfractal.db.dialect import is_postgresql
from qfractal.workflows.images.filters import json_kind, sorted_distinct
from qfractal.workflows.models import Image

_SQLITE_TYPES = {"boolean": ("true", "false"), "number": ("integer", "real"), "string": ("text",)}


@dataclass(frozen=True)
class ImageSelection:
    """Which images of a dataset: all, or those matching filters (and one zarr_url)."""

    dataset_id: int
    type_filters: Mapping[str, bool] = field(default_factory=dict)
    attribute_filters: Mapping[str, Sequence[Any]] = field(default_factory=dict)
    zarr_url: str | None = None


# --- filters ------------------------------------------------------------------------------


def _sqlite_members(document: Any) -> Any:
    """`json_each(document)`: one row (key, value, type) per member of a JSON object."""
    return func.json_each(document).table_valued("key", "value", "type").alias()


def _sqlite_type_is(key: str, wanted: bool) -> ColumnElement[bool]:
    member = _sqlite_members(Image.types)
    is_true = exists().select_from(member).where(member.c.key == key, member.c.type == "true")
    return is_true if wanted else ~is_true


def _sqlite_attribute_in(key: str, values: Sequence[Any]) -> ColumnElement[bool]:
    member = _sqlite_members(Image.attributes)
    kind = json_kind(values[0])
    if kind == "boolean":
        value_matches = member.c.type.in_(sorted({"true" if v else "false" for v in values}))
    else:
        value_matches = and_(member.c.type.in_(_SQLITE_TYPES[kind]), member.c.value.in_(values))
    return exists().select_from(member).where(member.c.key == key, value_matches)


def _pg_member(document: Any, key: str) -> ColumnElement[Any]:
    return type_coerce(document, JSONB).op("->", return_type=JSONB)(literal(key, String))


def _pg_type_is(key: str, wanted: bool) -> ColumnElement[bool]:
    value = _pg_member(Image.types, key)
    if wanted:
        return value == literal(True, JSONB)
    return value.is_distinct_from(literal(True, JSONB))  # a missing key (NULL) is false


def _pg_attribute_in(key: str, values: Sequence[Any]) -> ColumnElement[bool]:
    return _pg_member(Image.attributes, key).in_([literal(v, JSONB) for v in values])


def conditions(session: AsyncSession, selection: ImageSelection) -> list[ColumnElement[bool]]:
    """The WHERE conditions on `image` rows of `selection` (other queries compose them)."""
    postgresql = is_postgresql(session)
    type_is = _pg_type_is if postgresql else _sqlite_type_is
    attribute_in = _pg_attribute_in if postgresql else _sqlite_attribute_in
    conditions: list[ColumnElement[bool]] = [Image.dataset_id == selection.dataset_id]
    if selection.zarr_url is not None:
        conditions.append(Image.zarr_url == selection.zarr_url)
    for key, wanted in selection.type_filters.items():
        conditions.append(type_is(key, wanted))
    for key, values in selection.attribute_filters.items():
        conditions.append(attribute_in(key, values))
    return conditions


# --- reads --------------------------------------------------------------------------------


async def count(
    session: AsyncSession, selection: ImageSelection, *extra: ColumnElement[bool]
) -> int:
    where = [*conditions(session, selection), *extra]
    query = select(func.count()).select_from(Image).where(*where)
    return (await session.execute(query)).scalar_one()


def json_text_of(session: AsyncSession, document: Any) -> ColumnElement[str]:
    """A JSON column as JSON text (SQLite stores the text; PostgreSQL renders the JSONB)."""
    if is_postgresql(session):
        return cast(document, Text)
    return type_coerce(document, Text)


async def fetch_json(
    session: AsyncSession, selection: ImageSelection, *, offset: int = 0, limit: int | None = None
) -> list[str]:
    """The selected images in insertion order, each as the JSON text of a `SingleImage`.

    Attributes and types are stored as JSON already: they pass through as text instead of
    being decoded into Python and encoded again, several times faster for large pages.
    """
    query = (
        select(
            Image.zarr_url,
            Image.origin,
            json_text_of(session, Image.attributes),
            json_text_of(session, Image.types),
        )
        .where(*conditions(session, selection))
        .order_by(Image.id)
        .offset(offset)
        .limit(limit)
    )
    dumps = json.dumps
    return [
        f'{{"zarr_url":{dumps(url)},"origin":{dumps(origin)},"attributes":{attributes},'
        f'"types":{types}}}'
        for url, origin, attributes, types in await session.execute(query)
    ]


async def zarr_urls(
    session: AsyncSession, selection: ImageSelection, *extra: ColumnElement[bool]
) -> list[str]:
    """zarr_urls of the selected images (that also meet the `extra` conditions)."""
    query = select(Image.zarr_url).where(*conditions(session, selection), *extra).order_by(Image.id)
    return list((await session.scalars(query)).all())


async def find(session: AsyncSession, dataset_id: int, zarr_url: str) -> Image | None:
    return await session.scalar(
        select(Image).where(Image.dataset_id == dataset_id, Image.zarr_url == zarr_url)
    )


async def has_any(session: AsyncSession, dataset_id: int) -> bool:
    return bool(await session.scalar(select(exists().where(Image.dataset_id == dataset_id))))


# --- summaries ----------------------------------------------------------------------------
#
# One pass over the JSON documents of the images, grouped by (key, value). PostgreSQL lists
# keys with `jsonb_object_keys` in the select list (about 3x faster than a lateral
# `jsonb_each` per row); SQLite walks each object with `json_each`.

_SQLITE_BOOLEANS = {"true": True, "false": False}


def _pg_keys(document: Any, conditions: Sequence[ColumnElement[bool]]) -> Any:
    """A subquery `(doc, key)`: one row per key of `document` in the selected images."""
    doc = type_coerce(document, JSONB)
    return (
        select(doc.label("doc"), func.jsonb_object_keys(doc).label("key"))
        .where(*conditions)
        .subquery()
    )


def _sqlite_joined(member: Any, conditions: Sequence[ColumnElement[bool]]) -> Any:
    """The selected images joined to the members of one of their JSON objects."""
    return select().select_from(Image).join(member, true()).where(*conditions)


async def _distinct_keys(
    session: AsyncSession, document: Any, conditions: Sequence[ColumnElement[bool]]
) -> list[str]:
    """The keys of `document` (the attributes or the types column) in the selected images."""
    if is_postgresql(session):
        keys = _pg_keys(document, conditions)
        return list((await session.scalars(select(keys.c.key).distinct())).all())
    member = _sqlite_members(document)
    query = _sqlite_joined(member, conditions).add_columns(member.c.key).distinct()
    return list((await session.scalars(query)).all())


async def _member_counts(
    session: AsyncSession, document: Any, conditions: Sequence[ColumnElement[bool]]
) -> list[tuple[str, Any, int]]:
    """`(key, value, number of images)` for every member of `document` (the attributes or
    the types column) in the selected images."""
    if is_postgresql(session):
        keys = _pg_keys(document, conditions)
        value = keys.c.doc.op("->", return_type=JSONB)(keys.c.key)
        query = select(keys.c.key, value, func.count()).group_by(keys.c.key, value)
        return [(key, item, n) for key, item, n in await session.execute(query)]
    member = _sqlite_members(document)
    columns = (member.c.key, member.c.type, member.c.value)
    query = _sqlite_joined(member, conditions).add_columns(*columns, func.count())
    rows = await session.execute(query.group_by(*columns))
    return [(key, _SQLITE_BOOLEANS.get(kind, item), n) for key, kind, item, n in rows]


def _of_types(
    session: AsyncSession, dataset_id: int, type_filters: Mapping[str, bool] | None
) -> list[ColumnElement[bool]]:
    return conditions(
        session, ImageSelection(dataset_id=dataset_id, type_filters=type_filters or {})
    )


async def attribute_summary(
    session: AsyncSession, dataset_id: int, *, type_filters: Mapping[str, bool] | None = None
) -> dict[str, list[Any]]:
    """`{key: sorted distinct values}` over every image of the dataset (of these types)."""
    values: dict[str, list[Any]] = defaultdict(list)
    for key, value, _ in await _member_counts(
        session, Image.attributes, _of_types(session, dataset_id, type_filters)
    ):
        values[key].append(value)
    return {key: sorted_distinct(values[key]) for key in sorted(values)}


async def type_summary(
    session: AsyncSession, dataset_id: int, *, type_filters: Mapping[str, bool] | None = None
) -> list[str]:
    """The sorted type keys of every image of the dataset (of these types)."""
    found = await _distinct_keys(session, Image.types, _of_types(session, dataset_id, type_filters))
    return sorted(found)


async def non_unique_types(
    session: AsyncSession, selection: ImageSelection, *extra: ColumnElement[bool]
) -> list[str]:
    """Type keys (sorted) that are true on some selected images (that also meet the `extra`
    conditions) and false or missing on others."""
    total = await count(session, selection, *extra)
    true_counts: dict[str, int] = defaultdict(int)
    where = [*conditions(session, selection), *extra]
    for key, value, n in await _member_counts(session, Image.types, where):
        true_counts[key] += n if value is True else 0
    return sorted(key for key, n_true in true_counts.items() if 0 < n_true < total)


# --- writes -------------------------------------------------------------------------------


async def insert_many(
    session: AsyncSession, dataset_id: int, images: Sequence[Mapping[str, Any]]
) -> None:
    """Insert `SingleImage` dicts in bulk (a few multi-row INSERTs, no ORM objects)."""
    if images:
        await session.execute(
            insert(Image), [{"dataset_id": dataset_id, **image} for image in images]
        )
