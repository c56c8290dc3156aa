"""Readiness: readiness for change by team, organisation, programme and round (level and
alignment, with advice), change over rounds, the item answers, and the NHS IMPACT
self-assessment of every organisation."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from impact_data.views import readiness as views
from ui.charts import readiness as charts
from ui.components import chart_spec, chart_with_text, downloads, show_change_notes
from ui.guide import help_line
from ui.navigation import leave_pages_folder_mode
from ui.period import reporting_period, show_period
from ui.safe import md, md_columns
from ui.state import database, query

leave_pages_folder_mode()  # a deep link opened before anyone opened / (ui.navigation)

BY_TEAM = "Teams"
BY_ORG = "Organisations (all teams of a programme pooled)"
TAB_KEY = "readiness_tab"  # the open tab's label, in session state
ADVICE_KEY = "readiness_advice_open"  # whether the advice in words is open


st.title("Readiness")
st.caption(
    help_line(
        {
            "oric": "ORIC and r_wg",
            "nhs impact": "NHS IMPACT components",
            "suppression": "hidden figures",
        }
    )
)
st.markdown(
    "How ready teams say they are for a change, and how far they agree: a high average with "
    "people split is not the same as a team that is ready together. Then each organisation's "
    "NHS IMPACT self-assessment of the five components of improvement."
)
reporting = reporting_period()  # the sidebar's reporting period (ui.period)
show_period(reporting)
show_change_notes()  # the culture measure or suppression threshold changed

threshold = database().suppression_threshold()
until = reporting.end  # every figure below uses only data up to the period's end
options = query(views.filter_options, until=until)
org_names = options["org_names"]

with st.container(border=True):
    st.markdown("**Filters** (leave a filter empty for all)")
    c1, c2, c3, c4 = st.columns(4)
    org_codes = c1.multiselect(
        "Organisation",
        query(views.all_org_codes),
        format_func=lambda c: f"{org_names.get(c, c)} ({c})",
        placeholder="All organisations",
        key="readiness_orgs",
    )
    teams = c2.multiselect(
        "Team",
        options["teams"],
        format_func=lambda pair: f"{views.team_label(pair[1])} ({pair[0]})",
        placeholder="All teams",
        key="readiness_teams",
    )
    programmes = c3.multiselect(
        "Programme",
        options["programmes"],
        format_func=views.programme_label,
        placeholder="All programmes",
        key="readiness_programmes",
    )
    rounds = c4.multiselect(
        "Round (month of the check)",
        options["rounds"],
        format_func=views.round_label,
        placeholder="All rounds",
        key="readiness_rounds",
    )
    c5, c6 = st.columns([1, 3])
    instrument = c5.selectbox(
        "Instrument",
        list(options["instruments"]),
        format_func=lambda c: options["instruments"].get(c, c),
        key="readiness_instrument",
        placeholder=(
            "No readiness checks in this period"
            if options["first_later_round"]
            else "No readiness checks yet"
        ),
    )
    grouping = c6.radio("Show readiness for", [BY_TEAM, BY_ORG], horizontal=True)


GROUPS_PER_CHART = 50  # groups in one scores chart and heatmap (15 px per subscale each)


def chart_page(frame: pd.DataFrame) -> pd.DataFrame:
    """The groups the charts show: all of them when few, else one page of GROUPS_PER_CHART
    (in the table's order) chosen here; the table beneath always lists every group."""
    groups = list(dict.fromkeys(frame["group"]))
    if len(groups) <= GROUPS_PER_CHART:
        return frame
    pages = -(-len(groups) // GROUPS_PER_CHART)
    page = st.number_input(
        f"Chart page (of {pages}; {len(groups)} groups, {GROUPS_PER_CHART} at a time)",
        min_value=1,
        max_value=pages,
        value=1,
        step=1,
        key="readiness_chart_page",
    )
    first = (int(page) - 1) * GROUPS_PER_CHART
    chosen = groups[first : first + GROUPS_PER_CHART]
    st.caption(
        f"The charts show groups {first + 1} to {first + len(chosen)} of {len(groups)}; "
        "narrow the filters or turn the page to see others. The table below lists them all."
    )
    part = frame[frame["group"].isin(set(chosen))].reset_index(drop=True)
    part.attrs.update(frame.attrs)
    return part


@st.cache_data(show_spinner=False, max_entries=64)
def score_views(scores: pd.DataFrame, by_team: bool) -> dict[str, object]:
    """Everything drawn from one set of scores (chart frame, text, tables), built once per set
    of scores rather than on every rerun."""
    return {
        "frame": views.chart_frame(scores),
        "summary": views.scores_summary(scores, by_team=by_team),
        "heatmap_summary": views.heatmap_summary(scores),
        "table": views.score_table(scores),
        "download": views.score_table(scores, text=False),
    }


@st.cache_data(show_spinner=False, max_entries=64)
def advice_words(scores: pd.DataFrame) -> str:
    """The advice for every group in words: written only when its expander is opened."""
    return views.advice_text(md_columns(scores, "group", "subscale"))


@st.cache_data(show_spinner=False, max_entries=64)
def change_views(change: pd.DataFrame) -> dict[str, object]:
    """Everything drawn from one change-over-rounds table, built once per table."""
    return {
        "long": views.change_chart_frame(change),
        "summary": views.change_summary(change),
        "sentences": views.change_sentences(
            md_columns(change, "team_label", "org_code", "programme_label", "subscale", "sentence")
        ),
        "table": views.change_display(change),
        "download": views.change_display(change, text=False),
    }


@st.cache_data(show_spinner=False, max_entries=64)
def item_views(answers: pd.DataFrame) -> dict[str, object]:
    """Everything drawn from one set of item answers, built once per set."""
    return {
        "scale": views.instrument_scale(answers),
        "totals": views.item_totals(answers),
        "summary": views.items_summary(answers),
        "table": views.item_table(answers),
        "download": views.answer_table(answers, text=False),
    }


@st.cache_data(show_spinner=False, max_entries=64)
def maturity_views(maturity: pd.DataFrame, history: pd.DataFrame) -> dict[str, object]:
    """Everything drawn from the latest self-assessments and their history, built once."""
    return {
        "summary": views.maturity_heatmap_summary(maturity),
        "download": views.maturity_table(maturity, text=False),
        "history_summary": views.history_summary(history),
        "history_table": views.history_table(history),
        "history_download": views.history_table(history, text=False),
    }


org_filter = tuple(org_codes) or None
team_filter = tuple(teams) or None
programme_filter = tuple(programmes) or None
round_filter = tuple(rounds) or None

# Lazy tabs: the open one is remembered (session state, key below) and only it is built; a
# click on another reruns the page to build that one.
scores_tab, change_tab, items_tab, impact_tab = st.tabs(
    ["Readiness and alignment", "Change over rounds", "Item answers", "NHS IMPACT self-assessment"],
    key=TAB_KEY,
    on_change="rerun",
)
# Every readiness check loaded is after the reporting period: say so instead of "none yet".
later = options["first_later_round"]
later_note = None if later is None else views.later_checks_note(later, reporting.label)

with scores_tab:
    if scores_tab.open:  # only the open tab is built (the others wait for a click)
        if later_note:
            st.info(later_note)
        elif instrument is None:
            st.info(
                "No readiness checks have been uploaded yet. Upload a readiness file (one row per "
                "person: organisation, date, and an answer per item, e.g. ORIC's c1-c5 and e1-e7) "
                "on the Upload page, where a blank template is available."
            )
        else:
            by_team = grouping == BY_TEAM
            if by_team:
                scores = query(
                    views.team_scores,
                    org_codes=org_filter,
                    teams=team_filter,
                    programmes=programme_filter,
                    rounds=round_filter,
                    instrument_code=instrument,
                    until=until,
                )
            else:
                scores = query(
                    views.org_scores,
                    org_codes=org_filter,
                    programmes=programme_filter,
                    rounds=round_filter,
                    instrument_code=instrument,
                    until=until,
                )
                if team_filter:
                    st.caption("The team filter does not apply to organisation totals.")
            if scores.empty:
                st.info("No readiness scores match these filters. Clear a filter to see more.")
            else:
                shown = score_views(scores, by_team)
                frame, summary = shown["frame"], shown["summary"]
                st.subheader("Readiness by subscale, with 95% intervals")
                frame = chart_page(frame)
                chart_with_text(
                    chart_spec(
                        charts.scores_chart,
                        frame,
                        title=f"Subscale means and 95% intervals, by {grouping.lower()}",
                    ),
                    summary,
                )
                st.subheader("Level and alignment at a glance")
                chart_with_text(
                    chart_spec(
                        charts.readiness_heatmap,
                        frame,
                        title="Readiness level (colour and words) and alignment, by group and subscale",
                    ),
                    shown["heatmap_summary"],
                )
                st.markdown(views.level_rule())
                st.subheader("Scores, alignment and advice")
                st.dataframe(
                    shown["table"],
                    hide_index=True,
                    width="stretch",
                    column_config={
                        "Advice": st.column_config.TextColumn(width="large"),
                        "Why": st.column_config.TextColumn(width="large"),
                    },
                )
                st.caption(
                    f"**suppressed**: fewer than {threshold} respondents (or hidden so that a "
                    "suppressed team cannot be worked out from its organisation's total); not "
                    "shown so that no one can be identified. **not measurable**: one response "
                    "cannot give an interval or an agreement."
                )
                downloads(shown["download"], "Readiness scores", "scores")
                advice_box = st.expander(
                    "The advice for each group, in words", key=ADVICE_KEY, on_change="rerun"
                )
                with advice_box:
                    if advice_box.open:  # thousands of groups: written when opened
                        st.markdown(advice_words(scores))

with change_tab:
    if change_tab.open:  # only the open tab is built (the others wait for a click)
        st.subheader("Change over rounds: teams reassessed after readiness work")
        change = query(
            views.change_table,
            org_codes=org_filter,
            teams=team_filter,
            programmes=programme_filter,
            instrument_code=instrument,
            until=until,
        )
        st.caption(
            "Each team's first and latest round are compared (the round filter does not apply). "
            "A change is beyond noise when Welch's t-test gives p < 0.05."
        )
        if later_note:
            st.info(later_note)
        elif change.empty:
            st.info(
                "No team in these filters has been assessed more than once yet. Reassess a team "
                "after readiness work to see whether its readiness changed."
            )
        else:
            shown_change = change_views(change)
            long = shown_change["long"]
            if not long.empty:
                chart_with_text(
                    chart_spec(
                        charts.change_chart,
                        long,
                        title="Mean score at the first and latest round, per team and subscale",
                    ),
                    shown_change["summary"],
                )
            else:
                st.caption(md(shown_change["summary"]))
            st.markdown(shown_change["sentences"])
            st.dataframe(shown_change["table"], hide_index=True, width="stretch")
            downloads(shown_change["download"], "Readiness change", "change")

with items_tab:
    if items_tab.open:  # only the open tab is built (the others wait for a click)
        st.subheader("How people answered each item")
        if later_note:
            st.info(later_note)
        elif instrument is None:
            st.info("No readiness checks have been uploaded yet, so there are no answers to show.")
        else:
            # The answers and the checks left out of them, from one pass (readiness.item_pool).
            answers, left_out = query(
                views.item_answers_and_left_out,
                org_codes=org_filter,
                teams=team_filter,
                programmes=programme_filter,
                rounds=round_filter,
                instrument_code=instrument,
                until=until,
            )
            if answers.empty:
                st.info("No item answers match these filters. Clear a filter to see more.")
            else:
                shown_items = item_views(answers)
                scale = shown_items["scale"]
                chart_with_text(
                    chart_spec(
                        charts.item_answers_chart,
                        answers,
                        totals=shown_items["totals"],
                        scale_min=scale[0],
                        scale_max=scale[1],
                        title=f"Answers to each {options['instruments'][instrument]} item",
                    ),
                    shown_items["summary"],
                )
                st.dataframe(shown_items["table"], hide_index=True, width="stretch")
                st.caption(
                    f"Only team checks shown on their own (at least {threshold} people, and not "
                    "hidden to protect a smaller team) are pooled, so no two selections can be "
                    "differenced to reveal a small team. Round filter: when a team was checked "
                    "twice, choose one round so that people are not counted twice."
                )
                if left_out:
                    st.caption(md(views.left_out_note(left_out)))
                downloads(shown_items["download"], "Item answers", "items")


@st.fragment
def impact_organisation(maturity: pd.DataFrame, labels: list[str]) -> None:
    """One organisation's latest levels against the system median, with its own evidence (a
    fragment: choosing another organisation redraws only this)."""
    codes = list(dict.fromkeys(maturity["org_code"]))
    chosen = st.selectbox(
        "Organisation",
        codes,
        format_func=lambda c: f"{org_names.get(c, c)} ({c})",
        key="readiness_impact_org",
    )
    own = maturity[maturity["org_code"] == chosen]
    left, right = st.columns([2, 3])
    with left:
        chart_with_text(
            chart_spec(
                charts.maturity_vs_median_chart,
                own,
                labels=labels,
                title=f"{org_names.get(chosen, chosen)} against the system median",
            ),
            views.org_maturity_summary(maturity, chosen),
        )
    with right:
        st.markdown("**Its own evidence and next steps**")
        st.dataframe(
            views.org_evidence_table(own),
            hide_index=True,
            width="stretch",
            column_config={
                "Evidence": st.column_config.TextColumn(width="large"),
                "Next step": st.column_config.TextColumn(width="large"),
            },
        )


with impact_tab:
    if impact_tab.open:  # only the open tab is built (the others wait for a click)
        st.subheader("NHS IMPACT self-assessment")
        labels = query(views.level_labels)
        st.caption(
            "Each organisation rates itself on the five NHS IMPACT components, level 1 to 5: a "
            "maturity matrix for reflection and planning, not a league table. Level labels ("
            + ", ".join(f"{i} {md(label)}" for i, label in enumerate(labels, 1))
            + ") are set on the Settings page. Team, programme and round filters do not apply."
        )
        maturity = query(views.maturity_latest, org_codes=org_filter, until=until)
        if maturity.empty:
            st.info(
                "No NHS IMPACT self-assessments for these organisations yet. Upload them on the "
                "Upload page (kind: NHS IMPACT self-assessment, one row per component and date)."
            )
        else:
            history = query(views.maturity_history, org_codes=org_filter, until=until)
            shown_maturity = maturity_views(maturity, history)
            chart_with_text(
                chart_spec(
                    charts.maturity_heatmap,
                    maturity,
                    labels=labels,
                    title="Latest self-assessed level, components by organisation",
                ),
                shown_maturity["summary"],
            )
            downloads(shown_maturity["download"], "NHS IMPACT latest levels", "maturity")

            st.markdown("#### One organisation against the system")
            impact_organisation(maturity, labels)

            st.markdown("#### Levels over time")
            chart_with_text(
                chart_spec(
                    charts.maturity_history_chart,
                    history,
                    labels=labels,
                    title="Self-assessed level of each component over time",
                ),
                shown_maturity["history_summary"],
            )
            with st.expander("Every self-assessment, with evidence and next steps"):
                st.dataframe(shown_maturity["history_table"], hide_index=True, width="stretch")
            downloads(shown_maturity["history_download"], "NHS IMPACT self-assessments", "history")
