"""The quantum face's routers: everything under `/quantum` (qunicorn v1.0.4 API)."""

from fastapi import APIRouter

from qfractal.auth.dependencies import CurrentUser
from qfractal.quantum.deployments import routes as deployment_routes
from qfractal.quantum.devices import routes as device_routes
from qfractal.quantum.errors import PREFIX
from qfractal.quantum.jobs import routes as job_routes
from qfractal.quantum.links import LinksDep
from qfractal.quantum.schemas import Root, error_responses

root_router = APIRouter(prefix=PREFIX, tags=["Quantum"])


@root_router.get("/", response_model=Root, responses=error_responses())
async def root(user: CurrentUser, links: LinksDep) -> Root:
    """Links to the quantum face's resources and the API documentation."""
    return Root.of(links)


ROUTERS: tuple[APIRouter, ...] = (
    root_router,
    device_routes.router,
    deployment_routes.router,
    job_routes.router,
)
"""Every router of the quantum face (each with the `/quantum` prefix); `qfractal.app`
mounts them."""
