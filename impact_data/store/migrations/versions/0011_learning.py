"""Learning system: case studies, learning library search, ideas to projects

Revision ID: 0011_learning
Revises: 0010_capability
Create Date: 2026-12-07 19:30:00

Case studies (a draft private to its organisation, or published to everyone); the learning
library's searchable items (search_documents) with the database's own full-text index over
them: on SQLite an FTS5 table kept in step with search_documents by triggers, on PostgreSQL a
GIN index on the text's tsvector; and the workshop idea a PDSA project came from. Existing
projects, cycles and learning visits are indexed here, so a database upgraded with data in it
can be searched at once.
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_learning"
down_revision = "0010_capability"
branch_labels = None
depends_on = None

ORG_CODE = sa.String(length=100).with_variant(sa.String(length=20), "sqlite")

# Kept equal to impact_data.learning.library's query expression, which this index serves.
TSV_EXPRESSION = "to_tsvector('english', coalesce(title, '') || ' ' || coalesce(body, ''))"


def upgrade() -> None:
    op.create_table(
        "case_studies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_code", ORG_CODE, nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=True),
        sa.Column("project_ref", sa.String(length=100), nullable=True),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("problem", sa.Text(), nullable=True),
        sa.Column("aim", sa.Text(), nullable=True),
        sa.Column("who_involved", sa.Text(), nullable=True),
        sa.Column("lived_experience", sa.Text(), nullable=True),
        sa.Column("changes_tested", sa.Text(), nullable=True),
        sa.Column("learning", sa.Text(), nullable=True),
        sa.Column("contact", sa.String(length=300), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("change_point", sa.Date(), nullable=True),
        sa.Column("created_by", sa.String(length=320), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=320), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["pdsa_projects.id"],
            name=op.f("fk_case_studies_project_id_pdsa_projects"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_studies")),
    )
    with op.batch_alter_table("case_studies", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_studies_org_code"), ["org_code"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_case_studies_project_id"), ["project_id"], unique=False
        )

    op.create_table(
        "search_documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("upload_id", sa.Integer(), nullable=True),
        sa.Column("case_study_id", sa.Integer(), nullable=True),
        sa.Column("idea_id", sa.Integer(), nullable=True),
        sa.Column("org_code", ORG_CODE, nullable=True),
        sa.Column("detail", sa.Boolean(), nullable=False),
        sa.Column("draft", sa.Boolean(), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("theme", sa.String(length=300), nullable=True),
        sa.Column("outcome", sa.String(length=20), nullable=True),
        sa.Column("doc_date", sa.Date(), nullable=True),
        sa.Column("ref", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["upload_id"],
            ["uploads.id"],
            name=op.f("fk_search_documents_upload_id_uploads"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["case_study_id"],
            ["case_studies.id"],
            name=op.f("fk_search_documents_case_study_id_case_studies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["idea_id"],
            ["workshop_ideas.id"],
            name=op.f("fk_search_documents_idea_id_workshop_ideas"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_documents")),
        sa.UniqueConstraint("source", "source_id", name=op.f("uq_search_documents_source")),
    )
    with op.batch_alter_table("search_documents", schema=None) as batch_op:
        for col in ("upload_id", "case_study_id", "idea_id"):
            batch_op.create_index(batch_op.f(f"ix_search_documents_{col}"), [col], unique=False)

    bind = op.get_bind()
    # A plain ADD COLUMN (no batch mode: recreating pdsa_projects on SQLite would drop a
    # table the cycles and measures refer to), and no foreign key: a workshop can be deleted
    # while its idea lives on as a project.
    op.add_column("pdsa_projects", sa.Column("source_idea_id", sa.Integer(), nullable=True))

    if bind.dialect.name == "sqlite":
        op.execute(
            "CREATE VIRTUAL TABLE search_fts USING fts5(title, body, content='search_documents', "
            "content_rowid='id', tokenize='porter unicode61')"
        )
        op.execute(
            "CREATE TRIGGER search_fts_insert AFTER INSERT ON search_documents BEGIN "
            "INSERT INTO search_fts(rowid, title, body) VALUES (new.id, new.title, new.body); END"
        )
        op.execute(
            "CREATE TRIGGER search_fts_delete AFTER DELETE ON search_documents BEGIN "
            "INSERT INTO search_fts(search_fts, rowid, title, body) "
            "VALUES ('delete', old.id, old.title, old.body); END"
        )
        op.execute(
            "CREATE TRIGGER search_fts_update AFTER UPDATE ON search_documents BEGIN "
            "INSERT INTO search_fts(search_fts, rowid, title, body) "
            "VALUES ('delete', old.id, old.title, old.body); "
            "INSERT INTO search_fts(rowid, title, body) VALUES (new.id, new.title, new.body); END"
        )
    else:
        op.execute(
            f"CREATE INDEX ix_search_documents_tsv ON search_documents USING gin ({TSV_EXPRESSION})"
        )

    from impact_data.learning.library import rebuild_search_index

    rebuild_search_index(bind)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for trigger in ("search_fts_insert", "search_fts_delete", "search_fts_update"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS search_fts")
    else:
        op.execute("DROP INDEX IF EXISTS ix_search_documents_tsv")
    with op.batch_alter_table("pdsa_projects", schema=None) as batch_op:
        batch_op.drop_column("source_idea_id")
    op.drop_table("search_documents")
    op.drop_table("case_studies")
