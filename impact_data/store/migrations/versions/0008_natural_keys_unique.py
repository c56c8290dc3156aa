"""natural keys of results tables unique; an upload is replaced at most once

Revision ID: 0008_natural_keys
Revises: 0007_published_files
Create Date: 2026-12-07 17:30:00

Concurrent uploads of the same rows used to both land (the "already loaded" check ran only
before writing). These unique indexes make the database refuse the second copy:

- staff_survey_results (org_id, year, question_code, team, staff_group), a blank team or
  staff group counting as one value (coalesce to "");
- impact_self_assessments (org_id, assessment_date, component);
- visits (from_org_id, to_org_id, visit_date);
- uploads.replaces_upload_id (two people replacing one upload at once: one wins).
pdsa_projects.project_ref, pdsa_cycles (project_id, cycle_no) and pdsa_measures
(project_id, date) were unique already. Pulse and readiness respondents are anonymous and
have no natural key: a second copy of such a file is refused by (kind, sha256).

Rows already stored that break a new key (doubled by the old race) are NOT removed here:
which copy is right is a person's decision. The upgrade stops with an error naming each
clash and the uploads that hold it, and changes nothing (the whole upgrade is one
transaction). Delete or replace the later upload of each pair with the previous version of
the app (`python -m impact_data delete-upload ID`), then start again.
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_natural_keys"
down_revision = "0007_published_files"
branch_labels = None
depends_on = None

# (table, index name, key expressions, words for the message)
KEYS = [
    (
        "staff_survey_results",
        "uq_staff_survey_results_key",
        ["org_id", "year", "question_code", "coalesce(team, '')", "coalesce(staff_group, '')"],
        "organisation, year, question, team and staff group",
    ),
    (
        "impact_self_assessments",
        "uq_impact_self_assessments_key",
        ["org_id", "assessment_date", "component"],
        "organisation, assessment date and component",
    ),
    (
        "visits",
        "uq_visits_key",
        ["from_org_id", "to_org_id", "visit_date"],
        "visiting organisation, host and date",
    ),
    ("uploads", "uq_uploads_replaces", ["replaces_upload_id"], "upload replaced"),
]


class DuplicateRowsFound(RuntimeError):
    """Stored rows break a new unique key; the upgrade stops and changes nothing."""


def _clashes(bind) -> list[str]:
    found = []
    for table, _name, exprs, words in KEYS:
        key = ", ".join(exprs)
        owner = "id" if table == "uploads" else "upload_id"
        where = "WHERE replaces_upload_id IS NOT NULL" if table == "uploads" else ""
        rows = bind.execute(
            sa.text(
                f"SELECT {key}, COUNT(*) AS n, MIN({owner}) AS first, MAX({owner}) AS last "
                f"FROM {table} {where} GROUP BY {key} HAVING COUNT(*) > 1"
            )
        ).all()
        for row in rows[:10]:
            found.append(
                f"{table}: {row.n} rows with the same {words} ({', '.join(map(str, row[: len(exprs)]))}) "
                f"in uploads {row.first} and {row.last}"
            )
        if len(rows) > 10:
            found.append(f"{table}: and {len(rows) - 10} more such clashes")
    return found


def upgrade() -> None:
    bind = op.get_bind()
    clashes = _clashes(bind)
    if clashes:
        raise DuplicateRowsFound(
            "The database holds rows loaded twice (by uploads that ran at the same time); "
            "the upgrade stopped and changed nothing. Delete or replace the later upload of "
            "each pair with the previous version (python -m impact_data delete-upload ID), "
            "then start again:\n  " + "\n  ".join(clashes)
        )
    for table, name, exprs, _words in KEYS:
        op.create_index(name, table, [sa.text(e) if "(" in e else e for e in exprs], unique=True)


def downgrade() -> None:
    for table, name, _exprs, _words in reversed(KEYS):
        op.drop_index(name, table_name=table)
