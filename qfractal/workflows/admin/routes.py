"""Superuser routes /admin/v2/... of the workflows face."""

from fastapi import APIRouter

from qfractal.auth.dependencies import Superuser
from qfractal.db.session import SessionDep
from qfractal.workflows import accounting
from qfractal.workflows.admin.schemas import AccountingPage, AccountingQuery, AccountingRecordRead
from qfractal.workflows.pagination import PageDep, PageInfo

router = APIRouter(prefix="/admin/v2", tags=["V2 Admin area"])


@router.post("/accounting/", response_model=AccountingPage)
async def query_accounting(
    query: AccountingQuery, page: PageDep, _admin: Superuser, session: SessionDep
) -> AccountingPage:
    """Accounting records (one per workflow task run), filtered by user and time, paginated."""
    total, records = await accounting.list_records(session, query=query, page=page)
    return AccountingPage(
        **PageInfo.of(page, total).model_dump(),
        items=[AccountingRecordRead.model_validate(r) for r in records],
    )


@router.post("/accounting/slurm/", response_model=list[int])
async def query_accounting_slurm(
    query: AccountingQuery, _admin: Superuser, session: SessionDep
) -> list[int]:
    """The SLURM job ids of every matching submission, as one flat list."""
    return await accounting.slurm_job_ids(session, query=query)
