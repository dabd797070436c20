"""Bodies of /api/v2/project/{project_id}/dataset/{dataset_id}/images/ (fractal-server 2.17)."""

import json
import posixpath
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, Field

from qfractal.workflows.images.filters import (
    AttributeFilters,
    AttributeValue,
    ImageAttributes,
    ImageTypes,
    TypeFilters,
    no_nul,
)
from qfractal.workflows.pagination import PageInfo


def normalize_zarr_path(value: str) -> str:
    """An absolute, normalized path: no `.`/`..` parts, no doubled or trailing slash."""
    value = no_nul(value.strip())
    if not value.startswith("/"):
        raise ValueError(f"must be an absolute path (start with '/'), got {value!r}")
    normalized = posixpath.normpath(value)
    # POSIX keeps a leading "//" as a separate root; a zarr path has just one.
    return "/" + normalized.lstrip("/")


def lenient_zarr_path(value: str) -> str:
    """`value` normalized if it is an absolute path, else unchanged (so it matches nothing);
    the NUL character is refused all the same (the database cannot even look it up)."""
    no_nul(value)
    try:
        return normalize_zarr_path(value)
    except ValueError:
        return value


def is_strictly_under(path: str, folder: str) -> bool:
    """Whether `path` is inside `folder` (a string prefix ending at a path separator)."""
    return path.startswith(folder.rstrip("/") + "/")


ZarrPath = Annotated[str, Field(min_length=1), AfterValidator(normalize_zarr_path)]


class SingleImage(BaseModel):
    """One OME-Zarr image of a dataset."""

    zarr_url: ZarrPath
    origin: ZarrPath | None = None
    attributes: ImageAttributes = Field(default_factory=dict)
    types: ImageTypes = Field(default_factory=dict)


class SingleImageUpdate(BaseModel):
    """Replace the attributes and/or the types of the image `zarr_url` (omitted: kept)."""

    zarr_url: ZarrPath
    attributes: ImageAttributes | None = None
    types: ImageTypes | None = None


class ImageQuery(BaseModel):
    type_filters: TypeFilters = Field(default_factory=dict)
    attribute_filters: AttributeFilters = Field(default_factory=dict)


class ImageQueryWithZarrUrl(ImageQuery):
    zarr_url: Annotated[str, AfterValidator(lenient_zarr_path)] | None = None
    """Only the image with this zarr_url (none if the dataset has no such image)."""


class NonProcessedImagesPayload(ImageQuery):
    pass


class ImagePage(PageInfo):
    """A page of the filtered images, with summaries of the dataset's whole image list
    (written by `ImagePageJSON`; this model documents it)."""

    items: list[SingleImage]
    attributes: dict[str, list[AttributeValue]]
    """Every attribute key of the dataset's images, with its distinct values, sorted."""
    types: list[str]
    """Every type key of the dataset's images, sorted."""


def json_text(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def json_list(items: Sequence[str]) -> str:
    """A JSON array of items that are JSON texts already."""
    return "[" + ",".join(items) + "]"


@dataclass(frozen=True)
class ImagePageJSON:
    """The `ImagePage` answer, whose items are JSON texts already (`queries.fetch_json`):
    a page of many images is written out without a model object per image."""

    info: PageInfo
    items: list[str]
    attributes: dict[str, list[Any]]
    types: list[str]

    def render(self) -> bytes:
        return (
            f'{{"current_page":{self.info.current_page},"page_size":{self.info.page_size},'
            f'"total_count":{self.info.total_count},"items":{json_list(self.items)},'
            f'"attributes":{json_text(self.attributes)},"types":{json_text(self.types)}}}'
        ).encode()
