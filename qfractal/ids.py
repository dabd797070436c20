"""Types for database IDs in paths, queries and bodies.

IDs are 32-bit integers on every database; larger (or negative) values are refused with
422 naming the parameter, instead of overflowing in the database (a 500 in the reference).
"""

from typing import Annotated

from fastapi import Path, Query
from pydantic import Field

MAX_ID = 2**31 - 1

DbId = Annotated[int, Field(ge=0, le=MAX_ID)]
"""An ID inside a request body."""


def id_path(description: str) -> object:
    return Path(ge=0, le=MAX_ID, description=description)


def id_query(description: str) -> object:
    return Query(ge=0, le=MAX_ID, description=description)


UserId = Annotated[int, id_path("ID of a user")]
GroupId = Annotated[int, id_path("ID of a user group")]
ResourceId = Annotated[int, id_path("ID of a compute resource")]
ProfileId = Annotated[int, id_path("ID of a profile")]
ProjectId = Annotated[int, id_path("ID of a project")]
DatasetId = Annotated[int, id_path("ID of a dataset")]
WorkflowId = Annotated[int, id_path("ID of a workflow")]
WorkflowTaskId = Annotated[int, id_path("ID of a workflow task")]
TaskId = Annotated[int, id_path("ID of a task")]
TaskGroupId = Annotated[int, id_path("ID of a task group")]
ActivityId = Annotated[int, id_path("ID of a task-group activity")]
JobId = Annotated[int, id_path("ID of a job")]
HistoryRunId = Annotated[int, id_path("ID of a history run (one workflow task in one job)")]
HistoryUnitId = Annotated[int, id_path("ID of a history unit (one task call of a run)")]
