"""Routes /api/v2/project/{project_id}/dataset/{dataset_id}/images/ (fractal-server 2.17)."""

from typing import Annotated

from fastapi import APIRouter, Body, Query, Response, status
from pydantic import AfterValidator

from qfractal.auth.schemas import no_nul
from qfractal.db.session import SessionDep
from qfractal.ids import id_query
from qfractal.workflows.datasets.dependencies import UserDataset
from qfractal.workflows.images import pre_submission, service
from qfractal.workflows.images.schemas import (
    ImagePage,
    ImageQuery,
    ImageQueryWithZarrUrl,
    NonProcessedImagesPayload,
    SingleImage,
    SingleImageUpdate,
)
from qfractal.workflows.pagination import PageDep

router = APIRouter(prefix="/api/v2/project/{project_id}/dataset/{dataset_id}/images")

_404 = {404: {"description": "No such project, dataset (or image) for this user."}}
_404_WF = {404: {"description": "No such project, dataset, workflow or workflow task."}}
_422 = {422: {"description": "Invalid body, or a rule of the request is broken (see `detail`)."}}

WorkflowIdQuery = Annotated[int, id_query("ID of a workflow of the project")]
WorkflowTaskIdQuery = Annotated[int, id_query("ID of a workflow task of the project")]


@router.post("/", status_code=201, tags=["V2 Images"], responses={**_404, **_422})
async def add_image(image: SingleImage, dataset: UserDataset, session: SessionDep) -> Response:
    """Add an image to the dataset (empty 201 answer, as fractal-server). Its zarr_url
    must be strictly inside the dataset's zarr_dir and not yet in the dataset."""
    await service.add_image(session, dataset, image=image)
    return Response(status_code=status.HTTP_201_CREATED)


@router.patch("/", response_model=SingleImage, tags=["V2 Images"], responses={**_404, **_422})
async def update_image(
    update: SingleImageUpdate, dataset: UserDataset, session: SessionDep
) -> SingleImage:
    """Replace the attributes and/or the types of an image (a field left out is kept)."""
    return await service.update_image(session, dataset, update=update)


@router.delete("/", status_code=204, tags=["V2 Images"], responses=_404)
async def delete_image(
    zarr_url: Annotated[
        str, Query(description="zarr_url of the image to remove"), AfterValidator(no_nul)
    ],
    dataset: UserDataset,
    session: SessionDep,
) -> Response:
    """Remove an image from the dataset (its files are left alone)."""
    await service.delete_image(session, dataset, zarr_url=zarr_url)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/query/", response_model=ImagePage, tags=["V2 Images"], responses={**_404, **_422})
async def query_images(
    dataset: UserDataset,
    page: PageDep,
    session: SessionDep,
    query: Annotated[ImageQueryWithZarrUrl | None, Body()] = None,
) -> Response:
    """A page of the images matching the filters (all images without a body), in the
    order they were added. `attributes` and `types` summarize the dataset's whole image
    list, not just the matches. Without `page_size` every match is on page 1; a page past
    the end answers the last page."""
    listing = await service.query_images(session, dataset, query=query, page=page)
    return Response(listing.render(), media_type="application/json")


@router.post("/verify-unique-types/", response_model=list[str], tags=["V2 Job"], responses=_404_WF)
async def verify_unique_types(
    dataset: UserDataset,
    session: SessionDep,
    query: Annotated[ImageQuery | None, Body()] = None,
    workflowtask_id: Annotated[
        int | None, id_query("Workflow task about to run (must be in the project)")
    ] = None,
) -> list[str]:
    """Type keys that are true on some of the filtered images and false (or missing) on
    others: a task selecting on such a type would not see all these images."""
    return await pre_submission.verify_unique_types(
        session, dataset, query=query, workflowtask_id=workflowtask_id
    )


@router.post("/non-processed/", response_model=list[str], tags=["V2 Job"], responses=_404_WF)
async def non_processed_images(
    workflow_id: WorkflowIdQuery,
    workflowtask_id: WorkflowTaskIdQuery,
    filters: NonProcessedImagesPayload,
    dataset: UserDataset,
    session: SessionDep,
) -> list[str]:
    """zarr_urls of the filtered images that the workflow task before `workflowtask_id`
    has not processed successfully; `[]` if that check does not apply (first task, or the
    previous task is a converter or sets output types)."""
    return await pre_submission.non_processed_images(
        session, dataset, workflow_id=workflow_id, workflowtask_id=workflowtask_id, query=filters
    )
