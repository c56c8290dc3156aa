"""Improvement capability: people trained per level, and staff numbers per organisation

Revision ID: 0010_capability
Revises: 0009_pdsa_exposure
Create Date: 2026-12-07 19:30:00

- capability: the number of people trained or developed to one capability level (awareness,
  foundation, practitioner, coach, expert by default; admins rename the levels, stored as a
  setting) in an organisation, optionally a team and staff group, as at a date. Its natural
  key (organisation, team, staff group, level, date) is unique, a blank team or staff group
  counting as one value (coalesce to ""), as in 0008.
- organisations.staff_count: the organisation's staff headcount (optional), for people
  trained per 1,000 staff.
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_capability"
down_revision = "0009_pdsa_exposure"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("staff_count", sa.Integer(), nullable=True))

    op.create_table(
        "capability",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("upload_id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("team", sa.String(length=200), nullable=True),
        sa.Column("staff_group", sa.String(length=200), nullable=True),
        sa.Column("level", sa.SmallInteger(), nullable=False),
        sa.Column("people", sa.Integer(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.CheckConstraint("people >= 0", name=op.f("ck_capability_people_not_negative")),
        sa.CheckConstraint("level >= 1", name=op.f("ck_capability_level_positive")),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisations.id"], name=op.f("fk_capability_org_id_organisations")
        ),
        sa.ForeignKeyConstraint(
            ["upload_id"],
            ["uploads.id"],
            name=op.f("fk_capability_upload_id_uploads"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_capability")),
    )
    with op.batch_alter_table("capability", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_capability_org_id"), ["org_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_capability_upload_id"), ["upload_id"], unique=False)
    op.create_index(
        "uq_capability_key",
        "capability",
        [
            "org_id",
            sa.text("coalesce(team, '')"),
            sa.text("coalesce(staff_group, '')"),
            "level",
            "as_of",
        ],
        unique=True,
    )


def downgrade() -> None:
    op.drop_index("uq_capability_key", table_name="capability")
    with op.batch_alter_table("capability", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_capability_upload_id"))
        batch_op.drop_index(batch_op.f("ix_capability_org_id"))
    op.drop_table("capability")
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.drop_column("staff_count")
