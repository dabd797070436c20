"""Bodies of the /admin/v2 routes of the workflows face."""

from datetime import datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict

from qfractal.ids import DbId
from qfractal.workflows.pagination import PageInfo
from qfractal.workflows.tasks.schemas import TaskGroupRead


class AccountingQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user_id: DbId | None = None
    timestamp_min: AwareDatetime | None = None
    timestamp_max: AwareDatetime | None = None


class AccountingRecordRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    user_id: int
    timestamp: datetime
    num_tasks: int
    num_new_images: int


class AccountingPage(PageInfo):
    items: list[AccountingRecordRead]


class ProjectUser(BaseModel):
    id: int
    email: str


class TaskRelationship(BaseModel):
    workflow_id: int
    workflow_name: str
    project_id: int
    project_name: str
    project_users: list[ProjectUser]


class TaskMinimal(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    type: str
    taskgroupv2_id: int
    command_non_parallel: str | None = None
    command_parallel: str | None = None
    source: str | None = None
    version: str | None = None


class TaskInfo(BaseModel):
    task: TaskMinimal
    relationships: list[TaskRelationship]


class TaskInfoPage(PageInfo):
    items: list[TaskInfo]


class TaskGroupReadSuperuser(TaskGroupRead):
    resource_id: int
