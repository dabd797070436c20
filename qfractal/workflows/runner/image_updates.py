"""What a task's output does to the dataset's images (fractal-server 2.17, §2.4 steps 5-6).

Given the merged output of a task's successful units:

* no updates and no removals: every input image counts as updated (with nothing to
  change but the task's output types, which are then set on it);
* an update of an existing image whose `origin` is null or itself keeps the image's
  attributes and types, sets the new attributes (`None` unsets a key), sets the returned
  types, then the task's output types (they win);
* an update of an existing image with another `origin` rebuilds it from that origin's
  attributes and types (none if the origin is unknown), then applies the update as above;
* an update of an unknown image creates it: it must be strictly under the dataset's
  `zarr_dir`; it starts from its origin's attributes and types (if the origin exists),
  then the update applies as above;
* removals come after all updates; removing an unknown image is an error.

Updates apply in order: an origin created or changed by an earlier update of the same
output is seen as it is then. Errors are JobExecutionErrors: nothing is saved.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from qfractal.workflows.images.schemas import SingleImage, is_strictly_under
from qfractal.workflows.runner.errors import JobExecutionError
from qfractal.workflows.runner.task_output import ImageUpdate, TaskOutput


class ImageRecord(Protocol):
    """An image as the runner reads it: a `SingleImage`, or an `Image` row."""

    @property
    def zarr_url(self) -> str: ...

    @property
    def origin(self) -> str | None: ...

    @property
    def attributes(self) -> Mapping[str, Any]: ...

    @property
    def types(self) -> Mapping[str, bool]: ...


@dataclass(frozen=True)
class ImageChanges:
    """The changes to write: only images whose content really changes are `updated`."""

    updated: list[SingleImage] = field(default_factory=list)
    """Existing images, as they are now, in the order of the updates."""
    added: list[SingleImage] = field(default_factory=list)
    """New images, in the order of the updates."""
    removed: list[str] = field(default_factory=list)

    @property
    def num_new_images(self) -> int:
        return len(self.added)


def effective_updates(output: TaskOutput, input_zarr_urls: Sequence[str]) -> list[ImageUpdate]:
    """The output's updates; if it neither updates nor removes an image, an empty update
    of every input image (so that the task's output types are set on them)."""
    if output.image_list_updates or output.image_list_removals:
        return output.image_list_updates
    return [ImageUpdate(zarr_url=zarr_url) for zarr_url in input_zarr_urls]


def zarr_urls_to_load(output: TaskOutput, *, input_zarr_urls: Sequence[str]) -> set[str]:
    """The images `apply_task_output` must be given, if the dataset has them: the inputs,
    and every image the output updates, removes or names as an origin."""
    wanted = set(input_zarr_urls) | set(output.image_list_removals)
    for update in output.image_list_updates:
        wanted.add(update.zarr_url)
        if update.origin is not None:
            wanted.add(update.origin)
    return wanted


def _same(left: Mapping[str, Any], right: Mapping[str, Any]) -> bool:
    """Equal as JSON: `1`, `1.0` and `true` all differ (Python finds them equal)."""
    return left.keys() == right.keys() and all(
        type(value) is type(right[key]) and value == right[key] for key, value in left.items()
    )


def _unchanged(new: SingleImage, old: ImageRecord) -> bool:
    return (
        new.origin == old.origin
        and _same(new.attributes, old.attributes)
        and _same(new.types, old.types)
    )


def _outside_zarr_dir(zarr_url: str, zarr_dir: str) -> JobExecutionError:
    return JobExecutionError(
        "Cannot create an image whose zarr_url is not inside the dataset's zarr_dir.\n"
        f"zarr_dir: {zarr_dir}\nzarr_url: {zarr_url}"
    )


def _build(
    update: ImageUpdate,
    *,
    origin: str | None,
    base: ImageRecord | None,
    output_types: Mapping[str, bool],
) -> SingleImage:
    """`base`'s attributes and types with the update's, then the task's output types."""
    attributes: dict[str, Any] = dict(base.attributes) if base else {}
    attributes.update(update.attributes)
    return SingleImage(
        zarr_url=update.zarr_url,
        origin=origin,
        attributes={key: value for key, value in attributes.items() if value is not None},
        types={**(base.types if base else {}), **update.types, **output_types},
    )


def apply_task_output(
    output: TaskOutput | None,
    *,
    images: Mapping[str, ImageRecord],
    input_zarr_urls: Sequence[str],
    output_types: Mapping[str, bool],
    zarr_dir: str,
) -> ImageChanges:
    """The image-list changes that `output` makes.

    Args:
        output: the merged output of the task's successful units; `None` if no unit
            succeeded (then nothing changes, not even the inputs' types).
        images: zarr_url → image, holding at least the images of `zarr_urls_to_load`.
        input_zarr_urls: the images the task was given (none for a converter).
        output_types: the task's output types (from its manifest).
        zarr_dir: the dataset's folder, under which new images must be.

    Raises JobExecutionError for a new image outside `zarr_dir` or the removal of an
    unknown image.
    """
    if output is None:
        return ImageChanges()
    missing_inputs = [url for url in input_zarr_urls if url not in images]
    if missing_inputs:
        raise ValueError(f"input images missing from `images`: {missing_inputs[:5]}")
    changed: dict[str, SingleImage] = {}
    added: list[str] = []

    def lookup(zarr_url: str | None) -> ImageRecord | None:
        if zarr_url in changed:
            return changed[zarr_url]
        return None if zarr_url is None else images.get(zarr_url)

    for update in effective_updates(output, input_zarr_urls):
        existing = lookup(update.zarr_url)
        if existing is None:
            if not is_strictly_under(update.zarr_url, zarr_dir):
                raise _outside_zarr_dir(update.zarr_url, zarr_dir)
            added.append(update.zarr_url)
            origin, base = update.origin, lookup(update.origin)
        elif update.origin in (None, update.zarr_url):
            origin, base = existing.origin, existing
        else:
            origin, base = update.origin, lookup(update.origin)
        changed[update.zarr_url] = _build(
            update, origin=origin, base=base, output_types=output_types
        )
    for zarr_url in output.image_list_removals:
        if lookup(zarr_url) is None:
            raise JobExecutionError(f"Cannot remove missing image (zarr_url={zarr_url}).")
    new = set(added)
    return ImageChanges(
        updated=[
            image
            for url, image in changed.items()
            if url not in new and not _unchanged(image, images[url])
        ],
        added=[changed[url] for url in added],
        removed=list(output.image_list_removals),
    )
