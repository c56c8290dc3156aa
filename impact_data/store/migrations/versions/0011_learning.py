"""Learning system: case studies, learning library search, ideas to projects (reserved)

Revision ID: 0011_learning
Revises: 0010_capability
Create Date: 2026-12-07 19:30:00
"""

revision = "0011_learning"
down_revision = "0010_capability"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
