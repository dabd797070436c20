"""Bodies of the /admin/v2 routes of the workflows face."""

from datetime import datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict

from qfractal.ids import DbId
from qfractal.workflows.pagination import PageInfo


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
