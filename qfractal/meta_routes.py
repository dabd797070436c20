"""/api/alive/ (public) and /api/settings/... (superusers)."""

from typing import Any

from fastapi import APIRouter

from qfractal import __version__
from qfractal.auth.dependencies import SettingsDep, Superuser

router = APIRouter(prefix="/api", tags=["Meta"])


@router.get("/alive/")
async def alive() -> dict[str, object]:
    """Public liveness probe; fractal-client reads `version` from it."""
    return {"alive": True, "version": __version__}


@router.get("/settings/app/")
async def app_settings(_admin: Superuser, settings: SettingsDep) -> dict[str, Any]:
    """The server's settings; secrets are masked and the database is under `database/`."""
    return settings.model_dump(mode="json", exclude={"database_url"})


@router.get("/settings/database/")
async def database_settings(_admin: Superuser, settings: SettingsDep) -> dict[str, Any]:
    """Which database the server uses (password masked)."""
    url = settings.safe_database_url
    return {"engine": url.split(":", 1)[0].split("+", 1)[0], "url": url}


@router.get("/settings/email/")
async def email_settings(_admin: Superuser) -> dict[str, Any]:
    """qfractal sends no e-mail (fractal-server can notify on job end)."""
    return {"enabled": False}


@router.get("/settings/data/")
async def data_settings(_admin: Superuser, settings: SettingsDep) -> dict[str, Any]:
    """How /auth/current-user/allowed-viewer-paths/ is computed."""
    return {
        "FRACTAL_DATA_AUTH_SCHEME": settings.data_auth_scheme,
        "FRACTAL_DATA_BASE_FOLDER": settings.data_base_folder,
    }


@router.get("/settings/oauth/")
async def oauth_settings(_admin: Superuser) -> dict[str, Any]:
    """No OAuth/OIDC client is configured (login is by e-mail and password)."""
    return {"clients": []}
