"""Backup and restore (impact_data/backup.py and the CLI): every table survives a round trip on
SQLite, on PostgreSQL and across them; a backup is one snapshot; a restore is all or nothing."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import threading
import uuid
import zipfile
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import create_engine, func, select, text

from benchmarks.replicas import postgres_problem
from impact_data.access import Viewer
from impact_data.backup import (
    BACKUP_FORMAT,
    BackupError,
    RestoreRefused,
    is_empty,
    read_backup_info,
    restore_backup,
    table_rows,
    write_backup,
)
from impact_data.cli import EXIT_FAILED, EXIT_INVALID, EXIT_OK, main
from impact_data.demo import SAMPLE_DIR
from impact_data.ingest.uploads import load_file
from impact_data.measures.queries import status
from impact_data.store.db import Database, alembic_config
from impact_data.store.models import AuditEvent, Setting, Upload, User, WorkshopSession
from impact_data.workshop import create_session, join, submit_answers
from tests.conftest import POSTGRES_URL

LOCAL = Viewer.local()
PG_PROBLEM = postgres_problem()
SIGNED_IN = dt.datetime(2026, 3, 29, 0, 30, 15, 123456, tzinfo=dt.UTC)  # the night clocks change


# ---------------------------------------------------------------------------------------------
# Databases


class Databases:
    """Fresh, empty databases on demand (SQLite files, PostgreSQL schemas), cleaned up after."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.opened: list[Database] = []
        self.schemas: list[str] = []

    def new(self, dialect: str) -> Database:
        if dialect == "sqlite":
            db = Database(f"sqlite:///{self.tmp_path / f'{uuid.uuid4().hex[:8]}.db'}")
        else:
            if PG_PROBLEM:
                if os.environ.get("CI"):
                    pytest.fail(f"PostgreSQL is required in CI but not reachable: {PG_PROBLEM}")
                pytest.skip(f"PostgreSQL not reachable: {PG_PROBLEM}")
            schema = f"t_{uuid.uuid4().hex[:12]}"
            admin = create_engine(POSTGRES_URL)
            with admin.begin() as conn:
                conn.execute(text(f'CREATE SCHEMA "{schema}"'))
            admin.dispose()
            self.schemas.append(schema)
            sep = "&" if "?" in POSTGRES_URL else "?"
            db = Database(f"{POSTGRES_URL}{sep}options=-csearch_path%3D{schema}")
        self.opened.append(db)
        return db

    def close(self) -> None:
        for db in self.opened:
            db.dispose()
        if self.schemas:
            admin = create_engine(POSTGRES_URL)
            with admin.begin() as conn:
                for schema in self.schemas:
                    conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()


@pytest.fixture
def databases(tmp_path):
    made = Databases(tmp_path)
    yield made
    made.close()


def load(db: Database, *names: str) -> list[int]:
    """Load sample files (`pulse_survey`, ...) from the demo set; their upload ids."""
    ids = []
    for name in names:
        prepared, result = load_file(db, SAMPLE_DIR / f"{name}.xlsx", name, uploaded_by="test")
        assert result is not None, prepared.problems[:3]
        ids.append(result.upload_id)
    return ids


def fill(db: Database) -> None:
    """Rows of every kind of value: uploads, a signed-in user, a setting, a workshop with
    answers, audit entries, a culture measure version (seeded) and a deleted upload."""
    load(db, "organisations", "pulse_survey", "readiness", "pdsa", "visits")
    doomed = load(db, "impact_self_assessment")[0]
    from impact_data.ingest import delete_upload

    delete_upload(db, doomed)  # upload ids are never reused, even after a move
    with db.session() as session:
        session.add(
            User(
                email="ana.lead@nhs.net",
                name="Ana Lead",
                role="team_member",
                org_codes=["RXA", "RXB"],
                created_at=SIGNED_IN,
                last_sign_in=SIGNED_IN + dt.timedelta(days=1),
            )
        )
        session.merge(Setting(key="impact_level_labels", value=["Emerging", "Developing", "Ö"]))
    db.set_setting("suppression_threshold", 7)
    session_ = create_session(db, LOCAL, "readiness", "Ward 7 — readiness")
    for value in (5, 4):
        submit_answers(db, session_.code, join(db, session_.code), {"c1": value, "e1": 3})
    with db.session() as session:
        session.add(
            AuditEvent(at=SIGNED_IN, user="ana.lead@nhs.net", action="sign_in", detail="{}")
        )


def without_restore_entry(rows: dict[str, list[list]]) -> dict[str, list[list]]:
    """All rows but the data version (a restore advances it) and the restore's audit entry."""
    kept = {name: list(r) for name, r in rows.items() if name != "data_version"}
    kept["audit_log"] = [r for r in kept["audit_log"] if r[3] != "restore"]
    return kept


def assert_same_rows(source: Database, restored: Database) -> None:
    before, after = table_rows(source), table_rows(restored)
    assert set(before) == set(after)
    expected, found = without_restore_entry(before), without_restore_entry(after)
    for name in expected:
        assert found[name] == expected[name], f"table {name} differs after restore"
    assert [r[3] for r in after["audit_log"]].count("restore") == 1 + [
        r[3] for r in before["audit_log"]
    ].count("restore")


def consistent(db: Database) -> None:
    """Every upload's recorded row counts are the rows that carry its id."""
    with db.connect() as conn:
        tables = {
            "organisations",
            "pulse_respondents",
            "readiness_responses",
            "pdsa_projects",
            "pdsa_cycles",
            "pdsa_measures",
            "visits",
            "staff_survey_results",
            "impact_self_assessments",
        }
        for upload_id, row_counts in conn.execute(select(Upload.id, Upload.row_counts)):
            for name, n in row_counts.items():
                if name in tables:
                    found = conn.execute(
                        text(f"SELECT count(*) FROM {name} WHERE upload_id = :u"), {"u": upload_id}
                    ).scalar_one()
                    assert found == n, f"upload {upload_id}: {name} has {found} rows, not {n}"
        orphans = conn.execute(
            text(
                "SELECT count(*) FROM pulse_respondents p "
                "WHERE NOT EXISTS (SELECT 1 FROM uploads u WHERE u.id = p.upload_id)"
            )
        ).scalar_one()
        assert orphans == 0


# ---------------------------------------------------------------------------------------------
# Round trips


@pytest.mark.parametrize(
    ("source", "target"),
    [
        ("sqlite", "sqlite"),
        pytest.param("postgresql", "postgresql", marks=pytest.mark.postgres),
        pytest.param("sqlite", "postgresql", marks=pytest.mark.postgres),
        pytest.param("postgresql", "sqlite", marks=pytest.mark.postgres),
    ],
)
def test_round_trip_keeps_every_row_of_every_table(databases, tmp_path, source, target):
    src = databases.new(source)
    fill(src)
    backup = tmp_path / "impact-backup.zip"
    info = write_backup(src, backup)
    assert info.source_dialect == source
    assert info.schema_revision == src.schema_revision()
    assert info.data_version == src.data_version()
    assert info.row_counts["users"] == 1
    assert info.row_counts["pulse_respondents"] > 1000

    dst = databases.new(target)
    assert is_empty(dst)
    result = restore_backup(dst, backup)
    assert result.schema_revision == src.schema_revision()
    assert_same_rows(src, dst)
    # The data version moves past both databases' own, so no replica serves a stale cache.
    assert dst.data_version() == result.data_version > src.data_version()

    # Values come back as the same Python values, not just the same text.
    with dst.read_session() as session:
        user = session.scalars(select(User)).one()
        signed_in = user.last_sign_in
        if signed_in.tzinfo is None:  # SQLite keeps UTC without the offset
            signed_in = signed_in.replace(tzinfo=dt.UTC)
        assert signed_in == SIGNED_IN + dt.timedelta(days=1)
        assert user.org_codes == ["RXA", "RXB"]
        workshop = session.scalars(select(WorkshopSession)).one()
        assert workshop.show_results is False
        assert workshop.title == "Ward 7 — readiness"
        assert isinstance(workshop.items, list) and workshop.items[0]["code"]
        labels = session.get(Setting, "impact_level_labels").value
        assert labels == ["Emerging", "Developing", "Ö"]
    assert dst.suppression_threshold() == 7

    # Status matches, table by table (one more audit entry: the restore itself).
    before, after = status(src), status(dst)
    assert after["schema_revision"] == before["schema_revision"]
    expected = {**before["tables"], "audit_log": before["tables"]["audit_log"] + 1}
    assert after["tables"] == expected
    assert [u["upload_id"] for u in after["uploads"]] == [u["upload_id"] for u in before["uploads"]]

    # A new upload gets an id past every id the source ever gave, deleted ones included.
    with src.connect() as conn:
        highest = conn.execute(select(func.max(Upload.id))).scalar_one()
    new_id = load(dst, "staff_survey")[0]
    assert new_id > highest + 1  # the deleted self-assessment upload's id is not reused
    consistent(dst)


def test_the_app_opens_a_restored_database(databases, tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from tests.conftest import ROOT

    src = databases.new("sqlite")
    load(src, "organisations", "pulse_survey")
    write_backup(src, tmp_path / "b.zip")
    target = tmp_path / "restored.db"
    assert main(["--database", f"sqlite:///{target}", "restore", str(tmp_path / "b.zip")]) == 0
    monkeypatch.setenv("IMPACT_DATABASE_URL", f"sqlite:///{target}")
    monkeypatch.chdir(ROOT)
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert not app.exception
    shown = " ".join(str(d.value) for d in app.dataframe) + " ".join(m.value for m in app.markdown)
    assert "Northmoor" in shown, "the Overview shows the restored organisations"


# ---------------------------------------------------------------------------------------------
# Snapshot while the app is in use


@pytest.mark.parametrize(
    "dialect", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def test_backup_is_one_snapshot_while_an_upload_commits(databases, tmp_path, dialect):
    src = databases.new(dialect)
    load(src, "organisations", "readiness")
    other_process = Database(src.url, migrate=False)
    committed: list[int] = []

    def upload_during_backup(table_name: str, rows: int) -> None:
        # The uploads table is already in the file; the pulse rows are not yet read.
        if table_name == "uploads" and not committed:
            committed.extend(load(other_process, "pulse_survey"))

    info = write_backup(src, tmp_path / "b.zip", progress=upload_during_backup)
    other_process.dispose()
    assert committed, "the upload ran while the backup was being written"
    with src.connect() as conn:
        live = conn.execute(text("SELECT count(*) FROM pulse_respondents")).scalar_one()
    assert live > 1000  # the upload did commit ...
    assert info.row_counts["pulse_respondents"] == 0  # ... after the snapshot began
    assert info.data_version == src.data_version() - 1

    dst = databases.new(dialect)
    restore_backup(dst, tmp_path / "b.zip")
    consistent(dst)
    with dst.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Upload)).scalar_one() == 2


def test_backups_taken_during_concurrent_uploads_restore_consistently(databases, tmp_path):
    src = databases.new("sqlite")
    load(src, "organisations")
    writer = Database(src.url, migrate=False)
    errors: list[BaseException] = []

    def upload() -> None:
        try:
            load(writer, "pulse_survey", "readiness", "pdsa", "visits")
        except BaseException as exc:  # noqa: BLE001 - reported by the test below
            errors.append(exc)

    thread = threading.Thread(target=upload)
    thread.start()
    backups = []
    while thread.is_alive() or not backups:
        path = tmp_path / f"b{len(backups)}.zip"
        write_backup(src, path)
        backups.append(path)
    thread.join()
    writer.dispose()
    assert not errors
    seen = set()
    for path in backups:
        dst = databases.new("sqlite")
        restore_backup(dst, path)
        consistent(dst)
        seen.add(read_backup_info(path).row_counts["uploads"])
    assert seen  # every backup, wherever it fell, restores to a consistent state


# ---------------------------------------------------------------------------------------------
# Refusals


def test_restore_into_a_database_holding_data_is_refused(databases, tmp_path, capsys):
    src = databases.new("sqlite")
    load(src, "organisations")
    write_backup(src, tmp_path / "b.zip")
    dst = databases.new("sqlite")
    load(dst, "organisations", "visits")
    before = table_rows(dst)
    with pytest.raises(RestoreRefused, match="already holds data"):
        restore_backup(dst, tmp_path / "b.zip")
    assert table_rows(dst) == before

    code = main(["--database", dst.url, "restore", str(tmp_path / "b.zip")])
    assert code == EXIT_FAILED
    assert "--replace" in capsys.readouterr().err
    assert table_rows(dst) == before

    assert main(["--database", dst.url, "restore", str(tmp_path / "b.zip"), "--replace"]) == 0
    assert_same_rows(src, dst)
    with dst.connect() as conn:
        detail = conn.execute(
            select(AuditEvent.detail).where(AuditEvent.action == "restore")
        ).scalar_one()
    assert json.loads(detail)["replaced"] is True


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buffer.getvalue()


def _members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def _with_table(members: dict[str, bytes], table: str, data: bytes) -> dict[str, bytes]:
    """The backup with one table's file replaced and its checksum and count made to match."""
    manifest = json.loads(members["manifest.json"])
    for entry in manifest["tables"]:
        if entry["name"] == table:
            entry["sha256"] = hashlib.sha256(data).hexdigest()
            entry["rows"] = data.count(b"\n")
    return {
        **members,
        f"tables/{table}.jsonl": data,
        "manifest.json": json.dumps(manifest).encode(),
    }


def test_damaged_or_foreign_files_are_refused_with_exit_2(databases, tmp_path, capsys):
    src = databases.new("sqlite")
    load(src, "organisations", "visits")
    good = tmp_path / "good.zip"
    write_backup(src, good)
    members = _members(good)
    manifest = json.loads(members["manifest.json"])
    orgs = members["tables/organisations.jsonl"]
    first_org = json.loads(orgs.splitlines()[0])
    visits = members["tables/visits.jsonl"].splitlines(keepends=True)
    bad_date = json.loads(visits[-1])
    bad_date[4] = "31/02/2026"

    cases = {
        "random.zip": (os.urandom(2000), "not an IMPACT dashboard backup"),
        "export.xlsx": ((SAMPLE_DIR / "visits.xlsx").read_bytes(), "has no manifest.json"),
        "foreign.zip": (
            _zip({"manifest.json": json.dumps({"format": "someone-else"}).encode()}),
            "found 'someone-else'",
        ),
        "newer_format.zip": (
            _zip({"manifest.json": json.dumps({**manifest, "format_version": 99}).encode()}),
            "newer version of the app",
        ),
        "newer_schema.zip": (
            _zip(
                {
                    **members,
                    "manifest.json": json.dumps({**manifest, "schema_revision": "9999"}).encode(),
                }
            ),
            "schema revision '9999' is not one this app knows",
        ),
        "cut_short.zip": (good.read_bytes()[: len(good.read_bytes()) // 2], "not an IMPACT"),
        "tampered.zip": (
            _zip({**members, "tables/organisations.jsonl": orgs.replace(b"Trust", b"Trusx")}),
            "tables/organisations.jsonl does not match its checksum",
        ),
        "bad_value.zip": (
            _zip(
                _with_table(
                    members, "visits", b"".join(visits[:-1]) + json.dumps(bad_date).encode() + b"\n"
                )
            ),
            f"tables/visits.jsonl line {len(visits)}, column visit_date: expected a date "
            '(YYYY-MM-DD), found "31/02/2026"',
        ),
        "short_row.zip": (
            _zip(_with_table(members, "organisations", json.dumps(first_org[:3]).encode() + b"\n")),
            f"tables/organisations.jsonl line 1: expected {len(first_org)} values, found 3",
        ),
    }
    dst = databases.new("sqlite")
    load(dst, "organisations")
    before = table_rows(dst)
    for name, (data, message) in cases.items():
        path = tmp_path / name
        path.write_bytes(data)
        code = main(["--database", dst.url, "restore", str(path), "--replace"])
        err = capsys.readouterr().err
        assert code == EXIT_INVALID, (name, err)
        assert message in err, (name, err)
        assert "the database is unchanged" in err
        assert table_rows(dst) == before, f"{name} changed the database"
    with pytest.raises(BackupError, match="not an IMPACT dashboard backup"):
        read_backup_info(b"PK\x03\x04 not really")


@pytest.mark.postgres
def test_a_failed_restore_changes_nothing_on_postgresql(databases, tmp_path):
    src = databases.new("sqlite")
    load(src, "organisations", "visits")
    write_backup(src, tmp_path / "b.zip")
    members = _members(tmp_path / "b.zip")
    visits = members["tables/visits.jsonl"].splitlines(keepends=True)
    # A visit to an organisation that does not exist: the last table, refused by its foreign key.
    broken = json.loads(visits[-1])
    broken[3] = 999_999
    data = b"".join(visits[:-1]) + json.dumps(broken).encode() + b"\n"
    (tmp_path / "fk.zip").write_bytes(_zip(_with_table(members, "visits", data)))
    dst = databases.new("postgresql")
    load(dst, "organisations", "pdsa")
    before = table_rows(dst)
    version = dst.data_version()
    with pytest.raises(BackupError, match="tables/visits.jsonl: the database refused a row"):
        restore_backup(dst, tmp_path / "fk.zip", replace=True)
    assert table_rows(dst) == before
    assert dst.data_version() == version
    # A value that is not what its column holds stops the restore midway through its COPY.
    broken = json.loads(visits[-1])
    broken[4] = "31/02/2026"
    data = b"".join(visits[:-1]) + json.dumps(broken).encode() + b"\n"
    (tmp_path / "date.zip").write_bytes(_zip(_with_table(members, "visits", data)))
    with pytest.raises(
        BackupError, match=f"line {len(visits)}, column visit_date: expected a date"
    ):
        restore_backup(dst, tmp_path / "date.zip", replace=True)
    assert table_rows(dst) == before
    restore_backup(dst, tmp_path / "b.zip", replace=True)  # the connection is still usable
    assert_same_rows(src, dst)


# ---------------------------------------------------------------------------------------------
# Older backups are upgraded


def test_a_backup_from_an_older_schema_is_upgraded_on_restore(databases, tmp_path):
    old = Database(f"sqlite:///{tmp_path / 'old.db'}", migrate=False)
    with old.engine.begin() as conn:
        cfg = alembic_config(old.url)
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0005")
    with old.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO uploads (id, kind, file_name, sha256, uploaded_by, uploaded_at, "
                "row_count, row_counts, notes, org_codes) VALUES (3, 'organisations', 'o.xlsx', "
                "'ab', 'old app', '2025-01-02 03:04:05.000000', 1, '{\"organisations\": 1}', "
                "'[]', '[\"RXA\"]')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO organisations (org_code, org_name, org_type, upload_id) "
                "VALUES ('RXA', 'Old Trust', 'acute', 3)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO users (email, role, org_codes, created_at) "
                "VALUES ('old@nhs.net', 'admin', '[]', '2025-01-02 03:04:05.000000')"
            )
        )
        conn.execute(text("UPDATE data_version SET version = 4"))
    info = write_backup(old, tmp_path / "old.zip")
    old.dispose()
    assert info.schema_revision == "0005"

    for dialect in ("sqlite", "postgresql"):
        if dialect == "postgresql" and PG_PROBLEM and not os.environ.get("CI"):
            continue
        dst = databases.new(dialect)
        head = dst.schema_revision()
        result = restore_backup(dst, tmp_path / "old.zip")
        assert result.schema_revision == head != "0005"
        assert dst.schema_revision() == head
        with dst.read_session() as session:
            user = session.scalars(select(User)).one()
            assert user.email == "old@nhs.net" and user.role == "admin"
            upload = session.get(Upload, 3)
            assert upload.row_counts == {"organisations": 1}
        assert dst.data_version() == 5
        assert load(dst, "organisations")[0] == 4  # past the restored upload 3


# ---------------------------------------------------------------------------------------------
# Command line


def test_cli_backup_restore_and_status(databases, tmp_path, capsys):
    src = databases.new("sqlite")
    load(src, "organisations")
    out = tmp_path / "backup.zip"
    assert main(["--database", src.url, "backup", "--out", str(out)]) == EXIT_OK
    said = capsys.readouterr().out
    assert f"wrote {out}" in said and f"schema revision {src.schema_revision()}" in said
    with zipfile.ZipFile(out) as zf:
        assert json.loads(zf.read("manifest.json"))["format"] == BACKUP_FORMAT
    assert not list(tmp_path.glob("*.partial"))

    assert main(["--database", src.url, "status", "--json"]) == EXIT_OK
    source_status = json.loads(capsys.readouterr().out)
    assert source_status["schema_revision"] == src.schema_revision()
    assert source_status["data_version"] == src.data_version()

    target = f"sqlite:///{tmp_path / 'moved.db'}"
    assert main(["--database", target, "restore", str(out), "--by", "ops@nhs.net"]) == EXIT_OK
    assert "restored" in capsys.readouterr().out
    assert main(["--database", target, "status", "--json"]) == EXIT_OK
    moved = json.loads(capsys.readouterr().out)
    assert moved["schema_revision"] == source_status["schema_revision"]
    assert moved["data_version"] == source_status["data_version"] + 1
    assert moved["tables"] == {
        **source_status["tables"],
        "audit_log": source_status["tables"]["audit_log"] + 1,
    }
    assert moved["uploads"] == source_status["uploads"]

    assert main(["--database", target, "restore", str(tmp_path / "missing.zip")]) == EXIT_FAILED
    assert "no such file" in capsys.readouterr().err


def test_only_an_admin_backs_up_or_restores(databases, tmp_path):
    from impact_data.access import AccessDenied

    db = databases.new("sqlite")
    executive = Viewer("exec@nhs.net", "executive")
    with pytest.raises(AccessDenied):
        write_backup(db, tmp_path / "b.zip", viewer=executive)
    assert not (tmp_path / "b.zip").exists()
    write_backup(db, tmp_path / "b.zip", viewer=Viewer("admin@nhs.net", "admin"))
    with pytest.raises(AccessDenied):
        restore_backup(db, tmp_path / "b.zip", viewer=executive)


def test_settings_backup_tab_prepares_a_download_for_an_admin(tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from tests.conftest import ROOT
    from ui.settings_backup import PREPARED_KEY

    url = f"sqlite:///{tmp_path / 'app.db'}"
    monkeypatch.setenv("IMPACT_DATABASE_URL", url)
    monkeypatch.chdir(ROOT)
    db = Database(url)
    load(db, "organisations")
    at = AppTest.from_file(str(ROOT / "pages" / "settings.py"), default_timeout=60).run()
    assert not at.exception
    assert at.tabs[-1].label == "Backup and restore"
    next(b for b in at.button if b.label == "Prepare a backup").click().run()
    assert not at.exception
    data, file_name, info = at.session_state[PREPARED_KEY]
    assert file_name.startswith("impact-backup-") and file_name.endswith(".zip")
    assert (
        read_backup_info(data).row_counts["organisations"] == 10 == info.row_counts["organisations"]
    )
    with db.connect() as conn:
        who, action = conn.execute(
            select(AuditEvent.user, AuditEvent.action).order_by(AuditEvent.id.desc())
        ).first()
    assert (who, action) == ("local user", "backup")  # a download of unsuppressed data is audited
    db.dispose()


def test_settings_restore_replaces_only_when_ticked_and_refuses_a_damaged_file(
    databases, tmp_path, monkeypatch
):
    from streamlit.testing.v1 import AppTest

    from tests.conftest import ROOT

    source = databases.new("sqlite")
    load(source, "organisations", "visits")
    backup = tmp_path / "b.zip"
    write_backup(source, backup)
    url = f"sqlite:///{tmp_path / 'app.db'}"
    monkeypatch.setenv("IMPACT_DATABASE_URL", url)
    monkeypatch.chdir(ROOT)
    db = Database(url)
    load(db, "organisations")
    at = AppTest.from_file(str(ROOT / "pages" / "settings.py"), default_timeout=60).run()

    def uploader():
        return next(f for f in at.file_uploader if f.label == "Backup file (.zip)")

    uploader().set_value(("broken.zip", b"not a zip at all", "application/zip")).run()
    assert not at.exception
    assert any("not an IMPACT dashboard backup" in e.value for e in at.error)

    uploader().set_value(("b.zip", backup.read_bytes(), "application/zip")).run()
    assert not at.exception
    assert any("already holds data" in w.value for w in at.warning)
    restore = next(b for b in at.button if b.label == "Restore this backup")
    assert restore.disabled
    next(c for c in at.checkbox if c.label.startswith("Replace everything")).check().run()
    next(b for b in at.button if b.label == "Restore this backup").click().run()
    assert not at.exception
    assert any("Restored" in s.value for s in at.success)
    assert_same_rows(source, db)
    with db.connect() as conn:
        who = conn.execute(
            select(AuditEvent.user).where(AuditEvent.action == "restore")
        ).scalar_one()
    assert who == "local user"
    db.dispose()


def test_every_column_type_has_one_portable_form():
    import decimal

    from sqlalchemy import (
        JSON,
        Boolean,
        Date,
        DateTime,
        Float,
        Integer,
        LargeBinary,
        Numeric,
        String,
        Text,
        Time,
    )

    from impact_data.backup import decode_value, encode_value, logical_type

    london = dt.timezone(dt.timedelta(hours=1))
    cases = [
        (
            DateTime(timezone=True),
            dt.datetime(2026, 6, 1, 9, 30, tzinfo=london),
            "2026-06-01T08:30:00+00:00",
            dt.datetime(2026, 6, 1, 8, 30, tzinfo=dt.UTC),
        ),
        # SQLite returns UTC without an offset: the same instant.
        (
            DateTime(timezone=True),
            dt.datetime(2026, 6, 1, 8, 30),
            "2026-06-01T08:30:00+00:00",
            dt.datetime(2026, 6, 1, 8, 30, tzinfo=dt.UTC),
        ),
        (DateTime(), dt.datetime(2026, 6, 1, 8, 30, 0, 5), "2026-06-01T08:30:00.000005", None),
        (Date(), dt.date(2024, 2, 29), "2024-02-29", None),
        (Time(), dt.time(23, 59, 58), "23:59:58", None),
        (Boolean(), 1, True, True),
        (LargeBinary(), b"\x00\xffPK", "AP9QSw==", None),
        (Numeric(10, 2), decimal.Decimal("12.30"), "12.30", None),
        (Float(), 0.1 + 0.2, 0.30000000000000004, None),
        (Integer(), 7, 7, None),
        (String(20), "Ward 7 — Ö", "Ward 7 — Ö", None),
        (Text(), "", "", None),
        (JSON(), {"a": [1, None, "x"]}, {"a": [1, None, "x"]}, None),
    ]
    for type_, value, encoded, decoded in cases:
        kind = logical_type(type_)
        assert encode_value(kind, value) == encoded, kind
        back = decode_value(kind, json.loads(json.dumps(encoded)))
        assert back == (value if decoded is None else decoded), kind
        assert encode_value(kind, None) is None and decode_value(kind, None) is None
    for kind, bad in [
        ("date", "31/02/2026"),
        ("integer", "7"),
        ("integer", True),
        ("boolean", 1),
        ("datetime_tz", "2026-06-01T08:30:00"),
        ("binary", "not base64!"),
        ("float", "1.5"),
        ("text", 5),
    ]:
        with pytest.raises(ValueError):
            decode_value(kind, bad)
