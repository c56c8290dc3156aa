"""Upload: choose a kind, get its template, upload files, check them, commit; upload history."""

from __future__ import annotations

import logging

import streamlit as st
from streamlit.errors import StreamlitAPIException

from impact_data import (
    AccessDenied,
    DeleteRefused,
    PreparedUpload,
    UploadRefused,
    delete_upload,
)
from impact_data.ingest import mappings, uploads
from impact_data.ingest.kinds import NATIONAL_KINDS
from impact_data.ingest.kinds import UPLOAD_KINDS as KINDS
from impact_data.ingest.load import changeable_uploads
from impact_data.ingest.prepare import load_instruments
from impact_data.ingest.templates import template_filename
from impact_data.measures import queries
from impact_data.views import capability as capability_views
from impact_data.views import upload_report as report
from impact_data.views.wording import count_list
from ui.navigation import leave_pages_folder_mode
from ui.safe import md, md_list
from ui.state import background_warming, clear_caches, database, query, viewer, warm_in_background

leave_pages_folder_mode()  # a deep link opened before anyone opened / (ui.navigation)

log = logging.getLogger(__name__)

FILE_TYPES = ["xlsx", "xlsm", "xls", "ods", "csv"]
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# The page that shows each kind's data (UploadKind.shown_on).
PAGE_OF = {
    "Overview": "pages/overview.py",
    "Culture": "pages/culture.py",
    "Readiness": "pages/readiness.py",
    "PDSA & measures": "pages/pdsa.py",
    "Compare": "pages/compare.py",
}
PROBLEM_LINES = 12  # kinds of problem listed under one heading before "and N more"

state = st.session_state
state.setdefault("upload_prepared", {})  # file id -> (options, prepared, remembered, error)
state.setdefault("upload_overrides", {})  # file id -> {table: {header: target}} chosen here
state.setdefault("upload_done", {})  # file id -> UploadResult
state.setdefault("upload_mapping_error", {})  # file id -> message about a typed code

db = database()
who = viewer()


def choose_mapping(fid: str, table_name: str, header: str, key: str) -> None:
    """Remember a select box's choice as an override for the next prepare of this file."""
    entry = state["upload_prepared"].get(fid)
    if entry is None or entry[1] is None or table_name not in entry[1].tables:
        return
    prepared: PreparedUpload = entry[1]
    try:
        target = mappings.normalise_target(prepared.tables[table_name].spec, state.get(key))
    except ValueError as exc:
        state["upload_mapping_error"][fid] = str(exc)
        return
    state["upload_mapping_error"].pop(fid, None)
    state["upload_overrides"].setdefault(fid, {}).setdefault(table_name, {})[header] = target


def prepared_file(file, kind: str) -> tuple[PreparedUpload | None, dict, str | None]:
    """The file read and checked with the options chosen for it, re-read only when they change."""
    fid = file.file_id
    overrides = state["upload_overrides"].get(fid, {})
    create_orgs = bool(state.get(f"create_{fid}", False))
    replace = state.get(f"replace_{fid}_{kind}")
    system = state.get(f"system_{fid}") or None
    year = state.get(f"year_{fid}") or None
    org_code = state.get(f"org_{fid}") or None
    options = (
        kind,
        db.data_version(),
        create_orgs,
        replace,
        system,
        year,
        org_code,
        repr(sorted((t, sorted(c.items())) for t, c in overrides.items())),
    )
    cached = state["upload_prepared"].get(fid)
    if cached is not None and cached[0] == options:
        return cached[1], cached[2], cached[3]
    size = report.file_size_text(file.size)
    prepared, remembered, error = None, {}, None
    with st.status(f"Reading {md(file.name)} ({size})…", expanded=False) as status:
        try:
            prepared, remembered = uploads.prepare_file(
                db,
                file.getvalue(),
                file.name,
                kind,
                viewer=who,
                overrides=overrides,
                create_orgs=create_orgs,
                replace_upload_id=replace,
                system=system,
                survey_year=int(year) if year else None,
                org_code=org_code,
            )
            uploads.remember_choices(db, who, prepared, overrides)
            status.update(label=f"Read {md(file.name)} ({size})", state="complete")
        except (AccessDenied, ValueError) as exc:
            error = str(exc)
        except Exception as exc:  # noqa: BLE001 - never a traceback on screen
            log.exception("reading %s failed", file.name)
            error = f"The file could not be read: {exc}"
        if error:
            status.update(label=f"Could not read {md(file.name)}", state="error")
    state["upload_prepared"][fid] = (options, prepared, remembered, error)
    return prepared, remembered, error


def show_mapping(fid: str, prepared: PreparedUpload) -> None:
    """Sheets, header rows and the column mapping, with select boxes for unrecognised headers."""
    mapped = {name: t for name, t in prepared.tables.items() if t.mapping is not None}
    if not mapped:
        return  # national files are read by position: there is no column mapping to show
    missing = any(t.mapping.missing for t in mapped.values())
    unrecognised = sum(len(report.editable_headers(t)) for t in mapped.values())
    label = "Sheets and columns"
    if unrecognised:
        label += f" ({unrecognised} column{'s' if unrecognised != 1 else ''} not recognised)"
    with st.expander(label, expanded=missing):
        st.dataframe(report.mapping_overview(prepared), hide_index=True)
        instrument = prepared.instrument
        if prepared.kind.name == "readiness" and instrument is None:
            instrument = next(iter(load_instruments(db).values()), None)
        for name, table in mapped.items():
            st.markdown(
                f"**{table.spec.label}**: sheet *{md(table.sheet)}*, header on row "
                f"{table.mapping.header_row}"
            )
            st.dataframe(table.mapping.as_frame(), hide_index=True)
            editable = report.editable_headers(table)
            if editable:
                st.caption(
                    "Columns not recognised: choose what each one holds. Your choice is "
                    "remembered for this organisation and kind of upload."
                )
            for pos, header in editable.items():
                choices = report.target_choices(table, pos, instrument)
                current = table.mapping.target_of(pos)
                key = f"map_{fid}_{name}_{pos}"
                st.selectbox(
                    f"Column “{md(header)}”",
                    choices,
                    index=choices.index(current) if current in choices else 0,
                    format_func=lambda t, table=table: report.choice_label(t, table),
                    key=key,
                    on_change=choose_mapping,
                    args=(fid, name, header, key),
                    accept_new_options=table.spec.item_columns == "questions",
                    help="Type a question code (e.g. q3f) to load this column as a question."
                    if table.spec.item_columns == "questions"
                    else None,
                )
        if fid in state["upload_mapping_error"]:
            st.error(md(state["upload_mapping_error"][fid]))


def show_problems(fid: str, prepared: PreparedUpload) -> None:
    """The validation report: problems grouped by kind, with row numbers, and the full CSV."""
    groups = report.group_problems(prepared.problems)
    fixable_here = any(report.editable_headers(t) for t in prepared.tables.values())
    st.error(
        f"**{report.problem_summary(prepared.problems)}**: nothing from this file will be "
        "loaded until it is fixed. "
        + (
            "Choose what the unrecognised columns hold (under “Sheets and columns”), "
            "or correct the file and upload it again."
            if fixable_here
            else "Correct the file and upload it again."
        )
    )
    for title, rows in groups.groupby("title", sort=False):
        count = int(rows["count"].sum())
        st.markdown(f"**{title}** ({count:,})")
        lines = [
            f"- {md(report.describe_group(g))}" for _, g in rows.head(PROBLEM_LINES).iterrows()
        ]
        if len(rows) > PROBLEM_LINES:
            lines.append(f"- … and {len(rows) - PROBLEM_LINES:,} more (in the full list)")
        st.markdown("\n".join(lines))
    st.download_button(
        "Download the full list of problems (CSV)",
        data=lambda: report.problems_csv(prepared.problems),  # built only when clicked
        file_name=f"problems_{prepared.file_name.rsplit('.', 1)[0]}.csv",
        mime="text/csv",
        key=f"problems_{fid}",
        # No rerun on the click: a rerun while the file is built replaced the button whose
        # data was being asked for, and the download sometimes never came.
        on_click="ignore",
        icon=":material/download:",
    )


def show_skipped(prepared: PreparedUpload) -> None:
    """Rows below the data that were skipped as blank, notes or totals, with their content."""
    summary = report.skipped_summary(prepared)
    if not summary:
        return
    st.info(md(summary), icon=":material/playlist_remove:")
    with st.expander("Rows skipped below the data"):
        st.dataframe(report.skipped_rows(prepared), hide_index=True, width="stretch")


def show_national_options(fid: str, kind: str, prepared: PreparedUpload) -> None:
    """National files: all organisations or one system's; a detailed file's year; what a
    newer release changes."""
    systems = sorted({s for s in query(queries.organisations)["system"].dropna() if s})
    st.selectbox(
        "Import which organisations?",
        [""] + systems,
        format_func=lambda s: f"Only {s}" if s else "All organisations in the file",
        key=f"system_{fid}",
        help="The national files hold every NHS organisation. Choose your system to import "
        "only its organisations (from your organisations file, or the file's ICS column).",
    )
    if kind == "nss_detailed":
        st.caption(
            "You can upload the published zip (e.g. NSS25-Detailed-spreadsheets.zip) as it is: "
            "the organisational results workbook inside it is the one read."
        )
        st.number_input(
            "Survey year (only if neither the file name, e.g. NSS25 or ST20, nor its title says)",
            min_value=2000,
            max_value=2100,
            value=None,
            step=1,
            key=f"year_{fid}",
        )
    changes = prepared.release_changes
    if changes is not None and not changes.empty:
        st.warning(
            f"This release restates {len(changes):,} figure(s) that an earlier release holds "
            "differently; views will use this newer release. The changes:"
        )
        st.dataframe(changes.head(200), hide_index=True, width="stretch")


def show_organisation_choice(fid: str, prepared: PreparedUpload) -> None:
    """A file with no organisation column (e.g. a contractor's export): which organisation?"""
    if not (report.needs_organisation(prepared) or state.get(f"org_{fid}")):
        return
    orgs = query(queries.organisations)
    codes = [c for c in orgs["org_code"] if who.can_upload_for({c})]
    names = dict(zip(orgs["org_code"], orgs["org_name"], strict=True))
    st.selectbox(
        "Which organisation are these results for?",
        codes,
        index=None,
        format_func=lambda c: f"{names.get(c) or c} ({c})",
        placeholder="Choose your organisation",
        key=f"org_{fid}",
        help="Survey contractors' exports (e.g. a positive-scoring CSV with Year, "
        "QuestionNumber, DimName, DimValue, BaseSize and Score) have no organisation column: "
        "every row is loaded for the organisation you choose here.",
    )


def show_options(fid: str, kind: str, prepared: PreparedUpload, earlier) -> None:
    """Duplicate files, corrected re-uploads and unknown organisations."""
    if kind in NATIONAL_KINDS:
        show_national_options(fid, kind, prepared)
    show_organisation_choice(fid, prepared)
    if prepared.duplicate_of is not None:
        row = earlier[earlier["upload_id"] == prepared.duplicate_of]
        what = report.upload_choice_label(row.iloc[0]) if not row.empty else ""
        st.warning(
            f"This exact file was already loaded as upload {prepared.duplicate_of}"
            f"{f' ({md(what)})' if what else ''}. To load a corrected version, upload the "
            "corrected file and choose below which earlier upload it replaces."
        )
    # Only uploads whose every row is of the viewer's own organisations can be replaced.
    allowed = (
        query(changeable_uploads, tuple(earlier["upload_id"].astype(int)))
        if len(earlier)
        else set()
    )
    if allowed:
        ids = [i for i in earlier["upload_id"].astype(int).tolist() if i in allowed]
        labels = {
            int(r["upload_id"]): report.upload_choice_label(r) for r in earlier.to_dict("records")
        }
        key = f"replace_{fid}_{kind}"
        overlaps = any(p.category == "already_loaded" for p in prepared.problems)
        opened = prepared.duplicate_of is not None or overlaps or state.get(key) is not None
        with st.expander("Replace an earlier upload", expanded=opened):
            st.selectbox(
                "Does this file correct an earlier upload?",
                ids,
                index=None,
                format_func=lambda i: f"Yes, it replaces {labels[i]}",
                placeholder="No: it is new data",
                key=key,
                help="The earlier upload's rows are removed and this file's rows added, "
                "in one step.",
            )
    if prepared.unknown_orgs:
        codes = md(report.codes_text(prepared.unknown_orgs))
        st.warning(
            f"{len(prepared.unknown_orgs)} organisation code(s) in this file are not known yet: "
            f"{codes}. Load an organisations file first, or create them now."
        )
        st.checkbox(
            "Create these organisations",
            key=f"create_{fid}",
            help="They are created with their code as the name and type 'other'; "
            "an organisations file loaded later fills in the rest.",
        )


def show_preview(prepared: PreparedUpload) -> None:
    """What will be added: rows per table and the first rows of each."""
    with st.expander("Preview of what will be added", expanded=prepared.ok):
        for table in prepared.tables.values():
            st.markdown(f"**{table.spec.label}**: {table.n_rows:,} rows")
            st.dataframe(table.preview(10), hide_index=True)


def commit(fid: str, prepared: PreparedUpload) -> None:
    """Load the file with a progress bar; on success remember the result and start afresh."""
    bar = st.progress(0.0, text="Starting")
    try:
        result = uploads.commit_file(
            db,
            prepared,
            viewer=who,
            progress=lambda fraction, message: bar.progress(min(max(fraction, 0.0), 1.0), message),
        )
    except (UploadRefused, AccessDenied, DeleteRefused) as exc:
        bar.empty()
        st.error(f"Nothing was loaded: {md(exc)}")
        return
    except Exception as exc:  # noqa: BLE001 - never a traceback on screen
        log.exception("committing %s failed", prepared.file_name)
        bar.empty()
        st.error(f"Nothing was loaded: the database refused the upload ({md(exc)}).")
        return
    state["upload_done"][fid] = result
    state["upload_prepared"].pop(fid, None)
    clear_caches()
    bar.progress(1.0, "Loaded")
    if background_warming():  # the pages' figures for the new data, without delaying this answer
        warm_in_background(who)
    st.rerun()


def link_to_results(shown_on: str) -> None:
    """A link to the page that shows this kind of data."""
    label = shown_on or "Overview"
    try:
        st.page_link(
            PAGE_OF[label], label=f"See it on the {label} page", icon=":material/arrow_forward:"
        )
    except StreamlitAPIException:
        # This page was opened on its own, outside app.py's navigation: there is nothing to link.
        st.caption(f"It will show on the {label} page.")


def show_file(file, kind: str, earlier) -> None:
    fid = file.file_id
    st.subheader(md(file.name), anchor=False)
    done = state["upload_done"].get(fid)
    if done is not None:
        st.success(md(report.result_text(done)), icon=":material/check_circle:")
        st.dataframe(report.result_frame(done), hide_index=True)
        link_to_results(KINDS[done.kind].shown_on)
        return
    prepared, remembered, error = prepared_file(file, kind)
    if prepared is None:
        st.error(md(error or "The file could not be read."))
        return
    st.caption(f"{report.file_size_text(file.size)} · read as {KINDS[kind].label}")
    if remembered:
        st.info(
            f"Column choices remembered from an earlier upload were applied: "
            f"{md(report.overrides_text(remembered))}.",
            icon=":material/history:",
        )
    if error:
        st.warning(md(error))
    show_options(fid, kind, prepared, earlier)
    if prepared.tables:
        show_mapping(fid, prepared)
    if prepared.problems:
        show_problems(fid, prepared)
    else:
        st.success(
            f"No problems found: {sum(prepared.row_counts.values()):,} rows ready to load.",
            icon=":material/task_alt:",
        )
    show_skipped(prepared)
    explained = report.how_it_was_read(prepared)
    if explained:
        st.info("**How this file was read**\n\n" + md_list(explained), icon=":material/menu_book:")
    notes = report.notes_shown(prepared)
    if notes:
        st.info(md_list(notes), icon=":material/info:")
    if prepared.tables and prepared.ok:
        show_preview(prepared)
    if st.button(
        "Load this file",
        key=f"commit_{fid}",
        type="primary",
        disabled=not prepared.ok,
        help=None if prepared.ok else "Fix the problems listed above first.",
    ):
        commit(fid, prepared)


def show_history(history) -> None:
    st.header("Upload history", anchor=False)
    flash = state.pop("upload_flash", None)
    if flash:
        st.success(flash)
    if history.empty:
        st.info("Nothing has been uploaded yet.")
        return
    st.dataframe(
        report.history_table(history),
        hide_index=True,
        # How the file was read and what was corrected since ("2 cycles edited on ...").
        column_config={"notes": st.column_config.TextColumn("notes", width="large")},
    )
    allowed = query(changeable_uploads, tuple(history["upload_id"].astype(int)))
    labels = {
        int(r["upload_id"]): report.upload_choice_label(r)
        for r in history.to_dict("records")
        if int(r["upload_id"]) in allowed
    }
    if not labels:
        return
    with st.expander("Delete an upload"):
        chosen = st.selectbox(
            "Upload to delete",
            list(labels),
            index=None,
            format_func=lambda i: labels[i],
            placeholder="Choose an upload",
            key="delete_choice",
        )
        if st.button("Delete…", key="delete_ask", disabled=chosen is None):
            state["upload_delete_confirm"] = chosen
        confirm = state.get("upload_delete_confirm")
        if confirm is None or confirm != chosen:
            return
        st.warning(
            f"Delete {md(labels[confirm])}? This removes exactly the rows it added, "
            "and cannot be undone."
        )
        yes, no = st.columns(2)
        if yes.button("Yes, delete it", key="delete_yes", type="primary"):
            state.pop("upload_delete_confirm", None)
            try:
                counts = delete_upload(db, confirm, viewer=who)
            except (DeleteRefused, AccessDenied) as exc:
                st.error(f"Upload {confirm} was not deleted: {md(exc)}")
                return
            clear_caches()
            state["upload_flash"] = f"Upload {confirm} deleted: removed {count_list(counts)}."
            for fid, result in list(state["upload_done"].items()):
                if result.upload_id == confirm:
                    del state["upload_done"][fid]
            st.rerun()
        if no.button("Cancel", key="delete_no"):
            state.pop("upload_delete_confirm", None)
            st.rerun()


st.title("Upload your data", anchor=False)
st.write(
    "Load your team's spreadsheets. Each file is checked first: you see how its columns were "
    "read and every problem with its row number, and nothing is loaded until it is right."
)

# The role is checked before any file is read: someone who may not load data never gets a
# file parsed on their behalf.
if not who.can_upload:
    st.warning(
        "Your role does not include loading data. An admin can give you the team member role "
        "for your organisation on the Settings page."
    )
    st.stop()

choose, files_col = st.columns([2, 3], gap="large")
with choose:
    kind_name = st.radio(
        "What are you uploading?",
        list(KINDS),
        format_func=lambda k: KINDS[k].label,
        captions=[KINDS[k].description for k in KINDS],
        key="upload_kind",
    )
kind = KINDS[kind_name]
with files_col:
    # The capability levels by the names an admin gave them on the Settings page.
    template = report.template_for(kind_name, query(capability_views.level_labels))
    if template is not None:
        st.download_button(
            f"Download the {kind.label} template",
            data=template,
            file_name=template_filename(kind_name),
            mime=XLSX_MIME,
            icon=":material/download:",
            help="An Excel workbook with the columns, drop-down lists and an instructions sheet.",
        )
    else:
        st.caption("Upload the file exactly as published; there is no template to fill in.")
    files = st.file_uploader(
        f"Upload {kind.label} files",
        type=FILE_TYPES + (["zip"] if kind_name in NATIONAL_KINDS else []),
        accept_multiple_files=True,
        key="upload_files",
        help="Excel (.xlsx, .xlsm, .xls), OpenDocument (.ods) or CSV. "
        "Several files are checked one by one.",
    )

history = query(queries.uploads)
earlier = history[history["kind"] == kind_name] if not history.empty else history

present = {f.file_id for f in files or []}
for store in ("upload_prepared", "upload_overrides", "upload_done"):
    for fid in [f for f in state[store] if f not in present]:
        del state[store][fid]  # files removed from the uploader are forgotten

for file in files or []:
    with st.container(border=True):
        show_file(file, kind_name, earlier)

show_history(history)
