"""Alembic environment: runs migrations on the connection the app hands over."""

from alembic import context
from sqlalchemy import create_engine

from impact_data.store.models import Base, in_schema_comparison

config = context.config
target_metadata = Base.metadata


def run_migrations() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        # Plain `alembic` command-line use: connect to the configured URL ourselves.
        engine = create_engine(config.get_main_option("sqlalchemy.url"))
        with engine.begin() as conn:
            _run(conn)
        return
    _run(connection)


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        # The full-text index (FTS5 table on SQLite, GIN index on PostgreSQL) is made by
        # migration 0011 outside the models: autogenerate leaves it alone.
        include_name=in_schema_comparison,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
