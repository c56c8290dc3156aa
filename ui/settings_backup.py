"""Settings, "Backup and restore": an admin downloads a backup of the whole database or
restores one (the same functions as `python -m impact_data backup` and `restore`)."""

from __future__ import annotations

import datetime as dt
import io

import streamlit as st

from impact_data.access import AccessDenied
from impact_data.backup import (
    BackupError,
    RestoreRefused,
    is_empty,
    read_backup_info,
    restore_backup,
    write_backup,
)
from ui.safe import md
from ui.state import clear_caches, database, viewer

__all__ = ["backup_section"]

PREPARED_KEY = "settings_backup_prepared"
ZIP_MIME = "application/zip"


def backup_section() -> None:
    """Download a backup; upload one to restore it (admins only)."""
    st.subheader("Backup and restore")
    who = viewer()
    if not who.is_admin:
        st.write("Only an admin can back up or restore the database.")
        return
    db = database()
    st.write(
        "A backup is one file holding every table: uploads and their rows, organisations, "
        "users and roles, settings, every culture measure version, workshops and the audit "
        "log. It is taken as one snapshot, so it is safe while people are using the app. "
        "It holds unsuppressed data: keep it as carefully as the database itself."
    )
    if st.button("Prepare a backup", icon=":material/inventory_2:"):
        buffer = io.BytesIO()
        try:
            info = write_backup(db, buffer, viewer=who)
        except (AccessDenied, BackupError) as exc:
            st.error(md(exc))
        else:
            stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S")
            st.session_state[PREPARED_KEY] = (buffer.getvalue(), f"impact-backup-{stamp}.zip", info)
    prepared = st.session_state.get(PREPARED_KEY)
    if prepared:
        data, file_name, info = prepared
        st.download_button(
            f"Download {file_name} ({info.total_rows:,} rows, {len(data) / 1e6:.1f} MB)",
            data=data,
            file_name=file_name,
            mime=ZIP_MIME,
            icon=":material/download:",
        )

    st.markdown("**Restore a backup**")
    st.caption(
        "Restoring replaces everything in this database with the backup, in one step: if "
        "anything is wrong with the file, nothing changes. A backup from SQLite restores into "
        "PostgreSQL and the other way round; an older backup is upgraded."
    )
    upload = st.file_uploader("Backup file (.zip)", type=["zip"], key="settings_restore_file")
    if upload is None:
        return
    data = upload.getvalue()
    try:
        info = read_backup_info(data)
    except BackupError as exc:
        st.error(md(exc), icon=":material/error:")
        return
    st.write(
        f"Taken {md(info.taken_at[:19].replace('T', ' '))} UTC from {md(info.source_dialect)}, "
        f"schema revision {md(info.schema_revision)}: {info.total_rows:,} rows in "
        f"{len(info.row_counts)} tables."
    )
    holds_data = not is_empty(db)
    replace = False
    if holds_data:
        st.warning(
            "This database already holds data. Restoring deletes all of it and puts the "
            "backup in its place. Prepare a backup of it first if you may need it.",
            icon=":material/warning:",
        )
        replace = st.checkbox("Replace everything in this database with the backup")
    if st.button("Restore this backup", type="primary", disabled=holds_data and not replace):
        try:
            result = restore_backup(db, data, replace=replace, viewer=who)
        except (AccessDenied, BackupError, RestoreRefused) as exc:
            st.error(md(exc), icon=":material/error:")
            return
        clear_caches()
        st.session_state.pop(PREPARED_KEY, None)
        st.success(
            f"Restored {result.info.total_rows:,} rows. The schema is at revision "
            f"{md(result.schema_revision)}; every app replica shows the restored data on its "
            "next rerun.",
            icon=":material/check_circle:",
        )
