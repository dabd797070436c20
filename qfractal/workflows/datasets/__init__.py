"""Datasets: a zarr_dir and the images under it."""
