"""Superuser routes /admin/v2/resource/... and /admin/v2/profile/..."""

from fastapi import APIRouter, Response, status

from qfractal.auth.dependencies import Superuser
from qfractal.compute import service
from qfractal.compute.schemas import ProfileCreate, ProfileRead, ResourceCreate, ResourceRead
from qfractal.db.session import SessionDep
from qfractal.ids import ProfileId, ResourceId

router = APIRouter(prefix="/admin/v2", tags=["V2 Admin area"])

_404 = {404: {"description": "No such resource or profile."}}
_IN_USE = {422: {"description": "Invalid body, duplicate name, or still in use."}}


@router.get("/resource/", response_model=list[ResourceRead])
async def list_resources(_admin: Superuser, session: SessionDep) -> list[ResourceRead]:
    """Every compute resource."""
    resources = await service.list_resources(session)
    return [ResourceRead.model_validate(r) for r in resources]


@router.post("/resource/", status_code=201, response_model=ResourceRead, responses=_IN_USE)
async def create_resource(
    data: ResourceCreate, _admin: Superuser, session: SessionDep
) -> ResourceRead:
    """Create a resource of type `local`, `slurm_sudo` or `slurm_ssh`."""
    return ResourceRead.model_validate(await service.create_resource(session, data=data))


@router.get("/resource/{resource_id}/", response_model=ResourceRead, responses=_404)
async def get_resource(
    resource_id: ResourceId, _admin: Superuser, session: SessionDep
) -> ResourceRead:
    """One resource."""
    return ResourceRead.model_validate(await service.get_resource(session, resource_id))


@router.put("/resource/{resource_id}/", response_model=ResourceRead, responses={**_404, **_IN_USE})
async def put_resource(
    resource_id: ResourceId, data: ResourceCreate, _admin: Superuser, session: SessionDep
) -> ResourceRead:
    """Overwrite a resource (its type only while no profile uses it)."""
    resource = await service.get_resource(session, resource_id)
    return ResourceRead.model_validate(await service.replace_resource(session, resource, data=data))


@router.delete("/resource/{resource_id}/", status_code=204, responses={**_404, **_IN_USE})
async def delete_resource(
    resource_id: ResourceId, _admin: Superuser, session: SessionDep
) -> Response:
    """Delete a resource that no profile uses."""
    await service.delete_resource(session, await service.get_resource(session, resource_id))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/resource/{resource_id}/profile/", response_model=list[ProfileRead], responses=_404)
async def list_resource_profiles(
    resource_id: ResourceId, _admin: Superuser, session: SessionDep
) -> list[ProfileRead]:
    """The profiles of one resource."""
    await service.get_resource(session, resource_id)
    profiles = await service.list_profiles(session, resource_id=resource_id)
    return [ProfileRead.model_validate(p) for p in profiles]


@router.post(
    "/resource/{resource_id}/profile/",
    status_code=201,
    response_model=ProfileRead,
    responses={**_404, **_IN_USE},
)
async def create_profile(
    resource_id: ResourceId, data: ProfileCreate, _admin: Superuser, session: SessionDep
) -> ProfileRead:
    """Create a profile on a resource; its `resource_type` must be the resource's type."""
    resource = await service.get_resource(session, resource_id)
    return ProfileRead.model_validate(await service.create_profile(session, resource, data=data))


@router.get("/profile/", response_model=list[ProfileRead])
async def list_profiles(_admin: Superuser, session: SessionDep) -> list[ProfileRead]:
    """Every profile."""
    return [ProfileRead.model_validate(p) for p in await service.list_profiles(session)]


@router.get("/profile/{profile_id}/", response_model=ProfileRead, responses=_404)
async def get_profile(profile_id: ProfileId, _admin: Superuser, session: SessionDep) -> ProfileRead:
    """One profile."""
    return ProfileRead.model_validate(await service.get_profile(session, profile_id))


@router.put("/profile/{profile_id}/", response_model=ProfileRead, responses={**_404, **_IN_USE})
async def put_profile(
    profile_id: ProfileId, data: ProfileCreate, _admin: Superuser, session: SessionDep
) -> ProfileRead:
    """Overwrite a profile."""
    profile = await service.get_profile(session, profile_id)
    return ProfileRead.model_validate(await service.replace_profile(session, profile, data=data))


@router.delete("/profile/{profile_id}/", status_code=204, responses={**_404, **_IN_USE})
async def delete_profile(profile_id: ProfileId, _admin: Superuser, session: SessionDep) -> Response:
    """Delete a profile that no user has."""
    await service.delete_profile(session, await service.get_profile(session, profile_id))
    return Response(status_code=status.HTTP_204_NO_CONTENT)
