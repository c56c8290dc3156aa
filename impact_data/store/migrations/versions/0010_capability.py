"""Improvement capability (reserved: filled in by the capability upload kind)

Revision ID: 0010_capability
Revises: 0009_pdsa_exposure
Create Date: 2026-12-07 19:30:00
"""

revision = "0010_capability"
down_revision = "0009_pdsa_exposure"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
