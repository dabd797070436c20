"""Helpers of the mock tasks: fake OME-Zarr folders and image-list entries."""

import json
from pathlib import Path
from typing import Any


def make_fake_zarr(zarr_url: str, *, is_3d: bool = True) -> None:
    """Create a folder that looks like an OME-Zarr image (metadata only, no pixels)."""
    folder = Path(zarr_url)
    folder.mkdir(parents=True, exist_ok=True)
    axes = [{"name": name, "type": "space"} for name in ("z", "y", "x")[0 if is_3d else 1 :]]
    attrs = {
        "multiscales": [
            {"version": "0.4", "name": folder.name, "axes": axes, "datasets": [{"path": "0"}]}
        ]
    }
    (folder / ".zgroup").write_text(json.dumps({"zarr_format": 2}))
    (folder / ".zattrs").write_text(json.dumps(attrs, indent=2))


def image(
    zarr_url: str,
    *,
    origin: str | None = None,
    attributes: dict[str, Any] | None = None,
    types: dict[str, bool] | None = None,
) -> dict[str, Any]:
    """One entry of `image_list_updates`."""
    entry: dict[str, Any] = {"zarr_url": zarr_url}
    if origin is not None:
        entry["origin"] = origin
    if attributes is not None:
        entry["attributes"] = attributes
    if types is not None:
        entry["types"] = types
    return entry


def under(zarr_dir: str, *parts: str) -> str:
    """A path inside `zarr_dir`."""
    return "/".join([zarr_dir.rstrip("/"), *parts])
