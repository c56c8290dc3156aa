"""Overview: every organisation of the system at a glance, and one organisation's detail."""

from __future__ import annotations

import streamlit as st

from impact_data.ingest.kinds import ORG_TYPES
from impact_data.views import freshness, overview
from ui.capability import overview_section as capability_section
from ui.charts import overview as charts
from ui.components import chart_spec, chart_text, chart_with_text, data_behind, show_change_notes
from ui.first_run import is_first_run, show_first_run
from ui.guide import help_line
from ui.navigation import leave_pages_folder_mode
from ui.period import reporting_period, show_period
from ui.safe import md
from ui.state import database, query

leave_pages_folder_mode()  # a deep link opened before anyone opened / (ui.navigation)

if is_first_run():
    show_first_run()
    st.stop()

TABLE_KEY = "overview_table"
ORG_KEY = "overview_org"
ROWS_KEY = "overview_table_orgs"

st.title("System overview")
st.caption(
    help_line(
        {"variation": "variation icons", "assurance": "assurance", "suppression": "hidden figures"}
    )
)
st.markdown(
    "Each organisation's improvement culture, readiness for change, NHS IMPACT maturity and "
    "PDSA activity. Trends show change over time; the variation column says whether the latest "
    "change is a real signal (SPC) or noise. Choose a row to see the organisation's detail."
)
period = reporting_period()  # the sidebar's reporting period (ui.period)
show_period(period)
show_change_notes()  # the culture measure or suppression threshold changed

options = query(overview.filter_options)
left, right = st.columns(2)
org_types = left.multiselect(
    "Organisation type",
    options["org_types"],
    format_func=lambda t: ORG_TYPES.get(t, t),
    placeholder="All types",
)
systems = right.multiselect("System", options["systems"], placeholder="All systems")

frame = query(
    overview.system_overview,
    org_types=tuple(org_types),
    systems=tuple(systems),
    as_of=period.end,
)
if frame.empty:
    st.info("No organisations match these filters. Clear a filter to see more.")
    st.stop()


def _table_selected() -> None:
    rows = st.session_state[TABLE_KEY].selection.rows
    codes = st.session_state.get(ROWS_KEY, [])
    if rows and rows[0] < len(codes):
        st.session_state[ORG_KEY] = codes[rows[0]]


trend = st.column_config.LineChartColumn
text = st.column_config.TextColumn
st.session_state[ROWS_KEY] = frame["org_code"].tolist()
threshold = database().suppression_threshold()
st.dataframe(
    overview.overview_table(frame),
    key=TABLE_KEY,
    on_select=_table_selected,
    selection_mode="single-row",
    hide_index=True,
    alt="Organisations of the system: culture, readiness, NHS IMPACT maturity and PDSA activity",
    column_config={
        "Organisation": text(pinned=True, width="large"),
        "Culture by year": trend(help="Culture measure per staff survey year (% positive)"),
        "Culture by month (pulse)": trend(help="Culture measure per month, pulse survey"),
        "Culture variation (monthly)": text(
            help="SPC p-chart of the monthly pulse culture measure, judged at the latest month"
        ),
        "Readiness by check": trend(help="ORIC commitment at each check date, pooled over teams"),
        "Maturity by assessment": trend(help="Mean NHS IMPACT level at each self-assessment"),
        "PDSA cycles by month": trend(help="PDSA cycles started per month"),
        "PDSA variation (monthly)": text(help="XmR chart of PDSA cycles started per month"),
    },
)
st.caption(
    f"**Culture** is the {md(overview.current_measure(database()).name)}: "
    f"{md(overview.current_measure(database()).description)}; change is in percentage points (pp). "
    "**Readiness**: ORIC means (1-5) from each team's latest check, pooled over teams. "
    "**Maturity**: mean self-assessed level of the five NHS IMPACT components, levels in "
    "component order. **Variation**: ● common cause, ◆ special cause improvement, ■ special "
    "cause concern, ▲▼ special cause high/low; 'too few' means not enough points to judge, "
    f"not that it is stable. **suppressed**: fewer than {threshold} responses, not shown so "
    "that no one can be identified."
)

with st.expander("Culture measure by survey year, one chart per organisation"):
    by_year = query(overview.culture_by_year, org_codes=tuple(frame["org_code"]), until=period.end)
    if by_year.empty:
        st.info("No staff survey results for these organisations yet.")
    else:
        chart_with_text(
            chart_spec(charts.culture_trends_chart, by_year),
            chart_text(charts.culture_trends_text, by_year),
        )
        st.dataframe(
            overview.readable(
                by_year,
                {
                    "org_name": "Organisation",
                    "year": "Year",
                    "positive_pct": "% positive",
                    "change_pp": "Change (pp)",
                    "responses": "Responses",
                },
                {"positive_pct": "{:.1f}", "change_pp": "{:+.1f}", "responses": "{:,}"},
            ),
            hide_index=True,
        )

with st.expander(f"Data freshness for {period.label}: missing or stale data per organisation"):
    st.caption(md(freshness.freshness_rules(period)))
    for line in query(freshness.freshness_summary, period):
        st.markdown(f"- {md(line)}")
    st.dataframe(
        query(freshness.freshness_table, period),
        hide_index=True,
        column_config={"Organisation": st.column_config.TextColumn(pinned=True)},
    )


def _nothing_to_show(detail: overview.OrgDetail, section: str) -> bool:
    """Say in plain words why a section is empty; True if it is."""
    reason = detail.why_nothing_to_show(section)
    if reason:
        st.info(md(reason))
    return reason is not None


def _culture_tab(detail: overview.OrgDetail) -> None:
    st.caption(f"Measure: {md(overview.current_measure(database()).name)}.")
    if not _nothing_to_show(detail, "culture_years"):
        chart_with_text(
            chart_spec(charts.culture_questions_chart, detail.culture_questions),
            chart_text(charts.culture_questions_text, detail.culture_questions),
        )
        data_behind(
            overview.readable(
                detail.culture_questions,
                {
                    "year": "Year",
                    "question_code": "Question",
                    "question_text": "Wording",
                    "positive_pct": "% positive",
                    "responses": "Responses",
                },
                {"positive_pct": "{:.1f}", "responses": "{:,}"},
            ),
            f"{detail.org_name} culture questions",
            "overview_culture_questions",
        )
    if not _nothing_to_show(detail, "culture_months"):
        chart_with_text(
            chart_spec(
                charts.culture_month_chart, detail.culture_by_month, org_name=detail.org_name
            ),
            chart_text(
                charts.culture_month_text, detail.culture_by_month, detail.culture_month_summary
            ),
        )
        data_behind(
            overview.readable(
                detail.culture_by_month,
                {"month": "Month", "positive_pct": "% positive", "respondents": "Respondents"},
                {"month": "%b %Y", "positive_pct": "{:.1f}", "respondents": "{:,}"},
            ),
            f"{detail.org_name} culture by month",
            "overview_culture_months",
        )


def _readiness_tab(detail: overview.OrgDetail) -> None:
    if _nothing_to_show(detail, "readiness_rounds"):
        return
    rounds, teams = detail.readiness_by_round, detail.readiness_by_team
    summary = chart_text(charts.readiness_text, teams, rounds)
    chart_with_text(chart_spec(charts.readiness_rounds_chart, rounds), summary)
    data_behind(
        overview.readable(
            rounds,
            {
                "assessment_date": "Round (month)",
                "teams": "Teams",
                "commitment": "Commitment (1-5)",
                "efficacy": "Efficacy (1-5)",
                "n": "Respondents",
            },
            {"commitment": "{:.2f}", "efficacy": "{:.2f}"},
        ),
        f"{detail.org_name} readiness by check",
        "overview_readiness_rounds",
    )
    if not _nothing_to_show(detail, "readiness_teams"):
        chart_with_text(
            chart_spec(charts.readiness_team_chart, teams), "Readiness by team: " + summary
        )
    if not detail.can_see_team_detail:
        return
    st.dataframe(
        overview.readable(
            teams,
            {
                "team": "Team",
                "programme": "Programme",
                "assessment_date": "Latest round (month)",
                "rounds": "Rounds",
                "commitment": "Commitment (1-5)",
                "efficacy": "Efficacy (1-5)",
                "n": "Respondents",
            },
            {"commitment": "{:.2f}", "efficacy": "{:.2f}"},
        ),
        hide_index=True,
    )


def _maturity_tab(detail: overview.OrgDetail) -> None:
    if _nothing_to_show(detail, "maturity"):
        return
    components = detail.maturity_components
    chart_with_text(
        chart_spec(charts.maturity_chart, components), chart_text(charts.maturity_text, components)
    )
    data_behind(
        overview.readable(
            components,
            {
                "component_name": "Component",
                "level": "Level",
                "previous_level": "Previous level",
                "evidence": "Evidence",
                "next_step": "Next step",
            },
        ),
        f"{detail.org_name} NHS IMPACT maturity",
        "overview_maturity",
    )


def _pdsa_tab(detail: overview.OrgDetail) -> None:
    if not _nothing_to_show(detail, "pdsa_months"):
        chart_with_text(
            chart_spec(charts.pdsa_month_chart, detail.pdsa_by_month, org_name=detail.org_name),
            chart_text(charts.pdsa_month_text, detail.pdsa_by_month, detail.pdsa_month_summary),
        )
    if _nothing_to_show(detail, "pdsa_projects"):
        return
    st.dataframe(
        overview.readable(
            detail.pdsa_projects,
            {
                "project_id": "Project",
                "title": "Title",
                "team": "Team",
                "status": "Status",
                "lived_experience_involved": "Lived experience",
                "cycles": "Cycles",
                f"cycles_last_{overview.RECENT_DAYS}_days": (
                    f"Cycles, last {overview.RECENT_DAYS} days"
                ),
                "last_cycle": "Last cycle",
            },
        ),
        hide_index=True,
    )


@st.fragment
def organisation_detail(codes: list[str], names: dict[str, str]) -> None:
    """The chosen organisation's detail: culture, readiness, maturity and PDSA."""
    st.header("Organisation detail")
    if st.session_state.get(ORG_KEY) not in codes:
        st.session_state[ORG_KEY] = None
    code = st.selectbox(
        "Organisation",
        codes,
        index=None,
        key=ORG_KEY,
        format_func=lambda c: f"{names[c]} ({c})",
        placeholder="Choose an organisation (or a row of the table)",
    )
    if code is None:
        return
    detail = query(overview.org_detail, code, as_of=period.end)
    if detail is None:
        st.info("That organisation is no longer in the database.")
        return
    st.subheader(md(detail.org_name))
    st.caption(
        f"{md(detail.org_type_label)} · {md(detail.system or 'no system given')} · {md(code)}"
    )
    for note in detail.notes:
        st.caption(md(note))
    culture, readiness, maturity, pdsa, capability = st.tabs(
        ["Culture", "Readiness", "NHS IMPACT maturity", "PDSA", "Improvement capability"]
    )
    with culture:
        _culture_tab(detail)
    with readiness:
        _readiness_tab(detail)
    with maturity:
        _maturity_tab(detail)
    with pdsa:
        _pdsa_tab(detail)
    with capability:
        capability_section(code, detail.org_name, period.end)


organisation_detail(
    frame["org_code"].tolist(), dict(zip(frame["org_code"], frame["org_name"], strict=True))
)
