"""Matching task references to readable tasks, without a database."""

import pytest

from qfractal.workflows.models import Task, TaskGroup
from qfractal.workflows.workflow.task_choice import (
    Candidate,
    Preference,
    find_by_name,
    find_by_source,
)

ME, SOMEONE = 1, 2
DEFAULT, OLD_GROUP, NEW_GROUP = 10, 20, 30
PREFERENCE = Preference(
    user_id=ME, default_group_id=DEFAULT, membership_order=[OLD_GROUP, DEFAULT, NEW_GROUP]
)


def candidate(
    task_id: int,
    version: str | None,
    *,
    owner: int = SOMEONE,
    shared_with: int | None = DEFAULT,
    pkg_name: str = "pkg",
    name: str = "t",
    source: str | None = None,
) -> Candidate:
    group = TaskGroup(
        id=task_id, user_id=owner, user_group_id=shared_with, pkg_name=pkg_name, version=version
    )
    task = Task(id=task_id, taskgroupv2_id=task_id, name=name, source=source)
    return Candidate(task=task, group=group)


def found(candidates: list[Candidate], version: str | None = None, **ref: str) -> int | None:
    ref = {"pkg_name": "pkg", "name": "t", **ref}
    task = find_by_name(candidates, PREFERENCE, version=version, **ref)
    return None if task is None else task.id


@pytest.mark.parametrize(
    ("versions", "newest"),
    [
        (["0.9.0", "0.10.0"], "0.10.0"),
        (["1.0.0rc1", "1.0.0"], "1.0.0"),
        (["1.0.0", "1.0.0.post1"], "1.0.0.post1"),
        (["2.0", "not-pep440", None], "2.0"),
        (["not-pep440", None], "not-pep440"),
        ([None], None),
    ],
)
def test_newest_version(versions: list[str | None], newest: str | None) -> None:
    candidates = [candidate(i, v) for i, v in enumerate(versions, start=1)]
    expected = versions.index(newest) + 1
    assert found(candidates) == expected


def test_given_version_and_names() -> None:
    candidates = [candidate(1, "1.0"), candidate(2, "2.0"), candidate(3, "2.0", name="other")]
    assert found(candidates, "1.0.0") == 1
    assert found(candidates, "3.0") is None
    assert found(candidates, pkg_name="PKG") == 2
    assert found(candidates, name="other") == 3
    assert found(candidates, name="missing") is None
    assert found(candidates, pkg_name="other-pkg") is None


@pytest.mark.parametrize(
    ("groups", "winner"),
    [
        ([(SOMEONE, NEW_GROUP), (SOMEONE, OLD_GROUP)], 2),  # oldest membership
        ([(SOMEONE, OLD_GROUP), (SOMEONE, DEFAULT)], 2),  # default group beats it
        ([(SOMEONE, DEFAULT), (ME, None)], 2),  # the user's own group beats all
        ([(ME, NEW_GROUP), (SOMEONE, DEFAULT)], 1),
    ],
)
def test_ties(groups: list[tuple[int, int | None]], winner: int) -> None:
    candidates = [
        candidate(i, "1.0.0", owner=owner, shared_with=group)
        for i, (owner, group) in enumerate(groups, start=1)
    ]
    assert found(candidates) == winner


def test_by_source() -> None:
    candidates = [
        candidate(1, "1.0", source="src", shared_with=NEW_GROUP),
        candidate(2, "1.0", source="src", shared_with=OLD_GROUP),
        candidate(3, "1.0", source="other"),
    ]
    assert find_by_source(candidates, PREFERENCE, source="src").id == 2
    assert find_by_source(candidates, PREFERENCE, source="missing") is None
