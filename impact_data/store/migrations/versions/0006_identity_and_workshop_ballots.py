"""identity by issuer + subject; workshop ballots per device and a minimum before results

Revision ID: 0006_identity
Revises: 0005
Create Date: 2026-12-07 17:00:00

Users: `issuer` and `subject` (unique together) are who someone is; `email` becomes optional
(only a verified or invited address is kept). Workshop participants: `device` (a hash of the
browser's device id, unique per session), so a rejoin from the same browser keeps its ballot.
Workshop sessions: `min_answers`, the number of people who must answer before results show.
"""

from alembic import op
import sqlalchemy as sa


revision = "0006_identity"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("issuer", sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column("subject", sa.String(length=255), nullable=True))
        batch_op.alter_column("email", existing_type=sa.String(length=320), nullable=True)
        batch_op.create_unique_constraint(batch_op.f("uq_users_issuer"), ["issuer", "subject"])

    with op.batch_alter_table("workshop_participants", schema=None) as batch_op:
        batch_op.add_column(sa.Column("device", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f("uq_workshop_participants_session_id"), ["session_id", "device"]
        )

    with op.batch_alter_table("workshop_sessions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("min_answers", sa.SmallInteger(), server_default="3", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("workshop_sessions", schema=None) as batch_op:
        batch_op.drop_column("min_answers")

    with op.batch_alter_table("workshop_participants", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_workshop_participants_session_id"), type_="unique")
        batch_op.drop_column("device")

    # Users known only by issuer + subject have no address to keep.
    op.execute("DELETE FROM users WHERE email IS NULL")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_users_issuer"), type_="unique")
        batch_op.alter_column("email", existing_type=sa.String(length=320), nullable=False)
        batch_op.drop_column("subject")
        batch_op.drop_column("issuer")
