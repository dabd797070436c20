"""quantum jobs: the observables of ESTIMATOR jobs

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 15:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import qfractal.db.types

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("quantum_job", schema=None) as batch_op:
        batch_op.add_column(sa.Column("observables", qfractal.db.types.JSONType(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("quantum_job", schema=None) as batch_op:
        batch_op.drop_column("observables")
