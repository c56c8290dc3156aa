"""Connecting to the database and keeping its schema current.

`IMPACT_DATABASE_URL` picks the database; without it a SQLite file under `./.impact/` is used.
The schema is created or upgraded with Alembic the first time a `Database` is used.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, select, text, update
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.orm import Session, sessionmaker

from impact_data.store.models import DataVersion, Setting

DEFAULT_SQLITE_PATH = Path(".impact") / "impact.db"
MIGRATIONS_DIR = Path(__file__).parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 30_000

DEFAULT_SETTINGS: dict[str, object] = {
    # Groups with fewer than this many responses are suppressed (NHS trusts' rule of 11).
    "suppression_threshold": 11,
}


def database_url() -> str:
    """The configured database URL: `IMPACT_DATABASE_URL` or the default SQLite file."""
    url = os.environ.get("IMPACT_DATABASE_URL", "").strip()
    if url:
        return url
    return f"sqlite:///{DEFAULT_SQLITE_PATH}"


def _on_sqlite_connect(dbapi_connection, _record) -> None:
    # Autocommit at the driver level so SQLAlchemy's BEGIN is the only transaction control.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _on_sqlite_begin(conn: Connection) -> None:
    # Writes take the lock up front (IMMEDIATE), so two writers queue (busy_timeout) instead
    # of one failing with "database is locked" when it upgrades a read lock. Reads begin
    # deferred: in WAL mode they never wait for a writer.
    if conn.get_execution_options().get("impact_write"):
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        conn.exec_driver_sql("BEGIN")


def make_engine(url: str) -> Engine:
    """An engine for `url`, with SQLite set up for WAL, foreign keys and waiting writers."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        db_path = parsed.database
        if db_path and db_path != ":memory:":
            Path(db_path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
        )
        event.listen(engine, "connect", _on_sqlite_connect)
        event.listen(engine, "begin", _on_sqlite_begin)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


class Database:
    """One database: its engine, sessions, schema upgrades, settings and data version."""

    def __init__(self, url: str | None = None, *, migrate: bool = True) -> None:
        self.url = url or database_url()
        self.engine = make_engine(self.url)
        self._sessions = sessionmaker(
            self.engine.execution_options(impact_write=True), expire_on_commit=False
        )
        if migrate:
            self.upgrade()

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def upgrade(self) -> None:
        """Create or upgrade the schema to the latest Alembic revision."""
        from alembic import command

        with self.engine.begin() as conn:
            if self.dialect == "postgresql":
                # Several app replicas may start at once: one migrates, the others wait.
                conn.execute(text("SELECT pg_advisory_xact_lock(4242001)"))
            cfg = alembic_config(self.url)
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session in one transaction, committed on success and rolled back on error."""
        with self._sessions() as session, session.begin():
            yield session

    @contextmanager
    def read_session(self) -> Iterator[Session]:
        """A session for reading only (on SQLite it never waits for a writer)."""
        with Session(self.engine, expire_on_commit=False) as session, session.begin():
            yield session

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        """A read connection."""
        with self.engine.connect() as conn:
            yield conn

    def data_version(self) -> int:
        """The current data version; changes whenever any data is written."""
        with self.engine.connect() as conn:
            return conn.execute(select(DataVersion.version).where(DataVersion.id == 1)).scalar_one()

    def get_setting(self, key: str) -> object:
        """A setting's value, or its default."""
        with self.engine.connect() as conn:
            value = conn.execute(select(Setting.value).where(Setting.key == key)).scalar()
        return DEFAULT_SETTINGS.get(key) if value is None else value

    def set_setting(self, key: str, value: object) -> None:
        """Store a setting and bump the data version (views depend on settings)."""
        with self.session() as session:
            session.merge(Setting(key=key, value=value))
            bump_data_version(session)

    def suppression_threshold(self) -> int:
        return int(self.get_setting("suppression_threshold"))

    def dispose(self) -> None:
        self.engine.dispose()


def bump_data_version(session: Session) -> None:
    """Advance the data version inside the caller's transaction."""
    session.execute(
        update(DataVersion)
        .where(DataVersion.id == 1)
        .values(version=DataVersion.version + 1, updated_at=dt.datetime.now(dt.UTC))
    )


def alembic_config(url: str):
    """An Alembic config pointing at our migrations, for `url`."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


_default: Database | None = None
_default_lock = threading.Lock()


def get_database() -> Database:
    """The process-wide database for the configured URL (created on first use)."""
    global _default
    with _default_lock:
        if _default is None or _default.url != database_url():
            _default = Database(database_url())
        return _default
