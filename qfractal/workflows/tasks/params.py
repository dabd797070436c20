"""Request parameters shared by the routes of tasks and of task collection."""

from typing import Annotated

from fastapi import Depends, Query

from qfractal.auth.dependencies import SettingsDep
from qfractal.ids import id_query
from qfractal.workflows.tasks.access import Sharing


def sharing(
    settings: SettingsDep,
    private: Annotated[
        bool, Query(description="Share with nobody (not with the default group).")
    ] = False,
    user_group_id: Annotated[
        int | None, id_query("Share with this user group instead of the default group.")
    ] = None,
) -> Sharing:
    """`?private=` and `?user_group_id=` of the routes that create task groups."""
    return Sharing(
        private=private,
        user_group_id=user_group_id,
        default_group_name=settings.default_group_name,
    )


SharingDep = Annotated[Sharing, Depends(sharing)]

FORBIDDEN = {403: {"description": "Only the owner of the task group may do this."}}
NOT_FOUND = {404: {"description": "No such object among those the user can read."}}
INVALID = {422: {"description": "Invalid request, or a business rule forbids it."}}
