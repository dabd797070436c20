"""/api/alive/ (public) and /api/settings/... (superusers)."""

from fastapi import APIRouter

from qfractal import __version__

router = APIRouter(prefix="/api", tags=["Meta"])


@router.get("/alive/")
async def alive() -> dict[str, object]:
    """Public liveness probe; fractal-client reads `version` from it."""
    return {"alive": True, "version": __version__}
