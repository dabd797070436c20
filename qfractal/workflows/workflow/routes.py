"""Routes of /api/v2 for workflow."""

from fastapi import APIRouter

router = APIRouter(prefix="/api/v2", tags=["V2 workflow"])
