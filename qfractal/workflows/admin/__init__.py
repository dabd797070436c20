"""Superuser routes of the workflows face (/admin/v2)."""
