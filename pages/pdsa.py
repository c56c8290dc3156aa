"""PDSA & measures: the project registry, one project's cycles and measure, logging a cycle or
a measure value, and PDSA activity across the system."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from impact_data import AccessDenied
from impact_data.learning import case_studies, ideas
from impact_data.learning.library import link_of
from impact_data.measures import queries
from impact_data.views import pdsa
from impact_data.views.wording import uk_date
from ui.charts import pdsa as pdsa_charts
from ui.charts import spc as spc_charts
from ui.components import chart_spec, chart_with_text, show_change_notes
from ui.guide import help_line
from ui.navigation import leave_pages_folder_mode
from ui.period import reporting_period, show_period
from ui.safe import md, md_list
from ui.state import clear_caches, database, query, viewer

leave_pages_folder_mode()  # a deep link opened before anyone opened / (ui.navigation)

FLASH = "pdsa_flash"
REGISTRY_VERSION = "pdsa_registry_version"  # the data version the registry shown was built at
PROBLEM = "pdsa_problem"
DECISION_OPTIONS = [None, "adopt", "adapt", "abandon"]
CYCLE_TEXT = (
    "start_date",
    "end_date",
    "change_tested",
    "prediction",
    "what_happened",
    "learning",
    "decision",
)
VALUE_FIELDS = ("date", "value", "numerator", "denominator", "exposure", "note")
PROJECT_PARAM = "project"  # the chosen project in the address, so it survives a reload


def org_label(code: str) -> str:
    return f"{code} · {org_names.get(code, code)}"


@st.fragment
def measure_section(project_id: str, detail: dict) -> None:
    measure = detail["measure_name"] or "Measure"
    st.subheader(f"Measure: {md(measure)}")
    if not detail["measure_points"]:
        st.info("No values for this measure yet. Add the first one below.")
        return
    # The chart shows the values up to the reporting period's end (`period.up_to`).
    if detail["measure_points"] == query(pdsa.after_period, project_id, period.end)["values"]:
        st.info(
            f"No values of this measure up to {uk_date(period.end)}, the end of the reporting "
            "period: choose a later period in the sidebar to see them."
        )
        return
    charts = detail["charts"]
    recommended = detail["recommended_chart"]
    chart = st.radio(
        "Chart",
        charts,
        index=charts.index(recommended) if recommended in charts else 0,
        format_func=lambda c: pdsa.CHART_NAMES[c] + (" (recommended)" if c == recommended else ""),
        horizontal=True,
        key=f"chart-{project_id}",
        help="XmR chart: Making Data Count limits and icons. Run chart: median and "
        "Anhøj rules. p-chart: for a percentage with its numerator and denominator; p' chart "
        "(Laney): the same, with limits widened when the points vary more than binomial noise "
        "(large denominators). u-chart: a count per exposure (e.g. infections per 10,000 bed "
        "days). c-chart: counts of events in equal opportunity.",
    )
    st.caption(md(detail["recommendation"]))
    rebase_at, baseline, screen, near = None, None, True, False
    show_cycles = st.toggle("Mark PDSA cycle starts", value=True, key=f"cycles-{project_id}")
    if chart == "xmr":
        dates = query(pdsa.measure_chart_data, project_id, until=period.end)["x"].tolist()
        with st.expander("Limits: baseline, rebase, screening"):
            rebase_at = st.multiselect(
                "Recalculate limits from",
                dates[1:],
                format_func=lambda d: f"{d:%d/%m/%Y}",
                key=f"rebase-{project_id}",
                help="Only after a deliberate change to the process: limits are never "
                "recalculated automatically.",
            )
            baseline = st.selectbox(
                "Fix limits from the first points (baseline)",
                [None, *range(2, len(dates) + 1)],
                format_func=lambda n: "No: use all points" if n is None else f"First {n}",
                key=f"baseline-{project_id}",
            )
            screen = st.toggle(
                "Screen out large moving ranges (Making Data Count default)",
                value=True,
                key=f"screen-{project_id}",
            )
            near = st.toggle("Show near-limit lines", key=f"near-{project_id}")
    elif chart in ("p", "p'", "u", "c"):
        near = st.toggle("Show near-limit lines", key=f"near-p-{project_id}")
    try:
        data = query(
            pdsa.measure_chart_data,
            project_id,
            chart=chart,
            rebase_at=tuple(rebase_at) if rebase_at else None,
            fix_after_n_points=baseline,
            screen_outliers=screen,
            until=period.end,
        )
    except ValueError as exc:
        st.warning(f"That chart cannot be drawn: {md(exc)}.", icon=":material/warning:")
        return
    reading = pdsa.measure_reading(data)
    annotations = (
        query(pdsa.cycle_annotations, project_id, until=period.end) if show_cycles else None
    )
    title = f"{measure} over time ({pdsa.CHART_NAMES[chart]})" + (
        ", PDSA cycle starts marked" if show_cycles else ""
    )
    if chart == "xmr":
        figure = chart_spec(
            spc_charts.xmr_chart,
            data,
            title=title,
            value_title=measure,
            annotations=annotations,
            show_near_limits=near,
        )
    elif chart in ("p", "p'", "u", "c"):
        builder = {"u": spc_charts.u_chart, "c": spc_charts.c_chart}.get(chart, spc_charts.p_chart)
        figure = chart_spec(
            builder,
            data,
            title=title,
            value_title=measure,
            annotations=annotations,
            show_near_limits=near,
        )
    else:
        figure = chart_spec(
            spc_charts.run_chart,
            data,
            title=title,
            value_title=measure,
            annotations=annotations,
            subtitle=[reading["variation_label"]],
        )
    label = " ".join(
        part + "." for part in (reading["variation_label"], reading["assurance_label"]) if part
    )
    st.vega_lite_chart(figure, width="stretch", alt=f"{title}. {label} {reading['sentence']}")
    st.markdown(f"**{label}** {reading['sentence']}")


@st.fragment
def learning_links(project_id: str) -> None:
    """Where the project came from (a workshop idea) and its case studies."""
    origin = query(ideas.idea_of_project, project_id)
    if origin is not None:
        st.markdown(
            f"**Started from a workshop idea:** “{md(origin['text'])}” "
            f"({md(origin['workshop'])}, {uk_date(origin['posted'])})"
        )
    stories = query(case_studies.case_studies, project_ref=project_id)
    links = [
        f"[{md(t)}]({link_of('case_study', i, None)})"
        for i, t in zip(stories["id"], stories["title"], strict=True)
    ]
    if links:
        st.caption("**Case studies:** " + " · ".join(links))
    else:
        st.caption("No case study yet: start one from this project on the Case studies page.")


def project_view(project_id: str) -> None:
    """Aim, measure, change ideas, cadence, the cycles, the measure chart and the entry and
    correction forms. A fragment: saving a form reruns only this, so the page keeps its place
    (project, tab and scroll position) and shows the saved change at once."""
    registry_current()
    detail = query(pdsa.project_detail, project_id)
    st.header(md(detail["title"]))
    st.markdown(f"**Aim:** {md(detail['aim'])}")
    facts = [
        md(org_label(detail["org_code"])),
        f"team: {md(detail['team'] or 'not given')}",
        f"status: {md(detail['status'] or 'not given')}",
        f"started {detail['start_date']:%d/%m/%Y}",
        f"coach: {md(detail['coach'] or 'not given')}",
        "co-designed with people with lived experience"
        if detail["lived_experience_involved"]
        else "no lived experience involvement recorded",
    ]
    st.caption(" · ".join(facts))
    st.markdown(
        f"**Measure:** {md(detail['measure_name'] or 'not named')} "
        f"(better is: {md(detail['improvement_direction'] or 'not set')}; "
        f"target: {'none' if detail['target'] is None else format(detail['target'], 'g')})"
    )
    st.markdown(f"**Change ideas:** {md(detail['change_ideas'] or 'none recorded')}")
    learning_links(project_id)

    # Its figures count what was logged up to the reporting period's end, and say what is later.
    later_note = pdsa.after_period_note(
        query(pdsa.after_period, project_id, period.end), period.end
    )
    if later_note:
        st.caption(md(later_note))
    cadence = query(pdsa.cadence, project_id, until=period.end)
    cols = st.columns(5)
    cols[0].metric("Cycles", cadence["cycles"])
    cols[1].metric(
        "Median days between cycle starts",
        "–" if cadence["median_days"] is None else f"{cadence['median_days']:.0f}",
        help="Cadence: days from one cycle's start to the next's. Small, frequent tests "
        "are the aim.",
    )
    cols[2].metric("Adopt", cadence["adopt"])
    cols[3].metric("Adapt", cadence["adapt"])
    cols[4].metric("Abandon", cadence["abandon"])

    st.subheader("PDSA cycles")
    timeline = query(pdsa.cycle_timeline, project_id, as_of=period.end)
    if timeline.empty:
        st.info("No cycles logged yet for this project. Log the first one below.")
    else:
        st.vega_lite_chart(
            chart_spec(
                pdsa_charts.cycle_timeline_chart,
                timeline,
                title=f"PDSA cycles of {project_id}: dates, change tested and decision",
            ),
            width="stretch",
        )
        with st.expander("Cycle details: predictions, what happened, learning"):
            st.dataframe(
                timeline,
                hide_index=True,
                width="stretch",
                column_order=[
                    "cycle_no",
                    "start_date",
                    "end_date",
                    "days_since_previous",
                    "change_tested",
                    "prediction",
                    "what_happened",
                    "learning",
                    "decision_label",
                ],
                column_config={
                    "cycle_no": st.column_config.NumberColumn("Cycle", format="%d"),
                    "start_date": st.column_config.DateColumn("Start", format="DD/MM/YYYY"),
                    "end_date": st.column_config.DateColumn("End", format="DD/MM/YYYY"),
                    "days_since_previous": st.column_config.NumberColumn(
                        "Days since previous start", format="%.0f"
                    ),
                    "change_tested": "Change tested",
                    "prediction": "Prediction",
                    "what_happened": "What happened",
                    "learning": "Learning",
                    "decision_label": "Decision",
                },
            )

    measure_section(project_id, detail)

    st.subheader("Add to this project, or correct it")
    if not detail["can_log"]:
        st.info(
            "You can add, correct and delete cycles and measure values only for your own "
            "organisation's projects."
        )
        return
    # Always one container before the tabs, so a message never moves them (a moved tab bar
    # would open on its first tab again).
    notice = st.container()
    if flash := st.session_state.pop(f"{FLASH}-{project_id}", None):
        notice.success(md(flash), icon=":material/check_circle:")
        st.toast(md(flash), icon=":material/check_circle:")  # seen where the button is
    if problem := st.session_state.pop(f"{PROBLEM}-{project_id}", None):
        notice.error(problem)
    cycle_tab, measure_tab, fix_tab = st.tabs(
        ["Log a PDSA cycle", "Add a measure value", "Correct or delete"]
    )
    with cycle_tab:
        cycle_form(project_id, detail)
    with measure_tab:
        measure_form(project_id, detail)
    with fix_tab:
        # Every cycle may be corrected, also one started after the reporting period.
        correction_forms(project_id, detail, query(pdsa.cycle_timeline, project_id))


def registry_current() -> None:
    """After a save the data version moves on: when this part of the page runs on its own (a
    fragment's rerun) the registry above was built before the save, so rerun the whole page
    and show the registry and the project's figures as they are now (a full run builds the
    registry first, at the current version, and goes on)."""
    if st.session_state.get(REGISTRY_VERSION) != database().data_version():
        st.rerun(scope="app")


def _key(project_id: str, form: str, field: str) -> str:
    return f"{form}-{project_id}-{field}"


def _say_saved(project_id: str, text: str) -> None:
    clear_caches()
    st.session_state[f"{FLASH}-{project_id}"] = text


def _say_refused(project_id: str, what: str, exc: Exception) -> None:
    if isinstance(exc, pdsa.EntryRefused):
        st.session_state[f"{PROBLEM}-{project_id}"] = f"{what}:\n\n" + md_list(exc.messages())
    else:
        st.session_state[f"{PROBLEM}-{project_id}"] = f"{what}: {md(exc)}."


def cycle_form(project_id: str, detail: dict) -> None:
    """The form that logs a PDSA cycle, saved through the data layer as an upload (in its
    button's callback, so the fragment's rerun shows the saved cycle)."""
    key = lambda field: _key(project_id, "log-cycle", field)  # noqa: E731
    if key("cycle_no") not in st.session_state:
        st.session_state[key("cycle_no")] = query(pdsa.next_cycle_no, project_id)
    with st.form(f"log-cycle-{project_id}"):
        st.text_input("Project", f"{project_id} · {detail['title']}", disabled=True)
        st.number_input("Cycle number", min_value=1, step=1, key=key("cycle_no"))
        st.date_input(
            "Start date", value=dt.date.today(), format="DD/MM/YYYY", key=key("start_date")
        )
        st.date_input(
            "End date (leave empty while the cycle runs)",
            value=None,
            format="DD/MM/YYYY",
            key=key("end_date"),
        )
        st.text_input("Change tested", key=key("change_tested"))
        st.text_area("Prediction: what do we expect to happen?", key=key("prediction"))
        st.text_area("What happened", key=key("what_happened"))
        st.text_area("Learning", key=key("learning"))
        st.selectbox(
            "Decision",
            DECISION_OPTIONS,
            format_func=lambda d: pdsa.DECISION_NAMES[d] if d else "None yet (running)",
            key=key("decision"),
        )
        st.form_submit_button(
            "Save cycle", type="primary", on_click=save_new_cycle, args=(project_id,)
        )


def save_new_cycle(project_id: str) -> None:
    key = lambda field: _key(project_id, "log-cycle", field)  # noqa: E731
    state = st.session_state
    cycle_no = int(state[key("cycle_no")])
    try:
        result = pdsa.log_cycle(
            database(),
            viewer(),
            project_id,
            cycle_no=cycle_no,
            **{f: state[key(f)] for f in CYCLE_TEXT},
        )
    except (pdsa.EntryRefused, AccessDenied) as exc:
        _say_refused(project_id, "The cycle was not saved", exc)
        return
    _say_saved(
        project_id,
        f"Cycle {cycle_no} of {project_id} saved as upload {result.upload_id}. To correct "
        "or delete it, use Correct or delete.",
    )
    state[key("cycle_no")] = cycle_no + 1
    for field in ("change_tested", "prediction", "what_happened", "learning"):
        state[key(field)] = ""
    state[key("end_date")] = None
    state[key("decision")] = None


def measure_form(project_id: str, detail: dict) -> None:
    """The form that adds a measure value, saved through the data layer as an upload."""
    key = lambda field: _key(project_id, "log-value", field)  # noqa: E731
    with st.form(f"log-measure-{project_id}"):
        st.text_input("Project", f"{project_id} · {detail['title']}", disabled=True)
        st.date_input("Date", value=dt.date.today(), format="DD/MM/YYYY", key=key("date"))
        st.number_input(md(detail["measure_name"] or "Value"), value=None, key=key("value"))
        st.number_input("Numerator (optional)", value=None, min_value=0.0, key=key("numerator"))
        st.number_input("Denominator (optional)", value=None, min_value=0.0, key=key("denominator"))
        st.number_input(
            "Exposure, e.g. bed days (optional)",
            value=None,
            min_value=0.0,
            help="What a count is per: with it the measure can be drawn as a u-chart.",
            key=key("exposure"),
        )
        st.text_input("Note (optional)", key=key("note"))
        st.form_submit_button(
            "Save value", type="primary", on_click=save_new_value, args=(project_id,)
        )


def save_new_value(project_id: str) -> None:
    key = lambda field: _key(project_id, "log-value", field)  # noqa: E731
    state = st.session_state
    try:
        result = pdsa.log_measure(
            database(), viewer(), project_id, **{f: state[key(f)] for f in VALUE_FIELDS}
        )
    except (pdsa.EntryRefused, AccessDenied) as exc:
        _say_refused(project_id, "The value was not saved", exc)
        return
    _say_saved(
        project_id,
        f"Measure value for {uk_date(state[key('date')])} saved as upload {result.upload_id}.",
    )
    for field in ("value", "numerator", "denominator", "exposure"):
        state[key(field)] = None
    state[key("note")] = ""


def correction_forms(project_id: str, detail: dict, timeline) -> None:
    """Correct or delete one logged cycle or measure value: the form is filled with what is
    stored; saving checks it as an upload would, notes the change on the upload and in the
    audit log."""
    st.caption(
        "Correct a mistake in one cycle or one value, or delete it. The change is checked as "
        "an upload is, written to the audit log, and noted on the upload it came from (if "
        "that upload is later replaced, the file's own rows replace the corrected ones)."
    )
    what = st.radio(
        "What to correct",
        ["A cycle", "A measure value"],
        horizontal=True,
        key=f"fix-what-{project_id}",
    )
    version = database().data_version()
    if what == "A cycle":
        if timeline.empty:
            st.info("This project has no cycles to correct.")
            return
        rows = {int(r["cycle_no"]): r for r in timeline.to_dict("records")}
        chosen = st.selectbox(
            "Cycle to correct or delete",
            list(rows),
            index=None,
            placeholder="Choose a cycle",
            format_func=lambda n: f"Cycle {n}: {rows[n]['label']}",
            key=f"fix-cycle-{project_id}",
        )
        if chosen is not None:
            fix_cycle(project_id, rows[chosen], only=len(rows) == 1, version=version)
        return
    values = query(pdsa.measure_values, project_id)
    if values.empty:
        st.info("This project has no measure values to correct.")
        return
    rows = {r["date"]: r for r in values.to_dict("records")}
    chosen = st.selectbox(
        "Value to correct or delete",
        list(rows),
        index=None,
        placeholder="Choose a value by its date",
        format_func=lambda d: f"{uk_date(d)}: {rows[d]['value']:g}",
        key=f"fix-value-{project_id}",
    )
    if chosen is not None:
        fix_value(project_id, detail, rows[chosen], only=len(rows) == 1, version=version)


def _plain(value):
    return None if value is None or pd.isna(value) else value


def fix_cycle(project_id: str, row: dict, *, only: bool, version: int) -> None:
    number = int(row["cycle_no"])
    key = lambda field: _key(project_id, f"fix-cycle-{number}-{version}", field)  # noqa: E731
    start, end = _plain(row["start_date"]), _plain(row["end_date"])
    with st.form(f"fix-cycle-form-{project_id}-{number}-{version}"):
        st.number_input("Cycle number", min_value=1, step=1, value=number, key=key("cycle_no"))
        st.date_input(
            "Start date",
            value=start.date() if start else None,
            format="DD/MM/YYYY",
            key=key("start_date"),
        )
        st.date_input(
            "End date (leave empty while the cycle runs)",
            value=end.date() if end else None,
            format="DD/MM/YYYY",
            key=key("end_date"),
        )
        st.text_input(
            "Change tested", value=_plain(row["change_tested"]) or "", key=key("change_tested")
        )
        st.text_area(
            "Prediction: what do we expect to happen?",
            value=_plain(row["prediction"]) or "",
            key=key("prediction"),
        )
        st.text_area(
            "What happened", value=_plain(row["what_happened"]) or "", key=key("what_happened")
        )
        st.text_area("Learning", value=_plain(row["learning"]) or "", key=key("learning"))
        st.selectbox(
            "Decision",
            DECISION_OPTIONS,
            index=DECISION_OPTIONS.index(_plain(row["decision"])),
            format_func=lambda d: pdsa.DECISION_NAMES[d] if d else "None yet (running)",
            key=key("decision"),
        )
        st.form_submit_button(
            f"Save changes to cycle {number}",
            type="primary",
            on_click=save_cycle_changes,
            args=(project_id, number, version),
        )
    confirmed_delete(
        f"cycle {number}",
        " (the project's only cycle)" if only else "",
        key,
        on_click=delete_one_cycle,
        args=(project_id, number, only),
    )


def confirmed_delete(what: str, note: str, key, *, on_click, args: tuple) -> None:
    """A delete button that works only once its "Yes, delete ..." box is ticked."""
    confirm = st.checkbox(f"Yes, delete {what}{note}", key=key("confirm"))
    st.button(
        f"Delete {what}", disabled=not confirm, on_click=on_click, args=args, key=key("delete")
    )


def save_cycle_changes(project_id: str, number: int, version: int) -> None:
    state = st.session_state
    key = lambda field: _key(project_id, f"fix-cycle-{number}-{version}", field)  # noqa: E731
    try:
        result = pdsa.edit_cycle(
            database(),
            viewer(),
            project_id,
            number,
            cycle_no=int(state[key("cycle_no")]),
            **{f: state[key(f)] or None for f in CYCLE_TEXT},
        )
    except (pdsa.EntryRefused, AccessDenied) as exc:
        _say_refused(project_id, f"Cycle {number} was not changed", exc)
        return
    _say_saved(project_id, f"Saved: {result.sentence}.")
    state[f"fix-cycle-{project_id}"] = int(state[key("cycle_no")])


def delete_one_cycle(project_id: str, number: int, only: bool) -> None:
    try:
        result = pdsa.delete_cycle(database(), viewer(), project_id, number, confirm_last=only)
    except (pdsa.EntryRefused, AccessDenied) as exc:
        _say_refused(project_id, f"Cycle {number} was not deleted", exc)
        return
    _say_saved(project_id, f"Done: {result.sentence}.")
    st.session_state.pop(f"fix-cycle-{project_id}", None)


def fix_value(project_id: str, detail: dict, row: dict, *, only: bool, version: int) -> None:
    on = row["date"]
    key = lambda field: _key(project_id, f"fix-value-{on}-{version}", field)  # noqa: E731
    with st.form(f"fix-value-form-{project_id}-{on}-{version}"):
        st.date_input("Date", value=on, format="DD/MM/YYYY", key=key("date"))
        st.number_input(
            md(detail["measure_name"] or "Value"), value=float(row["value"]), key=key("value")
        )
        for field, label in (
            ("numerator", "Numerator (optional)"),
            ("denominator", "Denominator (optional)"),
            ("exposure", "Exposure, e.g. bed days (optional)"),
        ):
            stored = _plain(row[field])
            st.number_input(
                label,
                value=None if stored is None else float(stored),
                min_value=0.0,
                key=key(field),
            )
        st.text_input("Note (optional)", value=_plain(row["note"]) or "", key=key("note"))
        st.form_submit_button(
            f"Save changes to the value of {uk_date(on)}",
            type="primary",
            on_click=save_value_changes,
            args=(project_id, on, version),
        )
    confirmed_delete(
        f"the value of {uk_date(on)}",
        " (the measure's only value)" if only else "",
        key,
        on_click=delete_one_value,
        args=(project_id, on, only),
    )


def save_value_changes(project_id: str, on: dt.date, version: int) -> None:
    state = st.session_state
    key = lambda field: _key(project_id, f"fix-value-{on}-{version}", field)  # noqa: E731
    try:
        result = pdsa.edit_measure(
            database(),
            viewer(),
            project_id,
            on,
            **{f: state[key(f)] if f != "note" else state[key(f)] or None for f in VALUE_FIELDS},
        )
    except (pdsa.EntryRefused, AccessDenied) as exc:
        _say_refused(project_id, f"The value of {uk_date(on)} was not changed", exc)
        return
    _say_saved(project_id, f"Saved: {result.sentence}.")
    state[f"fix-value-{project_id}"] = state[key("date")]


def delete_one_value(project_id: str, on: dt.date, only: bool) -> None:
    try:
        result = pdsa.delete_measure(database(), viewer(), project_id, on, confirm_last=only)
    except (pdsa.EntryRefused, AccessDenied) as exc:
        _say_refused(project_id, f"The value of {uk_date(on)} was not deleted", exc)
        return
    _say_saved(project_id, f"Done: {result.sentence}.")
    st.session_state.pop(f"fix-value-{project_id}", None)


st.title("PDSA & measures")
st.caption(
    help_line(
        {
            "pdsa": "PDSA cycles",
            "xmr": "XmR and run charts",
            "assurance": "assurance",
            "p-chart": "p and p' charts",
        }
    )
)
period = reporting_period()  # the sidebar's reporting period (ui.period)
show_period(period)
show_change_notes()  # the culture measure or suppression threshold changed
st.caption(
    "Improvement projects following the Model for Improvement: their PDSA cycles, how often "
    "they test changes, and whether each measure shows a real change or noise (SPC)."
)

if flash := st.session_state.pop(FLASH, None):
    st.success(flash, icon=":material/check_circle:")

# The registry counts cycles and values up to the reporting period's end (`period.up_to`).
st.session_state[REGISTRY_VERSION] = database().data_version()
all_projects = query(pdsa.project_summary, until=period.end)
if all_projects.empty:
    st.info(
        "There are no PDSA projects yet. Upload a PDSA workbook (sheets Projects, Cycles and "
        "Measures) on the Upload page, where a blank template is available. Once a project "
        "is loaded you can log its cycles and measure values here.",
        icon=":material/info:",
    )
    st.stop()

org_names = query(queries.organisations).set_index("org_code")["org_name"].to_dict()


projects_tab, system_tab = st.tabs(["Projects", "Across the system"])

with projects_tab:
    st.header("Project registry")
    left, middle, right = st.columns(3)
    chosen_orgs = left.multiselect(
        "Organisation", sorted(all_projects["org_code"].unique()), format_func=org_label
    )
    chosen_statuses = middle.multiselect("Status", sorted(all_projects["status"].dropna().unique()))
    chosen_teams = right.multiselect("Team", sorted(all_projects["team"].dropna().unique()))
    # One registry per data version: the filters pick its rows, never recompute it.
    registry = pdsa.filter_registry(
        all_projects,
        org_codes=chosen_orgs or None,
        statuses=chosen_statuses or None,
        teams=chosen_teams or None,
    )
    st.caption(
        f"{len(registry)} of {len(all_projects)} projects. Variation and assurance are read "
        "from each measure's XmR chart with default settings: the same icons the chart shows."
    )
    st.dataframe(
        registry,
        hide_index=True,
        width="stretch",
        column_order=[
            "project_id",
            "org_code",
            "title",
            "team",
            "status",
            "cycles",
            "last_cycle",
            "latest_decision",
            "median_cadence_days",
            "lived_experience_involved",
            "variation_icon",
            "assurance_icon",
        ],
        column_config={
            "project_id": "Project",
            "org_code": "Organisation",
            "title": st.column_config.TextColumn("Title", width="medium"),
            "team": "Team",
            "status": "Status",
            "cycles": st.column_config.NumberColumn("Cycles", format="%d"),
            "last_cycle": st.column_config.DateColumn("Last cycle", format="DD/MM/YYYY"),
            "latest_decision": "Latest decision",
            "median_cadence_days": st.column_config.NumberColumn(
                "Median days between cycles", format="%.0f"
            ),
            "lived_experience_involved": st.column_config.CheckboxColumn(
                "Lived experience", help="Co-designed with people with lived experience"
            ),
            "variation_icon": st.column_config.TextColumn("Variation", width="medium"),
            "assurance_icon": st.column_config.TextColumn("Assurance", width="medium"),
        },
    )

    titles = dict(zip(registry["project_id"], registry["title"], strict=True))
    choices = registry["project_id"].tolist()
    # The chosen project is kept in the address (and so through saves and reloads).
    asked = st.query_params.get(PROJECT_PARAM)
    project_id = st.selectbox(
        "Project to look at",
        choices,
        index=choices.index(asked) if asked in choices else 0,
        format_func=lambda ref: f"{ref} · {titles[ref]}",
        placeholder="No project matches these filters: clear a filter to see more",
    )
    if project_id is not None and st.query_params.get(PROJECT_PARAM) != project_id:
        st.query_params[PROJECT_PARAM] = project_id


with projects_tab:
    if project_id is not None:
        project_view(project_id)

with system_tab:
    st.header("PDSA activity across the system")
    system_orgs = st.multiselect(
        "Organisations (all if none chosen)",
        sorted(org_names),
        format_func=org_label,
        key="system-orgs",
    )
    org_filter = tuple(system_orgs) or None
    portfolio = query(pdsa.portfolio, org_codes=org_filter, as_of=period.end)
    totals = pdsa.portfolio_totals(portfolio)
    cols = st.columns(4)
    cols[0].metric("Projects", totals["projects"])
    cols[1].metric("Active projects", totals["active_projects"])
    cols[2].metric(
        "Co-designed with lived experience",
        "–"
        if totals["lived_experience_share"] is None
        else f"{totals['lived_experience_share']:.0%}",
        help=f"{totals['lived_experience_projects']} of {totals['projects']} projects",
    )
    cols[3].metric(
        "Cycles started in the last 90 days",
        int(portfolio["cycles_last_90_days"].sum()),
        help=f"Started {period.window_label}.",
    )

    per_month = query(pdsa.system_cycles_per_month, org_codes=org_filter, as_of=period.end)
    if per_month.empty:
        st.info("No PDSA cycles have been logged for these organisations yet.")
    else:
        chart_with_text(
            chart_spec(
                pdsa_charts.cycles_per_month_chart,
                per_month,
                title="PDSA cycles started per month, chosen organisations",
            ),
            f"{int(per_month['cycles'].sum())} cycles from {per_month['month'].min():%B %Y} "
            f"to {per_month['month'].max():%B %Y}.",
        )
    left, right = st.columns(2)
    with left:
        if totals["projects"]:
            st.vega_lite_chart(
                chart_spec(
                    pdsa_charts.lived_experience_chart,
                    portfolio,
                    title="Projects co-designed with people with lived experience",
                ),
                width="stretch",
            )
    with right:
        if sum(totals[d] for d in ("adopt", "adapt", "abandon")):
            st.vega_lite_chart(
                chart_spec(
                    pdsa_charts.decision_chart,
                    pdsa.decision_table(portfolio),
                    title="Decisions after PDSA cycles",
                ),
                width="stretch",
            )
    st.dataframe(
        portfolio,
        hide_index=True,
        width="stretch",
        column_order=[
            "org_code",
            "org_name",
            "projects",
            "active_projects",
            "cycles_last_90_days",
            "lived_experience_projects",
            "lived_experience_share",
            "adopt",
            "adapt",
            "abandon",
            "running",
        ],
        column_config={
            "org_code": "Code",
            "org_name": "Organisation",
            "projects": "Projects",
            "active_projects": "Active",
            "cycles_last_90_days": "Cycles, last 90 days",
            "lived_experience_projects": "Co-designed",
            "lived_experience_share": st.column_config.NumberColumn(
                "Co-designed share", format="percent"
            ),
            "adopt": "Adopt",
            "adapt": "Adapt",
            "abandon": "Abandon",
            "running": "Running",
        },
    )
