"""Pure rules: PEP 440 ordering of versions and the choice among equal versions."""

from dataclasses import dataclass

from qfractal.workflows.tasks.ordering import by_version, newest_first, preferred


@dataclass
class Group:
    version: str | None
    user_id: int = 1
    user_group_id: int | None = None


def test_newest_first_in_pep440_order() -> None:
    given = ["0.9.0", None, "abc", "0.10.0", "1.0", "1.0.0a1", "zzz", "0.10.0.post1"]
    ordered = [g.version for g in newest_first(Group(v) for v in given)]
    assert ordered == ["1.0", "1.0.0a1", "0.10.0.post1", "0.10.0", "0.9.0", "zzz", "abc", None]


def test_equal_versions_with_different_spelling_stay_apart() -> None:
    runs = by_version(newest_first([Group("1.0"), Group("1.0.0"), Group("1.0")]))
    assert sorted(len(run) for run in runs) == [1, 2]


def test_preferred() -> None:
    own = Group("1", user_id=7, user_group_id=None)
    default = Group("1", user_id=2, user_group_id=10)
    old_team = Group("1", user_id=3, user_group_id=20)
    new_team = Group("1", user_id=4, user_group_id=30)
    order = [10, 30, 20]  # memberships, oldest first
    pick = lambda *groups: preferred(  # noqa: E731
        groups, user_id=7, default_group_id=10, membership_order=order
    )
    assert pick(default, own, new_team) is own
    assert pick(new_team, default) is default
    assert pick(old_team, new_team) is new_team
