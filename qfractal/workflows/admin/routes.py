"""Superuser routes /admin/v2/... of the workflows face."""

from fastapi import APIRouter

router = APIRouter(prefix="/admin/v2", tags=["V2 Admin area"])
