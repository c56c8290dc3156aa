"""PDSA & measures: the project registry, one project's cycles and measure, logging a cycle or
a measure value, and PDSA activity across the system."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from impact_data import AccessDenied
from impact_data.measures import queries
from impact_data.views import pdsa
from ui.charts import pdsa as pdsa_charts
from ui.charts import spc as spc_charts
from ui.components import chart_spec, chart_with_text
from ui.guide import help_line
from ui.navigation import leave_pages_folder_mode
from ui.safe import md, md_list
from ui.state import clear_caches, database, query, viewer

leave_pages_folder_mode()  # a deep link opened before anyone opened / (ui.navigation)

FLASH = "pdsa_flash"
DECISION_OPTIONS = [None, "adopt", "adapt", "abandon"]


def org_label(code: str) -> str:
    return f"{code} · {org_names.get(code, code)}"


@st.fragment
def measure_section(project_id: str, detail: dict) -> None:
    measure = detail["measure_name"] or "Measure"
    st.subheader(f"Measure: {md(measure)}")
    if not detail["measure_points"]:
        st.info("No values for this measure yet. Add the first one below.")
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
        dates = query(pdsa.measure_chart_data, project_id)["x"].tolist()
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
        )
    except ValueError as exc:
        st.warning(f"That chart cannot be drawn: {md(exc)}.", icon=":material/warning:")
        return
    reading = pdsa.measure_reading(data)
    annotations = query(pdsa.cycle_annotations, project_id) if show_cycles else None
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


def project_view(project_id: str) -> None:
    """Aim, measure, change ideas, cadence, the cycles, the measure chart and the entry forms."""
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

    cadence = query(pdsa.cadence, project_id)
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
    timeline = query(pdsa.cycle_timeline, project_id)
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

    st.subheader("Add to this project")
    if not detail["can_log"]:
        st.info("You can add cycles and measure values only for your own organisation's projects.")
    else:
        cycle_tab, measure_tab = st.tabs(["Log a PDSA cycle", "Add a measure value"])
        with cycle_tab:
            cycle_form(project_id, detail)
        with measure_tab:
            measure_form(project_id, detail)


def cycle_form(project_id: str, detail: dict) -> None:
    """The form that logs a PDSA cycle, saved through the data layer as an upload."""
    with st.form(f"log-cycle-{project_id}"):
        st.text_input("Project", f"{project_id} · {detail['title']}", disabled=True)
        cycle_no = st.number_input(
            "Cycle number",
            min_value=1,
            step=1,
            value=query(pdsa.next_cycle_no, project_id),
        )
        start_date = st.date_input("Start date", value=dt.date.today(), format="DD/MM/YYYY")
        end_date = st.date_input(
            "End date (leave empty while the cycle runs)", value=None, format="DD/MM/YYYY"
        )
        change_tested = st.text_input("Change tested")
        prediction = st.text_area("Prediction: what do we expect to happen?")
        what_happened = st.text_area("What happened")
        learning = st.text_area("Learning")
        decision = st.selectbox(
            "Decision",
            DECISION_OPTIONS,
            format_func=lambda d: pdsa.DECISION_NAMES[d] if d else "None yet (running)",
        )
        if st.form_submit_button("Save cycle", type="primary"):
            try:
                result = pdsa.log_cycle(
                    database(),
                    viewer(),
                    project_id,
                    cycle_no=int(cycle_no),
                    start_date=start_date,
                    end_date=end_date,
                    change_tested=change_tested,
                    prediction=prediction,
                    what_happened=what_happened,
                    learning=learning,
                    decision=decision,
                )
            except pdsa.EntryRefused as exc:
                st.error("The cycle was not saved:\n\n" + md_list(exc.messages()))
            except AccessDenied as exc:
                st.error(f"The cycle was not saved: {md(exc)}.")
            else:
                clear_caches()
                st.session_state[FLASH] = (
                    f"Cycle {int(cycle_no)} of {md(project_id)} saved as upload "
                    f"{result.upload_id}. To correct it, delete that upload on the Upload "
                    "page and enter it again."
                )
                st.rerun()


def measure_form(project_id: str, detail: dict) -> None:
    """The form that adds a measure value, saved through the data layer as an upload."""
    with st.form(f"log-measure-{project_id}"):
        st.text_input("Project", f"{project_id} · {detail['title']}", disabled=True)
        measure_date = st.date_input("Date", value=dt.date.today(), format="DD/MM/YYYY")
        value = st.number_input(md(detail["measure_name"] or "Value"), value=None)
        numerator = st.number_input("Numerator (optional)", value=None, min_value=0.0)
        denominator = st.number_input("Denominator (optional)", value=None, min_value=0.0)
        exposure = st.number_input(
            "Exposure, e.g. bed days (optional)",
            value=None,
            min_value=0.0,
            help="What a count is per: with it the measure can be drawn as a u-chart.",
        )
        note = st.text_input("Note (optional)")
        if st.form_submit_button("Save value", type="primary"):
            try:
                result = pdsa.log_measure(
                    database(),
                    viewer(),
                    project_id,
                    date=measure_date,
                    value=value,
                    numerator=numerator,
                    denominator=denominator,
                    exposure=exposure,
                    note=note,
                )
            except pdsa.EntryRefused as exc:
                st.error("The value was not saved:\n\n" + md_list(exc.messages()))
            except AccessDenied as exc:
                st.error(f"The value was not saved: {md(exc)}.")
            else:
                clear_caches()
                st.session_state[FLASH] = (
                    f"Measure value for {measure_date:%d/%m/%Y} saved as upload {result.upload_id}."
                )
                st.rerun()


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
st.caption(
    "Improvement projects following the Model for Improvement: their PDSA cycles, how often "
    "they test changes, and whether each measure shows a real change or noise (SPC)."
)

if flash := st.session_state.pop(FLASH, None):
    st.success(flash, icon=":material/check_circle:")

all_projects = query(pdsa.project_summary)
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
    project_id = st.selectbox(
        "Project to look at",
        registry["project_id"].tolist(),
        format_func=lambda ref: f"{ref} · {titles[ref]}",
        placeholder="No project matches these filters: clear a filter to see more",
    )


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
    portfolio = query(pdsa.portfolio, org_codes=org_filter)
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
        "Cycles started in the last 90 days", int(portfolio["cycles_last_90_days"].sum())
    )

    per_month = query(pdsa.system_cycles_per_month, org_codes=org_filter)
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
