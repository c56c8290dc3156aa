"""Fair comparison of organisations, who to learn from, and learning visits (SQLite and
PostgreSQL), against figures worked out by hand."""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pytest

from impact_data.access import AccessDenied, Viewer
from impact_data.ingest import commit_upload, delete_upload, prepare_upload
from impact_data.measures import queries
from impact_data.views import compare
from tests.files import csv_bytes

LOCAL = Viewer.local()
Q3F = compare.culture_measure("q3f", level="question")
OVERALL = compare.culture_measure()

ORGS = [
    ["org_code", "org_name", "org_type", "system"],
    ["QA1", "Alpha Hospitals", "acute", "Test ICS"],
    ["QB1", "Beta Hospitals", "acute", "Test ICS"],
    ["QC1", "Gamma Community", "community", "Test ICS"],
    ["QD1", "Delta Hospitals", "acute", "Test ICS"],
    ["QE1", "Epsilon Mental Health", "mental_health", "Test ICS"],
]
SURVEY_HEADER = ["org_code", "year", "question_code", "responses", "positive_pct"]


def load(db, kind: str, rows, name: str):
    prepared = prepare_upload(db, csv_bytes(rows), name, kind)
    assert prepared.ok, [str(p) for p in prepared.problems]
    return commit_upload(db, prepared)


@pytest.fixture
def system(db):
    """Five organisations with q3f in 2024: A 50% of 400, B 62% of 400, C 38% of 100,
    D 47% of 1,600, and E with 8 responses (suppressed: fewer than 11)."""
    load(db, "organisations", ORGS, "orgs.csv")
    load(
        db,
        "staff_survey",
        [
            SURVEY_HEADER,
            ["QA1", 2024, "q3f", 400, 50],
            ["QB1", 2024, "q3f", 400, 62],
            ["QC1", 2024, "q3f", 100, 38],
            ["QD1", 2024, "q3f", 1600, 47],
            ["QE1", 2024, "q3f", 8, 75],
        ],
        "survey.csv",
    )
    return db


# --- funnel plots ----------------------------------------------------------------------


def test_funnel_limits_and_positions_by_hand(system):
    funnel = compare.funnel_frame(system, LOCAL, Q3F, overdispersion="none").set_index("org_code")
    # p0 = (200 + 248 + 38 + 752) / (400 + 400 + 100 + 1600) = 1238 / 2500 = 49.52%; limits
    # p0 -+ z sqrt(p0 (1 - p0) / n) with z 1.959964 (95%) and 3.090232 (99.8%).
    assert funnel.attrs["system_value"] == pytest.approx(49.52)
    assert funnel.loc["QA1", "system_value"] == pytest.approx(49.52)
    expected = {
        "QA1": (44.620, 54.420, 41.795, 57.245, "within"),
        "QB1": (44.620, 54.420, 41.795, 57.245, "above_998"),
        "QC1": (39.721, 59.319, 34.070, 64.970, "below_95"),
        "QD1": (47.070, 51.970, 45.657, 53.383, "below_95"),
    }
    for code, (lo95, hi95, lo998, hi998, outside) in expected.items():
        row = funnel.loc[code]
        assert row["lower95"] == pytest.approx(lo95, abs=0.001)
        assert row["upper95"] == pytest.approx(hi95, abs=0.001)
        assert row["lower998"] == pytest.approx(lo998, abs=0.001)
        assert row["upper998"] == pytest.approx(hi998, abs=0.001)
        assert row["outside"] == outside
    assert funnel.loc["QB1", "value"] == pytest.approx(62.0)
    assert funnel.loc["QD1", "n"] == 1600
    assert funnel.loc["QD1", "position"] == "Below the 95% limit"


def test_suppressed_organisation_is_listed_but_never_used(system):
    funnel = compare.funnel_frame(system, LOCAL, Q3F).set_index("org_code")
    hidden = funnel.loc["QE1"]
    assert bool(hidden["suppressed"]) and hidden["outside"] == "suppressed"
    assert all(pd.isna(hidden[c]) for c in ("value", "n", "numerator", "ci_low", "system_value"))
    # The system value is worked out without it (above: 49.52%, not including 75% of 8).
    table = compare.funnel_table(funnel.reset_index())
    row = table[table["Code"] == "QE1"].iloc[0]
    assert row["Where it falls"] == "Suppressed (too few responses)"
    assert pd.isna(row["Responses"]) and pd.isna(row["% favourable"])
    lines = compare.funnel_lines(funnel.reset_index())
    assert set(lines["line"]) == {"System value", "95% limits", "99.8% limits"}
    assert lines.loc[lines["line"] == "System value", "value"].iloc[0] == pytest.approx(49.52)


def test_outside_limits_lists_the_outliers_in_order(system):
    funnel = compare.funnel_frame(system, LOCAL, Q3F, overdispersion="none")
    outside = compare.outside_limits(funnel)
    assert outside["org_code"].tolist() == ["QB1", "QD1", "QC1"]
    assert compare.outside_limits(funnel, level="998")["org_code"].tolist() == ["QB1"]
    text = compare.funnel_text(funnel, highlight="QA1")
    assert "system value 49.5%" in text
    assert "above the 99.8% limit: Beta Hospitals" in text
    assert "below the 95% limit only: Delta Hospitals, Gamma Community" in text
    assert "Alpha Hospitals: 50.0% of 400 responses, within the limits" in text
    assert "1 organisation suppressed" in text
    assert "Limits: binomial limits, not adjusted for over-dispersion, as chosen" in text


def test_funnel_limits_adjusted_for_overdispersion_by_default(system):
    funnel = compare.funnel_frame(system, LOCAL, Q3F).set_index("org_code")
    # p0 = 0.4952; s = sqrt(0.4952 * 0.5048 / n): 0.0249988 (n 400), 0.0499977 (100),
    # 0.0124994 (1600). z: A 0.19201, B 4.99223, C -2.30411, D -2.01609. Linear 10th / 90th
    # percentiles: -2.21770 and 3.55216; phi = (0.19201^2 + 3.55216^2 + 2.21770^2 + 2.01609^2)
    # / 4 = 5.40939; w = 1600.15, 1600.15, 400.04, 6400.59: sum w - sum w^2 / sum w = 5376.50;
    # tau2 = (4 * 5.40939 - 3) / 5376.50 = 0.00346649.
    assert funnel.attrs["method"] == "additive"
    assert funnel.attrs["phi"] == pytest.approx(5.40939, abs=1e-5)
    assert funnel.attrs["tau2"] == pytest.approx(0.00346649, abs=1e-8)
    # B (62% of 400): 99.8% limit 49.52 + 309.0232 * sqrt(0.0249988^2 + 0.00346649) = 69.286.
    assert funnel.loc["QB1", "upper998"] == pytest.approx(69.286, abs=0.001)
    assert (funnel.drop(index="QE1")["outside"] == "within").all()
    text = compare.funnel_text(funnel.reset_index())
    assert (
        "Limits widened for over-dispersion (Spiegelhalter's additive random-effects method, "
        "phi 5.41, tau² 0.0035): the organisations vary more than chance" in text
    )
    assert "4 organisations within the limits" in text
    lines = compare.funnel_lines(funnel.reset_index(), points=5)
    upper = lines[(lines["line"] == "99.8% limits") & (lines["side"] == "upper")]
    assert (upper["value"] > 49.52 + 309.0232 * math.sqrt(0.00346649)).all()


def test_peer_group_compares_like_with_like(system):
    assert compare.peer_group_of(system, LOCAL, "QA1") == "Acute and acute & community trusts"
    options = compare.peer_group_options(system, LOCAL)
    assert options[0] == "Acute and acute & community trusts"
    funnel = compare.funnel_frame(
        system, LOCAL, Q3F, peer_group="Acute and acute & community trusts"
    )
    # Acute only: (200 + 248 + 752) / 2400 = 50%.
    assert sorted(funnel["org_code"]) == ["QA1", "QB1", "QD1"]
    assert funnel.attrs["system_value"] == pytest.approx(50.0)
    assert funnel.attrs["peer_group"] == "Acute and acute & community trusts"


def test_a_stored_benchmarking_group_wins_over_the_type(system):
    from sqlalchemy import update

    from impact_data.store.models import Organisation

    with system.session() as session:
        session.execute(
            update(Organisation)
            .where(Organisation.org_code == "QC1")
            .values(benchmark_group="MH&LD, MH, LD&Community Trusts")
        )
    peers = compare.organisation_peers(system, LOCAL).set_index("org_code")
    # The national group's sheet name in the same words as the type-based groups.
    assert peers.loc["QC1", "peer_group"] == "Mental health and learning disability trusts"
    assert peers.loc["QA1", "peer_group"] == "Acute and acute & community trusts"


def test_funnel_refuses_a_mean(system):
    with pytest.raises(ValueError, match="proportions"):
        compare.funnel_frame(system, LOCAL, compare.national_measure("PP3"))


def test_caterpillar_sorted_with_wilson_intervals_against_the_system(system):
    frame = compare.caterpillar_frame(system, LOCAL, Q3F)
    shown = frame[~frame["suppressed"]]
    assert shown["org_code"].tolist() == ["QC1", "QD1", "QA1", "QB1"]  # lowest first
    assert shown["rank"].tolist() == [1, 2, 3, 4]
    a = shown.set_index("org_code").loc["QA1"]
    # Wilson interval for 200 of 400.
    z = 1.959964
    centre = (0.5 + z**2 / 800) / (1 + z**2 / 400)
    half = z * math.sqrt(0.25 / 400 + z**2 / (4 * 400**2)) / (1 + z**2 / 400)
    assert a["ci_low"] == pytest.approx(100 * (centre - half))
    assert a["ci_high"] == pytest.approx(100 * (centre + half))
    assert a["system_value"] == pytest.approx(49.52)
    assert a["interval"] == "overlaps"
    assert shown.set_index("org_code").loc["QB1", "interval"] == "above"
    assert frame[frame["suppressed"]]["org_code"].tolist() == ["QE1"]


# --- who could we learn from? ----------------------------------------------------------


@pytest.fixture
def learning(db):
    """A 50% of 1,000 (acute), B 60% (acute), C 65% (community), D 51% (acute: not
    significantly better), E 90% of 9 (suppressed); a visit from A to C is recorded."""
    load(db, "organisations", ORGS, "orgs.csv")
    load(
        db,
        "staff_survey",
        [
            SURVEY_HEADER,
            ["QA1", 2024, "q3f", 1000, 50],
            ["QB1", 2024, "q3f", 1000, 60],
            ["QC1", 2024, "q3f", 1000, 65],
            ["QD1", 2024, "q3f", 1000, 51],
            ["QE1", 2024, "q3f", 9, 90],
        ],
        "survey.csv",
    )
    load(
        db,
        "visits",
        [
            ["from_org", "to_org", "visit_date", "theme", "participants"],
            ["QA1", "QC1", "2024-03-01", "Huddles", 6],
        ],
        "visits.csv",
    )
    return db


def test_learn_from_prefers_same_type_and_only_significant_peers(learning):
    frame = compare.learn_from(learning, LOCAL, "QA1", Q3F, overdispersion="none")
    # B (acute, +10 points) before C (community, +15 points); D's +1 point is chance.
    assert frame["org_code"].tolist() == ["QB1", "QC1"]
    assert frame["same_type"].tolist() == [True, False]
    b, c = frame.iloc[0], frame.iloc[1]
    assert b["difference"] == pytest.approx(10.0)
    # Two-proportion z-test, pooled: p = 0.55, se = sqrt(.55 .45 (2 / 1000)), z = 0.1 / se.
    z = 0.1 / math.sqrt(0.55 * 0.45 * 2 / 1000)
    assert b["p_value"] == pytest.approx(math.erfc(z / math.sqrt(2)))
    assert b["interval_above"]
    assert not b["visit_recorded"] and b["visits_to_them"] == 0
    assert c["visit_recorded"] and c["visits_to_them"] == 1 and c["visits_from_them"] == 0
    assert c["last_visit"] == dt.date(2024, 3, 1)
    assert "65.0%" in c["evidence"] and "1 to them" in c["evidence"]
    assert "No learning visit between you is recorded yet" in b["evidence"]
    assert b["trend"] == [60.0]
    assert b["trend_label"].startswith("Not enough data for SPC (1 of 12")


def test_learn_from_says_why_there_is_nothing(learning):
    best = compare.learn_from(learning, LOCAL, "QC1", Q3F)
    assert best.empty and "No organisation is significantly better" in best.attrs["note"]
    hidden = compare.learn_from(learning, LOCAL, "QE1", Q3F)
    assert hidden.empty and "suppressed" in hidden.attrs["note"]
    table = compare.learn_from_table(
        compare.learn_from(learning, LOCAL, "QD1", Q3F, overdispersion="none")
    )
    assert table["Code"].tolist() == ["QB1", "QC1"]
    assert table["Visit recorded"].tolist() == ["no", "no"]


def test_learn_from_allows_for_the_ordinary_spread_between_organisations(learning):
    # Four organisations of 1,000 at 50, 60, 65 and 51%: they differ far beyond chance
    # (phi about 29), so a 15-point gap is within the ordinary spread between organisations.
    frame = compare.learn_from(learning, LOCAL, "QA1", Q3F)
    assert frame.empty and frame.attrs["method"] == "additive"
    assert "additive random-effects method" in frame.attrs["note"]
    tau2 = frame.attrs["tau2"]
    # C against A: 0.15 / sqrt(2 * 0.5075 * 0.4925 / 1000 + 2 tau2).
    z = 0.15 / math.sqrt(2 * 0.5075 * 0.4925 / 1000 + 2 * tau2)
    assert z < 1.96
    plain = compare.learn_from(learning, LOCAL, "QA1", Q3F, overdispersion="none")
    assert "not adjusted for over-dispersion" in plain.attrs["note"]


# --- trends with SPC icons -------------------------------------------------------------


def test_trends_need_twelve_points_for_an_icon(db):
    load(db, "organisations", ORGS, "orgs.csv")
    rows = [SURVEY_HEADER]
    for i, year in enumerate(range(2010, 2024)):
        rows.append(["QA1", year, "q3f", 500, 50 + (i % 3)])
    rows += [["QB1", year, "q3f", 500, 60] for year in (2022, 2023)]
    load(db, "staff_survey", rows, "years.csv")
    frame = compare.trends(db, LOCAL, Q3F)
    summary = compare.trend_summary(frame).set_index("org_code")
    assert summary.loc["QA1", "points"] == 14
    assert summary.loc["QA1", "variation"] == "common_cause"
    assert summary.loc["QA1", "glyph"] == "●"
    a = frame[frame["org_code"] == "QA1"]
    assert a["centre"].iloc[0] == pytest.approx(a["value"].mean())  # pooled p (equal n)
    assert summary.loc["QB1", "variation"] == "not_enough_data"
    assert summary.loc["QB1", "variation_label"] == "Not enough data for SPC (2 of 12 points)"
    assert frame[frame["org_code"] == "QB1"]["upper"].isna().all()
    assert "too few points for SPC" in compare.trends_text(frame)


# --- readiness -------------------------------------------------------------------------


def test_readiness_share_agreeing_and_mean_by_hand(db):
    load(db, "organisations", ORGS, "orgs.csv")
    header = ["org_code", "assessment_date", "team", *[f"c{i}" for i in range(1, 6)]]
    header += [f"e{i}" for i in range(1, 8)]
    rows = [header]
    # QA1: 12 people, 9 answering 4 to every commitment item, 3 answering 2.
    rows += [["QA1", "2025-03-03", "Ward 1", *[4] * 5, *[3] * 7] for _ in range(9)]
    rows += [["QA1", "2025-03-03", "Ward 1", *[2] * 5, *[3] * 7] for _ in range(3)]
    # QB1: 5 people only, so suppressed.
    rows += [["QB1", "2025-03-03", "Ward 1", *[5] * 5, *[5] * 7] for _ in range(5)]
    load(db, "readiness", rows, "oric.csv")
    share = compare.readiness_measure("Change commitment")
    mean = compare.readiness_measure("Change commitment", statistic="mean")
    agreeing = compare.comparison(db, LOCAL, share).set_index("org_code")
    assert agreeing.loc["QA1", "numerator"] == 9 and agreeing.loc["QA1", "n"] == 12
    assert agreeing.loc["QA1", "value"] == pytest.approx(75.0)
    assert bool(agreeing.loc["QB1", "suppressed"]) and pd.isna(agreeing.loc["QB1", "value"])
    means = compare.comparison(db, LOCAL, mean).set_index("org_code")
    a = means.loc["QA1"]
    assert a["value"] == pytest.approx(3.5)  # (9 x 4 + 3 x 2) / 12
    sd = math.sqrt((9 * 0.5**2 + 3 * 1.5**2) / 11)
    from scipy import stats

    half = stats.t.ppf(0.975, 11) * sd / math.sqrt(12)
    assert a["ci_low"] == pytest.approx(3.5 - half)
    assert a["ci_high"] == pytest.approx(3.5 + half)
    assert a["period_label"] == "latest check (Mar 2025)"
    labels = [m.label for m in compare.measure_options(db, LOCAL)]
    assert "Readiness, Change commitment: % agreeing (ORIC)" in labels
    assert "Readiness, Change efficacy: mean (1-5) (ORIC)" in labels


# --- learning visits -------------------------------------------------------------------


@pytest.fixture
def orgs(db):
    load(db, "organisations", ORGS, "orgs.csv")
    return db


def test_record_visit_adds_one_row_through_the_upload_path(orgs):
    result = compare.record_visit(
        orgs,
        LOCAL,
        "QA1",
        "QB1",
        dt.date(2025, 5, 6),
        theme="Daily huddles, =not a formula",
        participants=5,
        lived_experience_partners=2,
        learning="Short; daily; led by the team",
    )
    visits = queries.visits(orgs, LOCAL)
    assert len(visits) == 1
    row = visits.iloc[0]
    assert (row["from_org"], row["to_org"]) == ("QA1", "QB1")
    assert pd.Timestamp(row["visit_date"]).date() == dt.date(2025, 5, 6)
    assert row["theme"] == "Daily huddles, =not a formula"
    assert row["participants"] == 5 and row["lived_experience_partners"] == 2
    assert row["learning"] == "Short; daily; led by the team"
    history = queries.uploads(orgs, LOCAL)
    assert history.iloc[0]["kind"] == "visits" and history.iloc[0]["upload_id"] == result.upload_id
    assert history.iloc[0]["file_name"] == "learning visit QA1-QB1 2025-05-06.csv"
    # The same visit again is refused, and deleting its upload removes it.
    with pytest.raises(compare.VisitRefused):
        compare.record_visit(orgs, LOCAL, "QA1", "QB1", dt.date(2025, 5, 6))
    delete_upload(orgs, result.upload_id)
    assert queries.visits(orgs, LOCAL).empty


def test_record_visit_refuses_unknown_and_identical_organisations(orgs):
    with pytest.raises(compare.VisitRefused) as refused:
        compare.record_visit(orgs, LOCAL, "QA1", "ZZ9", dt.date(2025, 5, 6))
    assert [p.category for p in refused.value.problems] == ["unknown_org"]
    assert refused.value.messages()[0].startswith("Host organisation: not a known organisation")
    with pytest.raises(compare.VisitRefused, match="two different organisations"):
        compare.record_visit(orgs, LOCAL, "QA1", "qa1", dt.date(2025, 5, 6))
    with pytest.raises(compare.VisitRefused) as no_date:
        compare.record_visit(orgs, LOCAL, "QA1", "QB1", None)
    assert any(p.column == "visit_date" for p in no_date.value.problems)
    assert queries.visits(orgs, LOCAL).empty
    assert queries.uploads(orgs, LOCAL)["kind"].tolist() == ["organisations"]


def test_record_visit_checks_who_may_write(orgs):
    outsider = Viewer(user="someone", role="team_member", org_codes=frozenset({"QC1"}))
    with pytest.raises(AccessDenied):
        compare.record_visit(orgs, outsider, "QA1", "QB1", dt.date(2025, 5, 6))
    assert queries.visits(orgs, LOCAL).empty


def test_visit_matrix_and_who_stands_out(orgs):
    load(
        orgs,
        "visits",
        [
            ["from_org", "to_org", "visit_date", "theme", "participants", "lived experience"],
            ["QA1", "QB1", "2024-01-10", "Huddles", 4, 1],
            ["QA1", "QB1", "2024-06-10", "Flow", 3, 0],
            ["QB1", "QC1", "2024-02-01", "Huddles", 5, 2],
            ["QD1", "QA1", "2024-03-01", "", 2, None],
        ],
        "visits.csv",
    )
    matrix = compare.visit_matrix(orgs, LOCAL).set_index(["from_org", "to_org"])
    assert len(matrix) == 5 * 4  # every ordered pair of different organisations
    ab = matrix.loc[("QA1", "QB1")]
    assert ab["visits"] == 2 and ab["themes"] == "Flow; Huddles"  # newest first
    assert ab["participants"] == 7 and ab["lived_experience_partners"] == 1
    assert ab["last_visit"] == dt.date(2024, 6, 10)
    assert matrix.loc[("QB1", "QA1"), "visits"] == 0
    grid = compare.visit_matrix_table(matrix.reset_index()).set_index("Visiting organisation")
    assert grid.loc["Alpha Hospitals", "To Beta Hospitals"] == 2
    assert pd.isna(grid.loc["Alpha Hospitals", "To Alpha Hospitals"])
    reach = compare.visit_reach(orgs, LOCAL).set_index("org_code")
    assert reach.loc["QA1", "visits_made"] == 2 and reach.loc["QA1", "visits_hosted"] == 1
    assert reach.loc["QA1", "organisations_visited"] == 1
    assert reach.loc["QB1", "lived_experience_partners"] == 3
    assert reach.loc["QC1", "never_visiting"] and not reach.loc["QC1", "never_visited"]
    assert reach.loc["QD1", "never_visited"] and not reach.loc["QD1", "never_visiting"]
    assert reach.loc["QE1", "never_visited"] and reach.loc["QE1", "never_visiting"]
    assert matrix.loc[("QC1", "QD1"), "from_label"] == "Gamma Community (never visited another)"
    assert matrix.loc[("QC1", "QD1"), "to_label"] == "Delta Hospitals (never hosted a visit)"
    text = compare.visits_text(reach.reset_index(), compare.visits_log(orgs, LOCAL))
    assert text.startswith("4 learning visits between 5 organisations")
    assert "Never visited another organisation: Epsilon Mental Health, Gamma Community" in text
    assert "Never hosted a visit: Delta Hospitals, Epsilon Mental Health" in text
    log = compare.visits_log(orgs, LOCAL)
    assert log["visit_date"].tolist()[0] == dt.date(2024, 6, 10)  # newest first


def test_an_empty_database_gives_empty_frames(db):
    assert compare.measure_options(db, LOCAL) == []
    assert compare.organisation_names(db, LOCAL) == {}
    assert compare.visit_matrix(db, LOCAL).empty
    assert compare.visit_reach(db, LOCAL).empty
    assert compare.visits_text(compare.visit_reach(db, LOCAL), compare.visits_log(db, LOCAL))
    funnel = compare.funnel_frame(db, LOCAL, OVERALL)
    assert funnel.empty and "No organisation" in compare.funnel_text(funnel)
    assert compare.trends(db, LOCAL, OVERALL).empty
    assert compare.learn_from(db, LOCAL, "QA1", OVERALL).empty


# --- chart builders --------------------------------------------------------------------


def test_chart_builders_have_titles_tooltips_and_no_suppressed_figures(system):
    from ui.charts import compare as charts

    funnel = compare.funnel_frame(system, LOCAL, Q3F)
    spec = charts.funnel_chart(funnel, compare.funnel_lines(funnel), highlight="QA1").to_dict()
    assert "funnel plot" in spec["title"]["text"]
    assert "Ringed and named: Alpha Hospitals." in spec["title"]["subtitle"]
    for layer in spec["layer"]:
        assert "tooltip" in layer["encoding"], layer["mark"]
    drawn = [row for data in spec["datasets"].values() for row in data]
    assert not any(row.get("org_code") == "QE1" for row in drawn)
    cat = charts.caterpillar_chart(compare.caterpillar_frame(system, LOCAL, Q3F)).to_dict()
    assert all("tooltip" in layer["encoding"] for layer in cat["layer"])
    trends = charts.trends_chart(compare.trends(system, LOCAL, Q3F)).to_dict()
    assert all("tooltip" in layer["encoding"] for layer in trends["spec"]["layer"])
    matrix = charts.visit_matrix_chart(compare.visit_matrix(system, LOCAL)).to_dict()
    assert all("tooltip" in layer["encoding"] for layer in matrix["layer"])
    reach = charts.visit_reach_chart(compare.visit_reach(system, LOCAL)).to_dict()
    assert all("tooltip" in layer["encoding"] for layer in reach["layer"])


def test_national_scores_compared_with_an_assumed_spread(db):
    from tests.nss_files import GROUP_SHEETS, benchmark_workbook

    groups = {
        GROUP_SHEETS[0]: [("RA1", "Alpha Hospitals"), ("RA2", "Beta Hospitals")],
        GROUP_SHEETS[3]: [("RC1", "Vale Community")],
    }
    prepared = prepare_upload(
        db, benchmark_workbook(groups, [2024, 2025]), "b.xlsx", "nss_benchmark"
    )
    commit_upload(db, prepared)
    measure = compare.national_measure("PP3")
    assert measure in compare.measure_options(db, LOCAL, statistic="mean")
    frame = compare.caterpillar_frame(db, LOCAL, measure).set_index("org_code")
    scores = queries_nss(db).set_index("org_code")
    for code in ("RA1", "RA2", "RC1"):
        value, n = scores.loc[code, "value"], scores.loc[code, "n"]
        half = 1.959964 * compare.DEFAULT_NSS_SCORE_SD / math.sqrt(n)
        assert frame.loc[code, "value"] == pytest.approx(value)
        assert frame.loc[code, "ci_low"] == pytest.approx(value - half)
        assert frame.loc[code, "ci_high"] == pytest.approx(value + half)
    weights = scores["n"].astype(float)
    assert frame["system_value"].iloc[0] == pytest.approx(
        float((scores["value"] * weights).sum() / weights.sum())
    )
    # The national benchmarking group, in the same words as the type-based groups.
    assert frame.loc["RA1", "peer_group"] == "Acute and acute & community trusts"
    db.set_setting(compare.NSS_SCORE_SD_SETTING, 1.0)
    assert compare.nss_score_sd(db, LOCAL) == 1.0
    narrower = compare.caterpillar_frame(db, LOCAL, measure).set_index("org_code")
    n = scores.loc["RA1", "n"]
    assert narrower.loc["RA1", "ci_high"] == pytest.approx(
        scores.loc["RA1", "value"] + 1.959964 / math.sqrt(n)
    )


def queries_nss(db) -> pd.DataFrame:
    """PP3 in 2025 with its number of responses, straight from the national figures."""
    from impact_data.measures.national import nss_scores

    scores = nss_scores(db, LOCAL, metric_codes=["PP3"])
    return scores[scores["year"] == 2025][["org_code", "value", "n"]]


def test_intervals_table_has_no_rank_and_says_suppressed(system):
    """No league tables: no "Order (lowest first)" column; a suppressed organisation reads
    "suppressed" with its reason, never "None"."""
    frame = compare.caterpillar_frame(system, LOCAL, Q3F)
    table = compare.caterpillar_table(frame)
    assert not any("order" in c.lower() or "rank" in c.lower() for c in table.columns)
    hidden = table[table["Code"] == "QE1"].iloc[0]
    value_column = Q3F.unit.capitalize()
    assert hidden[value_column] == "suppressed"
    assert hidden["Against the system value"] == "Suppressed (too few responses)"
    assert hidden["95% interval from"] == "" and hidden["95% interval to"] == ""
    assert None not in hidden.tolist()
    shown = table[table["Code"] == "QA1"].iloc[0]
    assert shown[value_column] == pytest.approx(50.0)
    assert "4 organisations from" in compare.caterpillar_text(frame)
