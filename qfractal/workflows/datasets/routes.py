"""Routes /api/v2/project/{project_id}/dataset/ (fractal-server 2.17 wire format)."""

from fastapi import APIRouter, Response, status

from qfractal.db.session import SessionDep
from qfractal.workflows.datasets import service
from qfractal.workflows.datasets.dependencies import UserDataset, UserProject
from qfractal.workflows.datasets.schemas import (
    DatasetCreate,
    DatasetExport,
    DatasetImport,
    DatasetRead,
    DatasetUpdate,
)
from qfractal.workflows.dependencies import WorkflowsUser

router = APIRouter(prefix="/api/v2/project/{project_id}/dataset", tags=["V2 Dataset"])

_404 = {
    404: {"description": "No such project among the user's projects, or no such dataset in it."}
}
_422 = {422: {"description": "Invalid body, or a rule of the request is broken (see `detail`)."}}


@router.get("/", response_model=list[DatasetRead], responses=_404)
async def list_datasets(project: UserProject, session: SessionDep) -> list[DatasetRead]:
    """The datasets of a project (without their images)."""
    return [DatasetRead.of(d, project) for d in await service.list_datasets(session, project)]


@router.post("/", status_code=201, response_model=DatasetRead, responses={**_404, **_422})
async def create_dataset(
    data: DatasetCreate, project: UserProject, user: WorkflowsUser, session: SessionDep
) -> DatasetRead:
    """Create a dataset. Without `zarr_dir`, its folder is
    `{project_dir}/fractal/{project_id}_{project name}/{dataset_id}_{dataset name}` in the
    user's first project folder (names lower-cased, punctuation and spaces made `_`)."""
    dataset = await service.create_dataset(session, user, project, data=data)
    return DatasetRead.of(dataset, project)


@router.post("/import/", status_code=201, response_model=DatasetRead, responses={**_404, **_422})
async def import_dataset(
    data: DatasetImport, project: UserProject, session: SessionDep
) -> DatasetRead:
    """Create a dataset with its images (as `export/` gives them). Every image must be
    inside `zarr_dir`; if one is not, nothing is created (422)."""
    return DatasetRead.of(await service.import_dataset(session, project, data=data), project)


@router.get("/{dataset_id}/", response_model=DatasetRead, responses=_404)
async def get_dataset(dataset: UserDataset, project: UserProject) -> DatasetRead:
    """One dataset of the project (without its images)."""
    return DatasetRead.of(dataset, project)


@router.patch("/{dataset_id}/", response_model=DatasetRead, responses={**_404, **_422})
async def update_dataset(
    data: DatasetUpdate, dataset: UserDataset, project: UserProject, session: SessionDep
) -> DatasetRead:
    """Rename a dataset, or move its `zarr_dir` (only while it has no images)."""
    return DatasetRead.of(await service.update_dataset(session, dataset, data=data), project)


@router.delete("/{dataset_id}/", status_code=204, responses=_404)
async def delete_dataset(dataset: UserDataset, session: SessionDep) -> Response:
    """Delete a dataset and its images (the files under `zarr_dir` are left alone)."""
    await service.delete_dataset(session, dataset)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/{dataset_id}/export/", response_model=DatasetExport, responses=_404)
async def export_dataset(dataset: UserDataset, session: SessionDep) -> Response:
    """The dataset's name, `zarr_dir` and every image, to import elsewhere."""
    exported = await service.export_dataset(session, dataset)
    return Response(exported.render(), media_type="application/json")
