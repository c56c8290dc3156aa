"""culture measure versions

Revision ID: 0002
Revises: 0001
"""

import datetime as dt

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


# The default measure as shipped (a copy, so later code changes never alter this migration).
DEFAULT = {
    "name": "Improvement culture",
    "description": "Default measure built on the NHS Staff Survey questions most tied to improvement "
    "culture. Edit it on the Settings page to agree your own.",
    "dimensions": [
        {
            "name": "Voice and involvement",
            "weight": 1.0,
            "questions": [
                {
                    "code": "q3c",
                    "text": "There are frequent opportunities for me to show "
                    "initiative in my role.",
                    "weight": 1.0,
                    "higher_is_better": True,
                },
                {
                    "code": "q3d",
                    "text": "I am able to make suggestions to improve the work of my "
                    "team / department.",
                    "weight": 1.0,
                    "higher_is_better": True,
                },
                {
                    "code": "q3e",
                    "text": "I am involved in deciding on changes introduced that "
                    "affect my work area.",
                    "weight": 1.0,
                    "higher_is_better": True,
                },
                {
                    "code": "q3f",
                    "text": "I am able to make improvements happen in my area of work.",
                    "weight": 1.0,
                    "higher_is_better": True,
                },
            ],
        },
        {
            "name": "Compassionate leadership",
            "weight": 1.0,
            "questions": [
                {
                    "code": "q9f",
                    "text": "My immediate manager works together with me to come to an "
                    "understanding of problems.",
                    "weight": 1.0,
                    "higher_is_better": True,
                },
                {
                    "code": "q9g",
                    "text": "My immediate manager is interested in listening to me "
                    "when I describe challenges I face.",
                    "weight": 1.0,
                    "higher_is_better": True,
                },
                {
                    "code": "q9h",
                    "text": "My immediate manager cares about my concerns.",
                    "weight": 1.0,
                    "higher_is_better": True,
                },
                {
                    "code": "q9i",
                    "text": "My immediate manager takes effective action to help me "
                    "with any problems I face.",
                    "weight": 1.0,
                    "higher_is_better": True,
                },
            ],
        },
        {
            "name": "Team working",
            "weight": 1.0,
            "questions": [
                {
                    "code": "q7a",
                    "text": "The team I work in has a set of shared objectives.",
                    "weight": 1.0,
                    "higher_is_better": True,
                },
                {
                    "code": "q7b",
                    "text": "The team I work in often meets to discuss the team's effectiveness.",
                    "weight": 1.0,
                    "higher_is_better": True,
                },
            ],
        },
    ],
}


def upgrade() -> None:
    table = op.create_table(
        "culture_measure_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("measure_name", sa.String(length=200), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_culture_measure_versions")),
        sa.UniqueConstraint(
            "measure_name", "version", name=op.f("uq_culture_measure_versions_measure_name")
        ),
    )
    op.bulk_insert(
        table,
        [
            {
                "measure_name": DEFAULT["name"],
                "version": 1,
                "definition": DEFAULT,
                "note": "Default measure shipped with the dashboard: NHS Staff Survey "
                "improvement-culture questions.",
                "created_by": "IMPACT dashboard",
                "created_at": dt.datetime.now(dt.UTC),
            }
        ],
    )


def downgrade() -> None:
    op.drop_table("culture_measure_versions")
