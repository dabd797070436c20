"""/images/query/: pages, clamping, insertion order, summaries of the unfiltered list."""

import httpx
import pytest

from tests.conftest import Account
from tests.workflows.datasets.helpers import (
    create_dataset,
    create_project,
    images_url,
    import_dataset,
    query_images,
)

# Inserted in this order, which is not the order of the zarr_urls.
IMAGES = [
    {"zarr_url": f"/zarr/img{n}", "attributes": attributes, "types": types}
    for n, attributes, types in [
        (5, {"well": "B02", "z": 2}, {"is_3D": True}),
        (3, {"well": "A01", "z": 1.0}, {"is_3D": False, "mip": True}),
        (9, {"well": "A01", "z": 1, "flag": True}, {}),
        (1, {"well": "C03", "z": 0.5, "flag": 1}, {"mip": False}),
        (7, {"well": "B02", "flag": "yes"}, {"illum": True}),
    ]
]
URLS = [image["zarr_url"] for image in IMAGES]
SUMMARY_ATTRIBUTES = {
    "flag": [True, 1, "yes"],
    "well": ["A01", "B02", "C03"],
    "z": [0.5, 1.0, 2],
}
SUMMARY_TYPES = ["illum", "is_3D", "mip"]


@pytest.fixture
async def dataset(client: httpx.AsyncClient, user: Account) -> dict:
    project = await create_project(client, user)
    return await import_dataset(client, user, project["id"], IMAGES)


def urls(page: dict) -> list[str]:
    return [image["zarr_url"] for image in page["items"]]


async def test_everything_on_one_page_without_page_size(
    client: httpx.AsyncClient, user: Account, dataset: dict
) -> None:
    for body in (None, {}, {"type_filters": {}, "attribute_filters": {}}):
        page = await query_images(client, user, dataset, body)
        assert page["items"] == [{**image, "origin": None} for image in IMAGES]
        assert (page["current_page"], page["page_size"], page["total_count"]) == (1, 5, 5)


async def test_summaries_cover_the_unfiltered_list(
    client: httpx.AsyncClient, user: Account, dataset: dict
) -> None:
    page = await query_images(client, user, dataset, {"attribute_filters": {"well": ["C03"]}})
    assert urls(page) == ["/zarr/img1"]
    assert page["total_count"] == 1
    assert page["attributes"] == SUMMARY_ATTRIBUTES
    assert page["types"] == SUMMARY_TYPES


async def test_summary_values_compare_as_json(
    client: httpx.AsyncClient, user: Account, dataset: dict
) -> None:
    """`1` and `1.0` are one value (the first stored one may be either); `true` and `1` two."""
    z_values = (await query_images(client, user, dataset))["attributes"]["z"]
    assert len(z_values) == 3
    assert z_values[1] == 1
    flags = (await query_images(client, user, dataset))["attributes"]["flag"]
    assert flags[0] is True and flags[1] == 1 and flags[1] is not True


@pytest.mark.parametrize(
    ("page", "page_size", "current", "expected"),
    [
        (1, 2, 1, URLS[0:2]),
        (2, 2, 2, URLS[2:4]),
        (3, 2, 3, URLS[4:5]),
        (4, 2, 3, URLS[4:5]),  # past the end: the last page
        (1000, 2, 3, URLS[4:5]),
        (1, 5, 1, URLS),
        (2, 5, 1, URLS),
        (1, 100, 1, URLS),
    ],
)
async def test_pages_and_clamping(
    client: httpx.AsyncClient,
    user: Account,
    dataset: dict,
    page: int,
    page_size: int,
    current: int,
    expected: list[str],
) -> None:
    answer = await query_images(client, user, dataset, page=page, page_size=page_size)
    assert urls(answer) == expected
    assert (answer["current_page"], answer["page_size"], answer["total_count"]) == (
        current,
        page_size,
        5,
    )


async def test_pages_of_filtered_images(
    client: httpx.AsyncClient, user: Account, dataset: dict
) -> None:
    body = {"type_filters": {"is_3D": False}}
    first = await query_images(client, user, dataset, body, page=1, page_size=3)
    assert urls(first) == ["/zarr/img3", "/zarr/img9", "/zarr/img1"]
    last = await query_images(client, user, dataset, body, page=9, page_size=3)
    assert urls(last) == ["/zarr/img7"]
    assert (last["current_page"], last["total_count"]) == (2, 4)


async def test_empty_results(client: httpx.AsyncClient, user: Account, dataset: dict) -> None:
    none = await query_images(client, user, dataset, {"attribute_filters": {"well": ["Z99"]}})
    assert (none["items"], none["total_count"], none["current_page"], none["page_size"]) == (
        [],
        0,
        1,
        0,
    )
    paged = await query_images(
        client, user, dataset, {"type_filters": {"nope": True}}, page=3, page_size=10
    )
    assert (paged["items"], paged["current_page"], paged["page_size"]) == ([], 1, 10)

    project = await create_project(client, user, "empty")
    empty = await create_dataset(client, user, project["id"])
    answer = await query_images(client, user, empty)
    assert answer == {
        "current_page": 1,
        "page_size": 0,
        "total_count": 0,
        "items": [],
        "attributes": {},
        "types": [],
    }


async def test_select_one_zarr_url(client: httpx.AsyncClient, user: Account, dataset: dict) -> None:
    one = await query_images(client, user, dataset, {"zarr_url": "/zarr/img9/"})
    assert urls(one) == ["/zarr/img9"]
    assert one["attributes"] == SUMMARY_ATTRIBUTES
    both = {"zarr_url": "/zarr/img9", "attribute_filters": {"well": ["B02"]}}
    assert urls(await query_images(client, user, dataset, both)) == []
    for missing in ("/zarr/none", "relative"):
        assert urls(await query_images(client, user, dataset, {"zarr_url": missing})) == []


@pytest.mark.parametrize(
    ("params", "loc"),
    [
        ({"page": 2}, None),
        ({"page": 0, "page_size": 10}, ["query", "page"]),
        ({"page_size": 0}, ["query", "page_size"]),
        ({"page_size": -1}, ["query", "page_size"]),
        ({"page": "x"}, ["query", "page"]),
    ],
    ids=["page-2-without-size", "page-0", "size-0", "negative-size", "not-a-number"],
)
async def test_bad_pagination_is_422(
    client: httpx.AsyncClient, user: Account, dataset: dict, params: dict, loc: list | None
) -> None:
    response = await client.post(images_url(dataset, "query/"), params=params, headers=user.headers)
    assert response.status_code == 422
    detail = response.json()["detail"]
    if loc is None:
        assert "page_size" in detail
    else:
        assert detail[0]["loc"] == loc
