"""Providers and their devices: the standard catalog, seeding, listing, status and
calibration (routes `/quantum/provider/` and `/quantum/devices/`)."""
