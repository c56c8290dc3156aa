"""Compare: organisations side by side, fairly (funnel plots, intervals, SPC trends), whom to
learn from, the learning visits between them, and the board pack."""

from __future__ import annotations

import datetime as dt

import streamlit as st
from streamlit.errors import StreamlitAPIException

from impact_data.access import AccessDenied
from impact_data.measures.national import source_label
from impact_data.measures.period import period_index
from impact_data.views import compare
from impact_data.views.culture import period_label, screen_table
from ui.board_pack import board_pack_pdf, pack_sections
from ui.capability import compare_section as capability_section
from ui.case_study_links import case_study_links
from ui.charts import compare as charts
from ui.components import (
    chart_spec,
    chart_text,
    chart_with_text,
    show_change_notes,
    table_with_downloads,
)
from ui.guide import help_line
from ui.navigation import leave_pages_folder_mode
from ui.period import reporting_period, show_period
from ui.safe import md
from ui.state import clear_caches, database, query, viewer

leave_pages_folder_mode()  # a deep link opened before anyone opened / (ui.navigation)

ALL = compare.ALL_ORGANISATIONS
FLASH = "compare_flash"


def national_source(measure) -> None:
    """Under any chart of national figures: which national release they come from."""
    if measure.family == "national" or measure.source == "national":
        label = source_label(database(), "benchmark") or source_label(database(), "detailed")
        if label:
            st.caption(f"Source: {md(label)}.")


def measure_choice(options: list, key: str, label: str = "Measure", index: int = 0):
    return st.selectbox(label, options, index=index, format_func=lambda m: m.label, key=key)


def period_choice(measure, key: str):
    periods = query(compare.periods, measure)
    if not periods:
        if measure.family == "readiness":
            st.caption("Readiness: each organisation's latest check, pooled over its teams.")
        return None
    return st.selectbox(
        "Period",
        periods,
        index=period_index(periods, reporting),
        format_func=period_label,
        key=key,
        help="Opens on the newest period on or before the reporting period.",
    )


st.title("Compare")
st.caption(
    help_line({"funnel": "funnel plots and intervals", "pp": "pp", "suppression": "hidden figures"})
)
st.markdown(
    "Organisations side by side, with the statistics done right: proportions on **funnel "
    "plots** (95% and 99.8% limits that narrow as responses grow, adjusted for "
    "over-dispersion unless you choose otherwise), means with **95% "
    "intervals**, trends with **SPC** icons. No league tables: read every figure with its "
    "limits. Groups with too few responses are *suppressed* and never drawn."
)
reporting = reporting_period()  # the sidebar's reporting period (ui.period)
show_period(reporting)
show_change_notes()  # the culture measure or suppression threshold changed

names = query(compare.organisation_names)
if not names:
    st.info(
        "There are no organisations yet, so there is nothing to compare. Load your "
        "organisations and results on the Upload page, or load the sample system from the "
        "Overview page.",
        icon=":material/info:",
    )
    st.stop()

codes = list(names)
own = [c for c in codes if c in viewer().org_codes]
left, right = st.columns(2)
org = left.selectbox(
    "Your organisation",
    codes,
    index=codes.index(own[0]) if own else 0,
    format_func=names.get,
    key="compare_org",
    help="Ringed and named in every chart, and the one 'Who could we learn from?' is for.",
)
groups = query(compare.peer_group_options)
peer = right.selectbox(
    "Compare with",
    [ALL, *groups],
    format_func=lambda g: g if g == ALL else f"Peer group: {g}",
    key="compare_peer",
    help="Like with like: a peer group is the NHS Staff Survey benchmarking group (or the "
    "organisation type). The system value and limits are then the peer group's.",
)
peer_group = None if peer == ALL else peer
st.caption(f"{md(names[org])} is in the peer group *{md(query(compare.peer_group_of, org))}*.")

db, who = database(), viewer()
with st.expander("Choose what the board pack holds"):
    st.caption(
        "Tick the sections to include, choose the organisations (all you may see, unless you "
        "choose fewer) and, if you like, write a commentary for each section: it is printed "
        "under the section's heading, as you typed it, with your name and today's date."
    )
    pack_names = pack_sections(db)
    ticks = st.columns(2)
    pack_chosen = [
        name
        for i, name in enumerate(pack_names)
        if ticks[i % 2].checkbox(name, value=True, key=f"pack_section_{i}")
    ]
    pack_orgs = st.multiselect(
        "Organisations in the pack",
        codes,
        default=codes,
        format_func=names.get,
        key="pack_orgs",
        help="Charts and tables show these organisations; limits and system values stay the "
        "whole comparison group's.",
    )
    pack_notes = {
        name: st.text_area(f"Commentary: {name}", key=f"pack_note_{i}", max_chars=3000)
        for i, name in enumerate(pack_names)
        if name in pack_chosen
    }
st.download_button(
    "Download board pack (PDF)",
    # Built only when clicked: it renders every chart, which takes a while.
    lambda: board_pack_pdf(
        db,
        who,
        peer_group=peer_group,
        highlight=org,
        period=reporting,
        sections=pack_chosen,
        organisations=None if set(pack_orgs) == set(codes) else pack_orgs,
        commentary=pack_notes,
        author=who.user,
    ),
    file_name=f"impact-board-pack-{reporting.key}.pdf",
    mime="application/pdf",
    key="board_pack",
    on_click="ignore",
    disabled=not pack_orgs or not pack_chosen,
    type="primary",
    icon=":material/picture_as_pdf:",
    help="Overview, culture, readiness, PDSA activity, improvement capability, funnel plots "
    "and learning visits as one PDF, with the data date, measure version and suppression rule "
    "on every page. Built here, with no internet; it takes a little while.",
)

flash = st.session_state.pop(FLASH, None)
if flash:
    st.success(flash, icon=":material/check_circle:")

funnels, intervals, trends, learn, visits, capability = st.tabs(
    [
        "Funnel plots",
        "Intervals",
        "Trends",
        "Who could we learn from?",
        "Learning visits",
        "Improvement capability",
    ]
)


@st.fragment
def funnel_section(org: str, peer_group: str | None) -> None:
    options = query(compare.measure_options, statistic="proportion")
    if not options:
        st.info("No survey results or readiness checks to compare yet.")
        return
    measure = measure_choice(options, "funnel_measure", "Measure (a proportion)")
    period = period_choice(measure, "funnel_period")
    limits = st.radio(
        "Limits",
        list(compare.OVERDISPERSION_CHOICES),
        format_func=compare.OVERDISPERSION_CHOICES.get,
        horizontal=True,
        key="funnel_limits",
        help="With thousands of responses per organisation, real differences between "
        "organisations exceed chance, and unadjusted (binomial) limits flag half of them. "
        "Adjusted limits (Spiegelhalter 2005) flag only those beyond the ordinary spread.",
    )
    funnel = query(
        compare.funnel_frame, measure, period=period, peer_group=peer_group, overdispersion=limits
    )
    if funnel.empty or funnel["suppressed"].all():
        st.info("No organisation can be shown for this measure: every figure is suppressed.")
        return
    text = chart_text(compare.funnel_text, funnel, highlight=org)
    lines = compare.funnel_lines(funnel)
    chart_with_text(chart_spec(charts.funnel_chart, funnel, lines=lines, highlight=org), text)
    national_source(measure)
    st.subheader("Organisations outside the limits", anchor=False)
    outside = compare.funnel_table(compare.outside_limits(funnel))
    if outside.empty:
        st.caption(
            "Every organisation is within the 95% limits: differences are what chance gives."
        )
    else:
        table_with_downloads(outside, "outside the limits", "funnel_outside")
    with st.expander("Every organisation in the funnel plot"):
        table_with_downloads(compare.funnel_table(funnel), "funnel plot", "funnel_all")


@st.fragment
def interval_section(org: str, peer_group: str | None) -> None:
    options = [
        *query(compare.measure_options, statistic="mean"),
        *query(compare.measure_options, statistic="proportion"),
    ]
    if not options:
        st.info("No survey results or readiness checks to compare yet.")
        return
    measure = measure_choice(options, "interval_measure")
    period = period_choice(measure, "interval_period")
    frame = query(compare.caterpillar_frame, measure, period=period, peer_group=peer_group)
    if frame.empty or frame["suppressed"].all():
        st.info("No organisation can be shown for this measure: every figure is suppressed.")
        return
    if measure.family == "national":
        st.caption(
            "The national files publish no spread for 0-10 scores: these intervals assume a "
            f"person-level standard deviation of {query(compare.nss_score_sd):g}, so they "
            "are approximate."
        )
    chart_with_text(
        chart_spec(charts.caterpillar_chart, frame, highlight=org),
        chart_text(compare.caterpillar_text, frame, highlight=org),
    )
    national_source(measure)
    table_with_downloads(
        compare.caterpillar_table(frame), "intervals", "interval_table", display=screen_table
    )


@st.fragment
def trend_section(peer_group: str | None) -> None:
    options = query(compare.measure_options)
    if not options:
        st.info("No survey results or readiness checks yet.")
        return
    measure = measure_choice(options, "trend_measure", index=compare.default_trend_index(options))
    panel = query(compare.trend_panel, measure, peer_group=peer_group, until=reporting.end)
    frame = panel["frame"]
    if frame.empty or frame["suppressed"].all():
        st.info("No organisation has figures over time for this measure.")
        return
    chart_with_text(chart_spec(charts.trends_chart, frame), panel["text"], width="content")
    national_source(measure)
    table_with_downloads(panel["table"], "trends and SPC icons", "trend_table")


@st.fragment
def learn_section(org: str) -> None:
    st.markdown(
        f"Organisations **significantly better** than {md(names[org])} on a measure (a test at "
        "the 5% level, not just a higher number), those of the same type first, with the "
        "evidence and any learning visit already recorded between you."
    )
    options = query(compare.measure_options)
    if not options:
        st.info("No survey results or readiness checks yet.")
        return
    measure = measure_choice(options, "learn_measure")
    period = period_choice(measure, "learn_period")
    limits = st.session_state.get("funnel_limits", "auto")
    frame = query(compare.learn_from, org, measure, period=period, overdispersion=limits)
    if frame.empty:
        st.info(md(frame.attrs.get("note", "No suggestions.")), icon=":material/info:")
        return
    st.success(md(frame.attrs.get("note", "")), icon=":material/travel_explore:")
    for sentence in frame["evidence"]:
        st.markdown(f"- {md(sentence)}")
    table_with_downloads(compare.learn_from_table(frame), "who could we learn from", "learn_table")
    learners = frame["org_code"].tolist() if "org_code" in frame else None
    case_study_links(learners, "Their published case studies")


@st.fragment
def visits_section(org: str) -> None:
    reach = query(compare.visit_reach)
    log = query(compare.visits_log)
    text = chart_text(compare.visits_text, reach, log)
    st.markdown(md(text))
    never_visiting = reach.loc[reach["never_visiting"], "org_name"].tolist()
    never_visited = reach.loc[reach["never_visited"], "org_name"].tolist()
    if not log.empty and (never_visiting or never_visited):
        lines = []
        if never_visiting:
            lines.append(f"**Never visited another organisation:** {md(', '.join(never_visiting))}")
        if never_visited:
            lines.append(f"**Never hosted a visit:** {md(', '.join(never_visited))}")
        st.warning("  \n".join(lines), icon=":material/warning:")
    if not log.empty:
        chart_with_text(chart_spec(charts.visit_reach_chart, reach), text)
        table_with_downloads(compare.reach_table(reach), "visits per organisation", "reach_table")
        systems = query(compare.visit_systems)
        shown = st.selectbox(
            "Visits matrix of",
            [None, *systems],
            format_func=lambda s: "the pairs of organisations with visits" if s is None else s,
            key="compare_matrix_of",
            help="One system shows every pair of its organisations, visited or not.",
        )
        if shown is None:
            matrix = query(compare.visit_matrix, only_visited=True)
        else:
            matrix = query(compare.visit_matrix, system=shown)
        # Its own width (34 px a host): fitted to the column, hosts' labels ran together.
        chart_with_text(chart_spec(charts.visit_matrix_chart, matrix), text, width="content")
        with st.expander("The matrix as a table"):
            table_with_downloads(
                compare.visit_matrix_table(matrix), "visits matrix", "matrix_table"
            )
        st.subheader("Learning visits log", anchor=False)
        table_with_downloads(compare.visits_table(log), "learning visits", "visits_log")
    case_study_links(None, "Published case studies across the system")
    record_visit_form(org)
    try:
        st.page_link(
            "pages/upload.py",
            label="Or upload a visits log (kind: Learning visits) on the Upload page",
            icon=":material/upload_file:",
        )
    except StreamlitAPIException:
        st.caption("Or upload a visits log (kind: Learning visits) on the Upload page.")


def record_visit_form(org: str) -> None:
    with st.form("visit_form"):
        st.subheader("Record a learning visit", anchor=False)
        left, right = st.columns(2)
        visitor = left.selectbox(
            "Visiting organisation", codes, index=codes.index(org), format_func=names.get
        )
        host = right.selectbox("Host organisation", codes, format_func=names.get)
        when = left.date_input("Date of the visit", value=dt.date.today(), format="DD/MM/YYYY")
        theme = right.text_input("Theme", placeholder="e.g. Daily improvement huddles")
        participants = left.number_input("Participants", min_value=0, step=1, value=None)
        partners = right.number_input("Lived experience partners", min_value=0, step=1, value=None)
        learning = st.text_area("What was learned")
        if not st.form_submit_button("Save the visit", icon=":material/save:"):
            return
    try:
        compare.record_visit(
            database(),
            viewer(),
            visitor,
            host,
            when,
            theme=theme,
            participants=None if participants is None else int(participants),
            lived_experience_partners=None if partners is None else int(partners),
            learning=learning,
        )
    except compare.VisitRefused as exc:
        st.error("  \n".join(md(m) for m in exc.messages()), icon=":material/error:")
        return
    except AccessDenied as exc:
        st.error(md(exc), icon=":material/lock:")
        return
    clear_caches()
    st.session_state[FLASH] = (
        f"Saved: {md(names[visitor])} visited {md(names[host])} on {when:%d %B %Y}. It is in the upload "
        "history, where it can be deleted."
    )
    st.rerun()


with funnels:
    funnel_section(org, peer_group)
with intervals:
    interval_section(org, peer_group)
with trends:
    trend_section(peer_group)
with learn:
    learn_section(org)
with visits:
    visits_section(org)
with capability:
    capability_section(reporting.end)
