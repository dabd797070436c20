"""Pure rules for ordering task-group versions and choosing among equal ones."""

from collections.abc import Iterable, Sequence
from itertools import groupby
from typing import Protocol, TypeVar

from packaging.version import InvalidVersion, Version


class Versioned(Protocol):
    @property
    def version(self) -> str | None: ...


class Owned(Protocol):
    @property
    def user_id(self) -> int: ...

    @property
    def user_group_id(self) -> int | None: ...


V = TypeVar("V", bound=Versioned)
G = TypeVar("G", bound=Owned)


def version_key(version: str | None) -> tuple[int, Version | str]:
    """Ascending key: PEP 440 versions above other strings, which are above no version."""
    if version is None:
        return (0, "")
    try:
        return (2, Version(version))
    except InvalidVersion:
        return (1, version)


def newest_first(items: Iterable[V]) -> list[V]:
    """PEP 440 versions newest first (0.10.0 before 0.9.0), then other versions, then None."""
    return sorted(
        items, key=lambda item: (version_key(item.version), item.version or ""), reverse=True
    )


def by_version(items: Sequence[V]) -> list[list[V]]:
    """Split a newest-first list into runs of the same version string."""
    return [list(run) for _, run in groupby(items, key=lambda item: item.version)]


def preferred(
    candidates: Sequence[G],
    *,
    user_id: int,
    default_group_id: int | None,
    membership_order: Sequence[int],
) -> G:
    """Among groups of one package version: the user's own, else the default group's, else
    the one shared through the user's oldest membership (`membership_order`: group ids,
    oldest first)."""
    for candidate in candidates:
        if candidate.user_id == user_id:
            return candidate
    for candidate in candidates:
        if default_group_id is not None and candidate.user_group_id == default_group_id:
            return candidate
    rank = {group_id: index for index, group_id in enumerate(membership_order)}
    return min(candidates, key=lambda c: rank.get(c.user_group_id or -1, len(rank)))
