"""Pulse respondents refer to their upload and organisation through one foreign key

Revision ID: 0012_pulse_upload_orgs
Revises: 0011_learning
Create Date: 2026-12-08 02:40:00

A foreign key is checked row by row: on PostgreSQL a query per inserted row and key. A pulse
file is 100,000 respondents, and its two keys (upload, organisation) cost more than writing
the rows. pulse_upload_orgs holds the (upload, organisation) pairs of each pulse upload and
refers to both; each respondent's row refers to its pair, so a row is checked once and the
database still refuses a row of an unknown upload or organisation, and the deletion of an
upload or organisation that respondents refer to. Existing pairs are filled in here.
"""

import sqlalchemy as sa
from alembic import op

revision = "0012_pulse_upload_orgs"
down_revision = "0011_learning"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pulse_upload_orgs",
        sa.Column("upload_id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organisations.id"],
            name=op.f("fk_pulse_upload_orgs_org_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["upload_id"],
            ["uploads.id"],
            name=op.f("fk_pulse_upload_orgs_upload_id_uploads"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("upload_id", "org_id", name=op.f("pk_pulse_upload_orgs")),
    )
    op.execute(
        "INSERT INTO pulse_upload_orgs (upload_id, org_id) "
        "SELECT DISTINCT upload_id, org_id FROM pulse_respondents"
    )
    with op.batch_alter_table("pulse_respondents", schema=None) as batch_op:
        batch_op.drop_constraint("fk_pulse_respondents_org_id_organisations", type_="foreignkey")
        batch_op.drop_constraint("fk_pulse_respondents_upload_id_uploads", type_="foreignkey")
        batch_op.create_foreign_key(
            batch_op.f("fk_pulse_respondents_upload_id_pulse_upload_orgs"),
            "pulse_upload_orgs",
            ["upload_id", "org_id"],
            ["upload_id", "org_id"],
            ondelete="RESTRICT",
        )


def downgrade() -> None:
    with op.batch_alter_table("pulse_respondents", schema=None) as batch_op:
        batch_op.drop_constraint(
            "fk_pulse_respondents_upload_id_pulse_upload_orgs", type_="foreignkey"
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_pulse_respondents_upload_id_uploads"),
            "uploads",
            ["upload_id"],
            ["id"],
            ondelete="RESTRICT",
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_pulse_respondents_org_id_organisations"),
            "organisations",
            ["org_id"],
            ["id"],
        )
    op.drop_table("pulse_upload_orgs")
