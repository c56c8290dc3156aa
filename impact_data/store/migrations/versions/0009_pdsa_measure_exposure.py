"""PDSA measures: an optional exposure (bed days, patient days, opportunities) per value

Revision ID: 0009_pdsa_exposure
Revises: 0008_natural_keys
Create Date: 2026-12-07 18:30:00

A count per exposure (infections per 10,000 bed days) is drawn as a u-chart: it needs the
exposure behind each value. The column is nullable: earlier rows have none.
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_pdsa_exposure"
down_revision = "0008_natural_keys"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("pdsa_measures", schema=None) as batch_op:
        batch_op.add_column(sa.Column("exposure", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("pdsa_measures", schema=None) as batch_op:
        batch_op.drop_column("exposure")
