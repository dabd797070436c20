"""Bodies of /api/v2/project/{project_id}/dataset/ (fractal-server 2.17)."""

import posixpath
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from qfractal.auth.schemas import NonEmptyStr, no_nul
from qfractal.workflows.images.schemas import (
    SingleImage,
    ZarrPath,
    is_strictly_under,
    json_list,
    json_text,
)
from qfractal.workflows.models import Dataset, Project
from qfractal.workflows.projects.schemas import ProjectRead

DatasetName = Annotated[NonEmptyStr, AfterValidator(no_nul)]


def _relative_subfolder(value: str) -> str:
    cleaned = posixpath.normpath(value.strip())
    if cleaned.startswith("/") or cleaned == ".." or cleaned.startswith("../"):
        raise ValueError(f"must be a folder inside the project folder, got {value!r}")
    return cleaned


Subfolder = Annotated[NonEmptyStr, AfterValidator(no_nul), AfterValidator(_relative_subfolder)]


class DatasetCreate(BaseModel):
    """fractal-server 2.17 takes `zarr_dir`; fractal-client 2.18 sends `project_dir` and
    `zarr_subfolder` instead. Both are accepted (not together)."""

    model_config = ConfigDict(extra="forbid")

    name: DatasetName
    zarr_dir: ZarrPath | None = None
    """Absolute folder of the dataset's images; default: a new folder in the user's first
    project folder, `{project_dir}/fractal/{project_id}_{project}/{dataset_id}_{name}`."""
    project_dir: ZarrPath | None = None
    """One of the user's project folders, used instead of the first one."""
    zarr_subfolder: Subfolder | None = None
    """The dataset's folder relative to the project folder, instead of the default."""

    @model_validator(mode="after")
    def _one_way_to_place(self) -> Self:
        if self.zarr_dir is not None and (self.project_dir or self.zarr_subfolder):
            raise ValueError("give zarr_dir, or project_dir/zarr_subfolder, not both")
        return self


class DatasetUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: DatasetName | None = None
    zarr_dir: ZarrPath | None = None
    """May change only while the dataset has no images."""


class DatasetRead(BaseModel):
    id: int
    name: str
    project_id: int
    project: ProjectRead
    timestamp_created: datetime
    zarr_dir: str

    @classmethod
    def of(cls, dataset: Dataset, project: Project) -> "DatasetRead":
        return cls(
            id=dataset.id,
            name=dataset.name,
            project_id=dataset.project_id,
            project=ProjectRead.model_validate(project),
            timestamp_created=dataset.timestamp_created,
            zarr_dir=dataset.zarr_dir,
        )


class DatasetExport(BaseModel):
    name: str
    zarr_dir: str
    images: list[SingleImage]


@dataclass(frozen=True)
class DatasetExportJSON:
    """The `DatasetExport` answer, whose images are JSON texts already."""

    name: str
    zarr_dir: str
    images: list[str]

    def render(self) -> bytes:
        return (
            f'{{"name":{json_text(self.name)},"zarr_dir":{json_text(self.zarr_dir)},'
            f'"images":{json_list(self.images)}}}'
        ).encode()


class DatasetImport(BaseModel):
    """A dataset with its images, as `DatasetExport` gives it.

    Unknown fields (such as the filters of older exports) are ignored, as in fractal-server.
    """

    name: DatasetName
    zarr_dir: ZarrPath
    images: list[SingleImage] = Field(default_factory=list)

    @field_validator("images")
    @classmethod
    def _images_inside_zarr_dir_and_unique(
        cls, images: list[SingleImage], info: ValidationInfo
    ) -> list[SingleImage]:
        zarr_dir = info.data.get("zarr_dir")
        seen: set[str] = set()
        for index, image in enumerate(images):
            if zarr_dir is not None and not is_strictly_under(image.zarr_url, zarr_dir):
                raise ValueError(
                    f"images[{index}].zarr_url {image.zarr_url!r} is not inside "
                    f"zarr_dir {zarr_dir!r}"
                )
            if image.zarr_url in seen:
                raise ValueError(f"images[{index}].zarr_url {image.zarr_url!r} is given twice")
            seen.add(image.zarr_url)
        return images
