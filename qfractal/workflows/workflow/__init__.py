"""Workflows: ordered workflow tasks, with import/export and type-filter flow."""
