"""Culture: the locally agreed culture measure over time, by dimension, question, team and staff
group, how people answered, and whether a change is real, with the table behind every chart."""

from __future__ import annotations

import streamlit as st

from impact_data.measures.national import source_label as national_source_label
from impact_data.measures.period import period_index
from impact_data.views import culture as views
from impact_data.views.wording import uk_date
from ui.charts import culture as charts
from ui.components import chart_spec, chart_text, chart_with_text, data_behind, show_change_notes
from ui.guide import help_line
from ui.navigation import leave_pages_folder_mode
from ui.period import reporting_period, show_period
from ui.safe import md, md_join, md_list
from ui.state import database, query, viewer

leave_pages_folder_mode()  # a deep link opened before anyone opened / (ui.navigation)

SCORE_COLUMNS = {
    "score": "% favourable",
    "ci_low": "95% interval from",
    "ci_high": "95% interval to",
    "responses": "Responses",
}
QUESTION_COLUMNS = {
    "question_code": "Question",
    "question_text": "Wording",
    "dimension": "Dimension",
    "higher_is_better": "Higher is better",
    "favourable_pct": "% favourable",
    "ci_low": "95% interval from",
    "ci_high": "95% interval to",
    "responses": "Responses",
}
HIDDEN_COLUMN = {"reason": "Why not shown"}


st.title("Culture")
st.caption(
    help_line(
        {
            "p-chart": "p and p' charts",
            "variation": "real change or noise",
            "suppression": "hidden figures",
        }
    )
)
st.markdown(
    "The locally agreed culture measure: which survey questions it is made of is set on the "
    "Settings page. Scores are the % of favourable answers with a 95% interval; groups with "
    "too few responses are shown as *suppressed*, never as a number."
)
reporting = reporting_period()  # the sidebar's reporting period (ui.period)
show_period(reporting)
show_change_notes()  # the culture measure or suppression threshold changed

version_list = query(views.version_numbers)
version = st.selectbox(
    "Measure version",
    version_list,
    format_func=lambda v: f"Version {v}" + (" (current)" if v == version_list[0] else ""),
    key="culture_version",
    help="Older versions stay viewable: their scores are computed from their own definition.",
)
measure = query(views.measure_summary, version)
st.markdown(f"**Measure: {md(measure['label'])}**: {md_join(measure['dimensions'])}.")
if not measure["is_current"]:
    st.info(
        f"You are looking at an older version. The current one is version "
        f"{measure['current_version']}.",
        icon=":material/history:",
    )
with st.expander("What this version of the measure is made of"):
    st.caption(
        f"Saved by {md(measure['created_by'])} on {uk_date(measure['created_at'])}. "
        f"Why: {md(measure['note'])}"
    )
    st.dataframe(
        views.screen_table(
            views.download_table(
                measure["questions"],
                {
                    "dimension": "Dimension",
                    "dimension_weight": "Dimension weight",
                    "question_code": "Question",
                    "question_text": "Wording",
                    "question_weight": "Question weight",
                    "higher_is_better": "Higher is better",
                },
            )
        ),
        hide_index=True,
    )

names = query(views.organisation_names)
if not names:
    st.info(
        "There are no organisations yet, so there is nothing to show. Load your organisations "
        "and survey results on the Upload page, or load the sample system from the Overview "
        "page.",
        icon=":material/info:",
    )
    st.stop()

source = st.radio(
    "Source",
    list(views.SOURCES),
    format_func=views.SOURCES.get,
    horizontal=True,
    key="culture_source",
)
all_scores = query(views.org_scores, version=version, source=source)
if source == "national":
    label = national_source_label(database())
    if label:
        st.caption(
            f"Source: {md(label)}. Organisation-level results only: the national files "
            "have no team breakdowns."
        )
periods = views.periods(all_scores)
if not periods:
    st.info(
        f"No {views.SOURCES[source]} results on this measure's questions yet. Upload them on "
        "the Upload page, or choose the other source.",
        icon=":material/info:",
    )
    st.stop()

codes = views.organisations_with_scores(all_scores)
org_codes = st.multiselect(
    "Organisations",
    codes,
    default=codes,
    format_func=lambda c: names.get(c, c),
    key="culture_orgs",
)
left, right = st.columns([2, 1])
if len(periods) > 1:
    start, end = left.select_slider(
        "Months" if source == "pulse" else "Survey years",
        options=periods,
        # Up to the newest period on or before the reporting period.
        value=(periods[0], periods[-1 - period_index(periods[::-1], reporting)]),
        format_func=views.period_label,
        key=f"culture_periods_{source}",
    )
else:
    start = end = periods[0]
    left.caption(f"One period only: {md(views.period_label(end))}.")
dimension = right.selectbox(
    "Dimension", [views.OVERALL, *measure["dimensions"]], key="culture_dimension"
)
if not org_codes:
    st.info("Choose at least one organisation.", icon=":material/info:")
    st.stop()
scores = views.select_orgs(all_scores, org_codes)
end_label = views.period_label(end)
# Each organisation's latest period on or before `end`: newer data from one trust never
# blanks the others (they are shown at their own latest period, and say which).
latest = views.latest_periods(scores, end)
latest_note = views.latest_note(latest, end, names)

# --- the measure over time
st.header("The measure over time")
trend = views.over_time(scores, dimension, start, end)
chart_with_text(
    chart_spec(charts.over_time_chart, trend), chart_text(views.describe_over_time, trend)
)
data_behind(
    views.download_table(
        trend,
        {"org_name": "Organisation", "period_label": "Period", "dimension": "Dimension"}
        | SCORE_COLUMNS
        | HIDDEN_COLUMN,
        measure["label"],
    ),
    "culture_over_time",
    "over_time",
    display=views.screen_table,
)

# --- dimensions side by side
st.header(f"Dimensions side by side, {end_label}")
dims = views.side_by_side(scores, end, latest=latest)
if latest_note:
    st.caption(md(latest_note))
chart_with_text(
    chart_spec(charts.dimensions_chart, dims), chart_text(views.describe_side_by_side, dims)
)
data_behind(
    views.download_table(
        dims,
        {"org_name": "Organisation", "period_label": "Period", "dimension": "Dimension"}
        | SCORE_COLUMNS
        | {"n_questions": "Questions"}
        | HIDDEN_COLUMN,
        measure["label"],
    ),
    "culture_dimensions",
    "dimensions",
    display=views.screen_table,
)

# --- questions by organisation
st.header(f"Questions by organisation, {end_label}")
cells = views.heatmap(scores, end, latest=latest)
if latest_note:
    st.caption(md(latest_note))
chart_with_text(chart_spec(charts.heatmap_chart, cells), chart_text(views.describe_heatmap, cells))
data_behind(
    views.download_table(
        cells,
        {"org_name": "Organisation", "period_label": "Period"} | QUESTION_COLUMNS | HIDDEN_COLUMN,
        measure["label"],
    ),
    "culture_questions_by_organisation",
    "heatmap",
    display=views.screen_table,
)


@st.fragment
def organisation_detail() -> None:
    """One organisation: headline figures, questions, teams and staff groups, answers."""
    st.header("One organisation in detail")
    org = st.selectbox(
        "Organisation",
        org_codes,
        format_func=lambda c: names.get(c, c),
        key="culture_detail_org",
    )
    org_name = names.get(org, org)
    # The organisation's own latest period on or before the chosen one.
    org_end = latest.get(org, end)
    org_label = views.period_label(org_end)
    if org_end != end:
        st.caption(
            f"{md(org_name)} has no results for {end_label}: showing its latest, {org_label}."
        )
    cards = views.headline(scores, org, org_end)
    if cards:
        for column, card in zip(st.columns(len(cards)), cards, strict=True):
            column.metric(
                f"{md(card['dimension'])}, {org_label}",
                card["value"],
                card["delta"],
                help=card["help"],
                delta_color="normal" if card["moved"] else "off",
                delta_arrow="auto" if card["moved"] else "off",
            )
    else:
        st.info(f"No results for {md(org_name)} in {org_label}.", icon=":material/info:")

    st.subheader("Question detail")
    questions = views.question_detail(scores, org, org_end, dimension)
    if questions.empty:
        st.info(f"No question results for {md(org_name)} in {org_label}.", icon=":material/info:")
    else:
        chart_with_text(
            chart_spec(charts.questions_chart, questions),
            chart_text(views.describe_questions, questions),
        )
        data_behind(
            views.download_table(
                questions,
                {"org_name": "Organisation", "period_label": "Period"}
                | QUESTION_COLUMNS
                | HIDDEN_COLUMN,
                measure["label"],
            ),
            f"culture_questions_{org}",
            "questions",
            display=views.screen_table,
        )

    st.subheader("Teams and staff groups")
    level = st.radio(
        "Break down by",
        ["team", "staff_group"],
        format_func=views.LEVELS.get,
        horizontal=True,
        key="culture_level",
    )
    if not viewer().can_see_detail(org):
        st.info(
            "Team and staff group results are shown only to people from this organisation.",
            icon=":material/lock:",
        )
    else:
        groups = views.breakdown(
            query(views.group_scores, org, level=level, version=version, source=source),
            org_end,
            dimension,
        )
        if groups.empty:
            st.info(
                f"No {views.LEVELS[level].lower()} results for {md(org_name)} in {org_label}.",
                icon=":material/info:",
            )
        else:
            chart_with_text(
                chart_spec(charts.breakdown_chart, groups),
                chart_text(views.describe_breakdown, groups, level),
            )
            notes = views.suppression_notes(groups, "group")
            if notes:
                st.markdown("**Not shown:**\n" + md_list(notes))
            data_behind(
                views.download_table(
                    groups,
                    {
                        "group": views.LEVELS[level],
                        "period_label": "Period",
                        "dimension": "Dimension",
                    }
                    | SCORE_COLUMNS
                    | HIDDEN_COLUMN,
                    measure["label"],
                ),
                f"culture_by_{level}_{org}",
                "breakdown",
                display=views.screen_table,
            )

    st.subheader("How people answered (pulse survey)")
    window = (start, end) if source == "pulse" else (None, None)
    answers = query(
        views.answer_distribution, version=version, org_codes=(org,), start=window[0], end=window[1]
    )
    months = f"{views.period_label(start)} to {end_label}" if source == "pulse" else "all months"
    if answers.empty:
        st.info(
            f"No pulse survey answers from {md(org_name)} on this measure's questions, so there is "
            "no breakdown of answers.",
            icon=":material/info:",
        )
    else:
        chart_with_text(
            chart_spec(
                charts.answers_chart,
                views.diverging_segments(answers),
                org_name=org_name,
                months=months,
            ),
            chart_text(views.describe_answers, answers),
        )
        data_behind(
            views.download_table(
                answers,
                {"question_code": "Question", "question_text": "Wording", "responses": "Responses"}
                | {f"pct_{k}": f"% {label.lower()}" for k, label in views.LIKERT_LABELS.items()}
                | {"favourable_pct": "% favourable", "months": "Months counted"}
                | HIDDEN_COLUMN,
                measure["label"],
            ),
            f"culture_answers_{org}",
            "answers",
            display=views.screen_table,
        )


organisation_detail()

# --- is it real change?
st.header("Is it real change?")
st.subheader("Staff survey: the latest year against the year before")
changes = query(views.real_change, version=version, org_codes=tuple(org_codes))
if changes.empty:
    st.info(
        "Two staff survey years are needed to judge a change; there are not two yet for these "
        "organisations.",
        icon=":material/info:",
    )
else:
    sentences = views.change_sentences(changes, dimension)
    st.markdown("\n".join(f"- **{md(name)}**: {md(sentence)}" for name, sentence in sentences))
    st.caption(
        f"{md(dimension)} for each organisation (choose another dimension above; the table below "
        "has them all). A change is called real when a test of the two years' scores gives "
        "p < 0.05; otherwise it is within normal variation."
    )
    data_behind(
        views.download_table(
            changes,
            {
                "org_name": "Organisation",
                "dimension": "Dimension",
                "from_period": "From year",
                "to_period": "To year",
                "from_score": "From % favourable",
                "to_score": "To % favourable",
                "change": "Change (pp)",
                "p_value": "p-value",
                "real_change": "Real change",
                "sentence": "In words",
            },
            measure["label"],
        ),
        "culture_year_on_year",
        "year_on_year",
        label="Every dimension, with its test",
        display=views.screen_table,
    )


@st.fragment
def pulse_p_charts() -> None:
    """The monthly p-chart of one organisation at a time, below every organisation's reading."""
    st.subheader("Pulse survey: monthly p-charts")
    # Every organisation's reading in one table; one chart drawn, the one chosen.
    summary = query(
        views.pulse_overview,
        version=version,
        org_codes=tuple(org_codes),
        dimension=dimension,
        until=reporting.end,
    )
    if summary.empty:
        what = "the measure" if dimension == views.OVERALL else md(dimension)
        st.info(
            f"No monthly pulse survey results on {what} for these organisations, so there "
            "are no p-charts.",
            icon=":material/info:",
        )
        return
    st.dataframe(
        views.screen_table(
            views.download_table(
                summary,
                {
                    "org_name": "Organisation",
                    "months": "Months",
                    "latest_month": "Latest month",
                    "latest_pct": "Latest % favourable",
                    "centre_pct": "Centre line %",
                    "variation": "Variation",
                },
            )
        ),
        hide_index=True,
    )
    code = st.selectbox(
        "Organisation for the p-chart",
        summary["org_code"].tolist(),
        format_func=lambda c: names.get(c, c),
        key="culture_p_chart_org",
    )
    p_chart = query(
        views.pulse_chart, code, version=version, dimension=dimension, until=reporting.end
    )
    chart_with_text(chart_spec(charts.pulse_p_chart, p_chart), p_chart.attrs["reading"]["sentence"])
    data_behind(
        views.download_table(
            views.p_chart_table(p_chart),
            {
                "month": "Month",
                "respondents": "Respondents",
                "favourable_pct": "% favourable",
                "centre_pct": "Centre line %",
                "lower_limit_pct": "Lower limit %",
                "upper_limit_pct": "Upper limit %",
                "point_type": "Point type",
            },
            measure["label"],
        ),
        f"culture_p_chart_{code}",
        "p_chart",
        display=views.screen_table,
    )


pulse_p_charts()
