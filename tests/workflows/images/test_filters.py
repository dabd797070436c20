"""Image filters: one table of cases, answered by the database (SQLite or PostgreSQL),
by the pure rule `filters.matches`, and by hand; all three must agree."""

from typing import Any

import httpx
import pytest

from qfractal.workflows.images.filters import matches, sorted_distinct
from tests.conftest import Account
from tests.workflows.datasets.helpers import (
    create_project,
    images_url,
    import_dataset,
    query_images,
)

WEIRD = 'we"ird.key'
IMAGES: dict[str, dict[str, Any]] = {
    "a": {
        "attributes": {"well": "A01", "n": 1, "x": 1.5, "flag": True, WEIRD: "v1", "sp ace": 1},
        "types": {"is_3D": True, "mip": False},
    },
    "b": {
        "attributes": {"well": "A02", "n": 2, "x": 1.0, "flag": False, WEIRD: "v2"},
        "types": {"is_3D": False},
    },
    "c": {
        "attributes": {"well": "B01", "n": 1.0, "flag": 1, "ünï": "ç"},
        "types": {"mip": True, 'ty"pe': True},
    },
    "d": {"attributes": {"well": "1", "n": "1", "$.path[0]": 0, "back\\slash": "x"}, "types": {}},
    "e": {"attributes": {}, "types": {"is_3D": True, "a.b": True}},
    "f": {"attributes": {"n": 0, "flag": 0, "x": 1}, "types": {"is_3D": False, "mip": True}},
}
ALL = sorted(IMAGES)

# (type_filters, attribute_filters, names of the matching images)
CASES: dict[str, tuple[dict[str, bool], dict[str, list[Any]], list[str]]] = {
    "no-filters": ({}, {}, ALL),
    "type-true": ({"is_3D": True}, {}, ["a", "e"]),
    "type-false-includes-missing": ({"is_3D": False}, {}, ["b", "c", "d", "f"]),
    "type-false-explicit-or-missing": ({"mip": False}, {}, ["a", "b", "d", "e"]),
    "unknown-type-true": ({"nope": True}, {}, []),
    "unknown-type-false": ({"nope": False}, {}, ALL),
    "two-types": ({"is_3D": False, "mip": True}, {}, ["c", "f"]),
    "attribute-one-value": ({}, {"well": ["A01"]}, ["a"]),
    "attribute-two-values": ({}, {"well": ["A01", "B01"]}, ["a", "c"]),
    "attribute-no-match": ({}, {"well": ["X"]}, []),
    "missing-attribute-excluded": ({}, {"nope": [1]}, []),
    "int-matches-int-and-float": ({}, {"n": [1]}, ["a", "c"]),
    "float-matches-int-and-float": ({}, {"n": [1.0]}, ["a", "c"]),
    "string-is-not-a-number": ({}, {"n": ["1"]}, ["d"]),
    "number-is-not-a-string": ({}, {"well": [1]}, []),
    "numbers-int-values": ({}, {"n": [0, 2]}, ["b", "f"]),
    "int-and-float-in-one-list": ({}, {"x": [1, 1.5]}, ["a", "b", "f"]),
    "true-is-not-1": ({}, {"flag": [True]}, ["a"]),
    "false-is-not-0": ({}, {"flag": [False]}, ["b"]),
    "1-is-not-true": ({}, {"flag": [1]}, ["c"]),
    "0-is-not-false": ({}, {"flag": [0]}, ["f"]),
    "both-booleans": ({}, {"flag": [True, False]}, ["a", "b"]),
    "key-with-quote-and-dot": ({}, {WEIRD: ["v1", "v2"]}, ["a", "b"]),
    "key-with-space": ({}, {"sp ace": [1]}, ["a"]),
    "key-not-ascii": ({}, {"ünï": ["ç"]}, ["c"]),
    "key-like-a-json-path": ({}, {"$.path[0]": [0]}, ["d"]),
    "key-with-backslash": ({}, {"back\\slash": ["x"]}, ["d"]),
    "key-stripped": ({}, {" well ": ["A01"]}, ["a"]),
    "type-key-with-quote": ({'ty"pe': True}, {}, ["c"]),
    "type-key-with-dot": ({"a.b": True}, {}, ["e"]),
    "type-and-attribute": ({"is_3D": True}, {"well": ["A01"]}, ["a"]),
    "type-false-and-attributes": ({"mip": False}, {"n": [1, 2]}, ["a", "b"]),
    "two-attributes": ({}, {"well": ["A01", "A02"], "n": [2]}, ["b"]),
    "type-and-missing-attribute": ({"is_3D": True}, {"n": [1]}, ["a"]),
}


def _zarr_url(name: str) -> str:
    return f"/zarr/{name}"


def _stripped(filters: dict[str, Any]) -> dict[str, Any]:
    return {key.strip(): value for key, value in filters.items()}


@pytest.fixture
async def dataset(client: httpx.AsyncClient, user: Account) -> dict:
    project = await create_project(client, user)
    images = [{"zarr_url": _zarr_url(name), **image} for name, image in IMAGES.items()]
    return await import_dataset(client, user, project["id"], images)


@pytest.mark.parametrize(
    ("type_filters", "attribute_filters", "expected"), CASES.values(), ids=CASES
)
def test_the_rule_agrees_with_the_table(
    type_filters: dict, attribute_filters: dict, expected: list[str]
) -> None:
    found = [
        name
        for name, image in IMAGES.items()
        if matches(image, _stripped(type_filters), _stripped(attribute_filters))
    ]
    assert found == expected


@pytest.mark.parametrize(
    ("type_filters", "attribute_filters", "expected"), CASES.values(), ids=CASES
)
async def test_the_database_agrees_with_the_table(
    client: httpx.AsyncClient,
    user: Account,
    dataset: dict,
    type_filters: dict,
    attribute_filters: dict,
    expected: list[str],
) -> None:
    body = {"type_filters": type_filters, "attribute_filters": attribute_filters}
    page = await query_images(client, user, dataset, body)
    assert [image["zarr_url"] for image in page["items"]] == [_zarr_url(n) for n in expected]
    oracle = [
        _zarr_url(name)
        for name, image in IMAGES.items()
        if matches(image, _stripped(type_filters), _stripped(attribute_filters))
    ]
    assert [image["zarr_url"] for image in page["items"]] == oracle

    # verify-unique-types over the same selection: types true on some, false/missing on others
    selected = [IMAGES[name] for name in expected]
    type_keys = {key for image in selected for key in image["types"]}
    split = sorted(
        key for key in type_keys if len({image["types"].get(key, False) for image in selected}) > 1
    )
    response = await client.post(
        images_url(dataset, "verify-unique-types/"), json=body, headers=user.headers
    )
    assert response.status_code == 200
    assert response.json() == split


async def test_summaries_of_the_table(
    client: httpx.AsyncClient, user: Account, dataset: dict
) -> None:
    page = await query_images(client, user, dataset, {"type_filters": {"nope": True}})
    keys = sorted({key for image in IMAGES.values() for key in image["attributes"]})
    assert page["attributes"] == {
        key: sorted_distinct(
            image["attributes"][key] for image in IMAGES.values() if key in image["attributes"]
        )
        for key in keys
    }
    assert page["types"] == sorted({key for image in IMAGES.values() for key in image["types"]})


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"attribute_filters": {"k": []}}, ["body", "attribute_filters"]),
        ({"attribute_filters": {"k": [1, "a"]}}, ["body", "attribute_filters"]),
        ({"attribute_filters": {"k": [True, 1]}}, ["body", "attribute_filters"]),
        ({"attribute_filters": {"k": [None]}}, ["body", "attribute_filters", "k", 0]),
        ({"attribute_filters": {"k": 1}}, ["body", "attribute_filters", "k"]),
        ({"attribute_filters": {"k": [2**64]}}, ["body", "attribute_filters", "k", 0]),
        ({"attribute_filters": {"k": ["\u0000"]}}, ["body", "attribute_filters", "k", 0]),
        ({"attribute_filters": {" ": [1]}}, ["body", "attribute_filters"]),
        ({"attribute_filters": {"k": [1], " k": [2]}}, ["body", "attribute_filters"]),
        ({"type_filters": {"k": "x"}}, ["body", "type_filters", "k"]),
        ({"type_filters": {"k": 1}}, ["body", "type_filters", "k"]),
        ({"type_filters": {"k": None}}, ["body", "type_filters", "k"]),
        ({"type_filters": []}, ["body", "type_filters"]),
    ],
    ids=[
        "empty-list",
        "number-and-string",
        "boolean-and-number",
        "null-value",
        "not-a-list",
        "int-beyond-64-bits",
        "nul-in-value",
        "blank-key",
        "keys-clash",
        "non-bool-type",
        "number-as-type",
        "null-type",
        "not-an-object",
    ],
)
async def test_bad_filters_name_the_field(
    client: httpx.AsyncClient, user: Account, dataset: dict, body: dict, loc: list
) -> None:
    for action in ("query/", "verify-unique-types/"):
        response = await client.post(images_url(dataset, action), json=body, headers=user.headers)
        assert response.status_code == 422, action
        assert response.json()["detail"][0]["loc"][: len(loc)] == loc
