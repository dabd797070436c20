"""quantum programs: forms made by earlier runs (the transpilation cache)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25 22:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

def upgrade() -> None:
    op.create_table(
        "quantum_program_form",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("program_id", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=32), nullable=False),
        sa.Column("converters", sa.String(length=64), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("data", sa.LargeBinary(), nullable=True),
        sa.Column("steps", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "language IN ('QASM2', 'QASM3', 'QRISP', 'BRAKET', 'QISKIT', 'PYTHON', 'QUIL', "
            "'QRISP-PYTHON', 'BRAKET-PYTHON', 'QISKIT-PYTHON', 'PYTHON-PYTHON', 'QUIL-PYTHON')",
            name=op.f("ck_quantum_program_form_language"),
        ),
        sa.ForeignKeyConstraint(
            ["program_id"],
            ["quantum_program.id"],
            name=op.f("fk_quantum_program_form_program_id_quantum_program"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quantum_program_form")),
        sa.UniqueConstraint(
            "program_id", "language", name="uq_quantum_program_form_language"
        ),
    )


def downgrade() -> None:
    op.drop_table("quantum_program_form")
