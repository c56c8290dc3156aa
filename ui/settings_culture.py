"""The culture measure on the Settings page: the current version, the editor, earlier versions,
and export/import of the definition as a file."""

from __future__ import annotations

import streamlit as st

from impact_data.measures import culture, culture_editing
from impact_data.views import culture as culture_views
from impact_data.views.wording import local_time, uk_date
from ui.safe import md, md_join, md_list
from ui.state import clear_caches, database, query, viewer

FLASH = "culture_measure_flash"
IMPORT_ROUND = "culture_import_round"
DEFINITION_COLUMNS = {
    "dimension": "Dimension",
    "dimension_weight": "Dimension weight",
    "question_code": "Question",
    "question_text": "Wording",
    "question_weight": "Question weight",
    "higher_is_better": "Higher is better",
}


def _show_problems(problems: list[str], intro: str) -> None:
    st.error(intro + "\n" + md_list(f"{p[0].upper()}{p[1:]}" for p in problems))


def _definition_table(table) -> None:
    st.dataframe(
        culture_views.screen_table(culture_views.download_table(table, DEFINITION_COLUMNS)),
        hide_index=True,
    )


def _saved(version: culture.MeasureVersion, how: str, before: culture.MeasureDefinition) -> None:
    clear_caches()
    changes = culture_editing.describe_changes(before, version.definition)
    st.session_state[FLASH] = (
        f"Saved {how} as **{md(version.label)}**. Every chart now uses it; earlier versions "
        "stay viewable." + "".join(f"\n- {md(change)}" for change in changes)
    )
    st.rerun()


def _current_tab(current: dict) -> None:
    _definition_table(current["questions"])
    name, data = query(culture_editing.export_file)
    st.download_button(
        "Download this definition (JSON)",
        data,
        file_name=name,
        mime="application/json",
        key="culture_export_current",
        on_click="ignore",
        icon=":material/download:",
        help="A file another system can import on its own Settings page.",
    )


def _edit_tab(current: dict) -> None:
    if not culture_editing.can_edit(viewer()):
        st.info("Only an admin can change the culture measure.", icon=":material/lock:")
        return
    st.caption(
        "Change a cell, add a row at the bottom (a question in a new or existing dimension), "
        "or select rows and delete them. Rename a dimension by changing its name on each of "
        "its rows. Weights are relative (1 = equal); untick *Higher is better* for a "
        "question where agreeing is unfavourable. Saving makes a new version: the current "
        "one stays viewable."
    )
    version = current["version"]
    before = query(culture_editing.measure_definition)
    with st.form(f"culture_edit_form_v{version}"):
        name = st.text_input("Measure name", current["name"], key=f"culture_name_v{version}")
        description = st.text_area(
            "Description", current["description"], key=f"culture_description_v{version}"
        )
        edited = st.data_editor(
            culture_editing.editor_table(before),
            key=f"culture_editor_v{version}",
            num_rows="dynamic",
            hide_index=True,
            width="stretch",
            column_config={
                "dimension": st.column_config.TextColumn("Dimension", required=True),
                "dimension_weight": st.column_config.NumberColumn(
                    "Dimension weight", min_value=0.01, step=0.1, default=1.0, format="%g"
                ),
                "question_code": st.column_config.TextColumn(
                    "Question code",
                    required=True,
                    help="As in the staff survey or pulse survey uploads, e.g. q3c.",
                ),
                "question_text": st.column_config.TextColumn("Wording", width="large"),
                "question_weight": st.column_config.NumberColumn(
                    "Question weight", min_value=0.01, step=0.1, default=1.0, format="%g"
                ),
                "higher_is_better": st.column_config.CheckboxColumn(
                    "Higher is better", default=True
                ),
            },
        )
        note = st.text_area(
            "Why is the measure changing? (required)",
            key=f"culture_note_v{version}",
            placeholder="e.g. Agreed at the system culture workshop on 3 March: add q3f.",
        )
        submitted = st.form_submit_button("Save as a new version", type="primary")
    if not submitted:
        return
    saved, problems = culture_editing.save_edited(
        database(), viewer(), edited, name=name, description=description, note=note
    )
    if problems:
        _show_problems(problems, "Nothing was saved:")
        return
    _saved(saved, "the edited measure", before)


def _versions_tab(current: dict) -> None:
    listed = query(culture.versions)
    st.dataframe(
        culture_views.screen_table(
            culture_views.download_table(
                listed.assign(created_at=listed["created_at"].map(local_time)),
                {
                    "version": "Version",
                    "measure_name": "Name",
                    "note": "Why",
                    "created_by": "Saved by",
                    "created_at": "Saved on",
                    "dimensions": "Dimensions",
                    "questions": "Questions",
                },
            )
        ),
        hide_index=True,
    )
    numbers = [int(v) for v in listed["version"]]
    chosen = st.selectbox(
        "See a version's definition",
        numbers,
        format_func=lambda v: f"Version {v}" + (" (current)" if v == current["version"] else ""),
        key="culture_version_view",
    )
    summary = query(culture_views.measure_summary, chosen)
    st.markdown(f"**{md(summary['label'])}**: {md(summary['description'] or 'no description')}")
    st.caption(
        f"Saved by {md(summary['created_by'])} on {uk_date(summary['created_at'])}. "
        f"Why: {md(summary['note'])}"
    )
    _definition_table(summary["questions"])
    name, data = query(culture_editing.export_file, chosen)
    st.download_button(
        f"Download version {chosen} (JSON)",
        data,
        file_name=name,
        mime="application/json",
        key="culture_export_chosen",
        on_click="ignore",
        icon=":material/download:",
    )
    st.caption("The Culture page can show the scores of any version: pick it there.")


def _import_tab(current: dict) -> None:
    st.caption(
        "Import a culture measure exported from this dashboard (here or in another system). "
        "It is checked first, then saved as a new version with a note."
    )
    round_no = st.session_state.get(IMPORT_ROUND, 0)
    upload = st.file_uploader(
        "Culture measure file (JSON)", type=["json"], key=f"culture_import_{round_no}"
    )
    if upload is None:
        return
    data = upload.getvalue()
    definition, problems = culture.import_definition(data)
    if problems:
        _show_problems(problems, f"{md(upload.name)} cannot be imported:")
        return
    st.markdown(f"**{md(definition.name)}** from {md(upload.name)}:")
    _definition_table(definition.question_frame())
    old = query(culture_editing.measure_definition)
    changes = culture_editing.describe_changes(old, definition)
    if changes:
        st.markdown(f"Compared with version {current['version']}:\n" + md_list(changes))
    unknown = query(culture_editing.unknown_question_codes, tuple(definition.question_codes))
    if unknown:
        st.warning(
            f"Not in any upload yet: {md_join(unknown)}. These questions add nothing to "
            "the scores until results for them are uploaded.",
            icon=":material/warning:",
        )
    if not culture_editing.can_edit(viewer()):
        st.info("Only an admin can save an imported measure.", icon=":material/lock:")
        return
    note = st.text_area(
        "Why is the measure changing? (required)", key=f"culture_import_note_{round_no}"
    )
    if st.button(
        "Save the imported measure as a new version", key=f"culture_import_save_{round_no}"
    ):
        saved, problems = culture_editing.save_imported(database(), viewer(), data, note=note)
        if problems:
            _show_problems(problems, "Nothing was saved:")
            return
        st.session_state[IMPORT_ROUND] = round_no + 1
        _saved(saved, f"the measure from {md(upload.name)}", old)


def culture_measure_section() -> None:
    """The culture measure: see, edit and save versions, browse old ones, export and import."""
    st.header("Culture measure")
    st.markdown(
        "The locally agreed way of measuring improvement culture: which survey questions, in "
        "which dimensions, with what weights. Every chart on the Culture page says which "
        "version it uses."
    )
    flash = st.session_state.pop(FLASH, None)
    if flash:
        st.success(flash, icon=":material/check_circle:")
    current = query(culture_views.measure_summary)
    st.markdown(
        f"**Current: {md(current['label'])}**, saved by {md(current['created_by'])} on "
        f"{uk_date(current['created_at'])}. Why: {md(current['note'])}"
    )
    unknown = query(
        culture_editing.unknown_question_codes,
        tuple(sorted(set(current["questions"]["question_code"]))),
    )
    if unknown:
        st.caption(
            f"No results uploaded yet for {md_join(unknown)}: they add nothing to the scores "
            "until there are."
        )
    see, edit, earlier, share = st.tabs(
        ["Current version", "Edit", "Earlier versions", "Export and import"]
    )
    with see:
        _current_tab(current)
    with edit:
        _edit_tab(current)
    with earlier:
        _versions_tab(current)
    with share:
        _import_tab(current)
