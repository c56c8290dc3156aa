"""files as published: long organisation codes, instrument labels and numberings, national
question scales and directions

Revision ID: 0007_published_files
Revises: 0006_identity
Create Date: 2026-12-07 18:00:00

- organisations.org_code and column_mappings.org_code widen to 100 characters (merged CCG codes
  such as 04Y/05D/05G/05Q/05V/05W are 23). SQLite does not enforce lengths, so only other
  databases are altered.
- instruments.labels: the words of each scale point (one list per accepted label set);
  instrument_items.alias: the item's code in another published numbering. ORIC gets both
  label sets (Strongly disagree ... Strongly agree; Disagree / Somewhat disagree / Neither
  agree nor disagree / Somewhat agree / Agree) and Shea et al.'s (2014) numbering OR1-OR12,
  matched to c1-c5 / e1-e7 by statement.
- nss_values.higher_is_better; nss_question_results.answer_scale, reported_option,
  higher_is_better, favourable_pct, distribution. Rows loaded before this are agreement
  questions: they get their scale, reported option and distribution here.
"""

from alembic import op
import sqlalchemy as sa


revision = "0007_published_files"
down_revision = "0006_identity"
branch_labels = None
depends_on = None

ORIC_LABELS = [
    {
        "name": "Strongly disagree ... Strongly agree",
        "words": ["Strongly disagree", "Disagree", "Neither agree nor disagree", "Agree", "Strongly agree"],
    },
    {
        "name": "Disagree ... Somewhat agree ... Agree",
        "words": ["Disagree", "Somewhat disagree", "Neither agree nor disagree", "Somewhat agree", "Agree"],
    },
]
# Shea et al. 2014 order: OR1 invested, OR2 committed, OR3 keep track, OR4 whatever it takes,
# OR5 support people, OR6 want, OR7 momentum, OR8 challenges, OR9 determined, OR10 coordinate,
# OR11 motivated, OR12 politics.
ORIC_ALIASES = {
    "c1": "or2",
    "c2": "or9",
    "c3": "or11",
    "c4": "or4",
    "c5": "or6",
    "e1": "or1",
    "e2": "or3",
    "e3": "or5",
    "e4": "or7",
    "e5": "or8",
    "e6": "or10",
    "e7": "or12",
}


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        op.alter_column(
            "organisations", "org_code", type_=sa.String(length=100), existing_nullable=False
        )
        op.alter_column(
            "column_mappings", "org_code", type_=sa.String(length=100), existing_nullable=False
        )
    op.add_column("instruments", sa.Column("labels", sa.JSON(), nullable=True))
    op.add_column("instrument_items", sa.Column("alias", sa.String(length=40), nullable=True))
    op.add_column("nss_values", sa.Column("higher_is_better", sa.Boolean(), nullable=True))
    op.add_column("nss_question_results", sa.Column("answer_scale", sa.String(length=20), nullable=True))
    op.add_column("nss_question_results", sa.Column("reported_option", sa.String(length=200), nullable=True))
    op.add_column("nss_question_results", sa.Column("higher_is_better", sa.Boolean(), nullable=True))
    op.add_column("nss_question_results", sa.Column("favourable_pct", sa.Float(), nullable=True))
    op.add_column("nss_question_results", sa.Column("distribution", sa.JSON(), nullable=True))

    instruments = sa.table("instruments", sa.column("code", sa.String), sa.column("labels", sa.JSON))
    items = sa.table(
        "instrument_items",
        sa.column("instrument_code", sa.String),
        sa.column("item_code", sa.String),
        sa.column("alias", sa.String),
    )
    bind.execute(
        instruments.update().where(instruments.c.code == "oric").values(labels=ORIC_LABELS)
    )
    for code, alias in ORIC_ALIASES.items():
        bind.execute(
            items.update()
            .where(items.c.instrument_code == "oric", items.c.item_code == code)
            .values(alias=alias)
        )
    results = sa.table(
        "nss_question_results",
        sa.column("answer_scale", sa.String),
        sa.column("reported_option", sa.String),
    )
    bind.execute(results.update().values(answer_scale="agree", reported_option="Agree / Strongly agree"))


def downgrade() -> None:
    for column in ("distribution", "favourable_pct", "higher_is_better", "reported_option", "answer_scale"):
        with op.batch_alter_table("nss_question_results") as batch_op:
            batch_op.drop_column(column)
    with op.batch_alter_table("nss_values") as batch_op:
        batch_op.drop_column("higher_is_better")
    with op.batch_alter_table("instrument_items") as batch_op:
        batch_op.drop_column("alias")
    with op.batch_alter_table("instruments") as batch_op:
        batch_op.drop_column("labels")
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        op.alter_column("column_mappings", "org_code", type_=sa.String(length=20), existing_nullable=False)
        op.alter_column("organisations", "org_code", type_=sa.String(length=20), existing_nullable=False)
