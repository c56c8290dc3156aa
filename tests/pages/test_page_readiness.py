"""The Readiness page with AppTest: the sample system and an empty database, figures on screen
equal to the data layer's, suppression, filters, and the NHS IMPACT self-assessment. Only the
open tab is built (lazy tabs): `_open` chooses one, as a click does."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from impact_data.access import Viewer
from impact_data.measures import readiness
from impact_data.views import readiness as views
from tests.conftest import ROOT

PAGE = ROOT / "pages" / "readiness.py"
LOCAL = Viewer.local()
ED = ("ZA1", "Emergency Department")
SCORES, CHANGE, ITEMS, IMPACT = (
    "Readiness and alignment",
    "Change over rounds",
    "Item answers",
    "NHS IMPACT self-assessment",
)


def _page() -> AppTest:
    at = AppTest.from_file(str(PAGE), default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    return at


def _open(at: AppTest, tab: str) -> AppTest:
    """Open one tab (what a click on it does: the page reruns and builds that tab)."""
    at.session_state["readiness_tab"] = tab
    at.run()
    assert not at.exception, at.exception
    return at


def _table(at: AppTest, first_column: str, *more: str):
    for frame in at.dataframe:
        value = frame.value
        if list(value.columns[: 1 + len(more)]) == [first_column, *more]:
            return value
    raise AssertionError(f"no table starting with {first_column}")


def _scores_table(at: AppTest):
    return _table(at, "Organisation", "Team", "Programme", "Round")


def test_renders_the_sample_with_every_section(demo_db):
    at = _page()
    assert at.title[0].value == "Readiness"
    assert [t.label for t in at.tabs] == [SCORES, CHANGE, ITEMS, IMPACT]
    charts, downloads = 0, []
    # The first tab is open on arrival and only it is built; the others are built when opened.
    assert [bool(t.children) for t in at.tabs] == [True, False, False, False]
    for tab, at_least in ((SCORES, 2), (CHANGE, 1), (ITEMS, 1), (IMPACT, 3)):
        if tab != SCORES:
            _open(at, tab)
        built = [t for t in at.tabs if t.children]
        assert [t.label for t in built] == [tab]
        assert len(built[0].get("vega_lite_chart")) >= at_least, tab
        charts += len(built[0].get("vega_lite_chart"))
        downloads += [b.proto.label for b in built[0].get("download_button")]
        assert not at.error and not at.warning
    assert charts >= 7
    assert downloads.count("Download CSV") == downloads.count("Download Excel") >= 5


def test_a_known_teams_numbers_equal_the_data_layer(demo_db):
    at = _page()
    table = _scores_table(at)
    scores = readiness.readiness_scores(demo_db, LOCAL, org_codes=["ZA1"])
    expected = scores[
        (scores["team"] == "Emergency Department") & (scores["subscale"] == "Change commitment")
    ].iloc[0]
    row = table[
        (table["Team"] == "Emergency Department") & (table["Subscale"] == "Change commitment")
    ]
    row = row.iloc[0]
    assert row["Respondents"] == str(expected["n"])
    assert row["Mean"] == f"{expected['mean']:.2f}"
    assert row["95% CI low"] == f"{expected['ci_low']:.2f}"
    assert row["95% CI high"] == f"{expected['ci_high']:.2f}"
    assert row["Alignment (r_wg)"] == f"{expected['rwg']:.2f}"
    assert row["Agreement"] == expected["agreement"]
    assert row["Readiness level"] == expected["level"]
    assert row["Advice"] == expected["advice"]
    assert row["Why"].startswith(f"{expected['level'].capitalize()} readiness (mean ")


def test_suppressed_teams_show_suppressed(demo_db):
    at = _page()
    table = _scores_table(at)
    scores = readiness.readiness_scores(demo_db, LOCAL)
    hidden_teams = set(scores.loc[scores["suppressed"], "team"])
    assert hidden_teams  # the sample has teams under 11
    for team in hidden_teams:
        rows = table[table["Team"] == team]
        assert len(rows) > 0
        for heading in ("Respondents", "Mean", "95% CI low", "Alignment (r_wg)", "Advice"):
            assert (rows[heading] == "suppressed").all()
    assert not (table["Mean"] == "0").any() and not (table["Respondents"] == "0").any()
    assert any("suppressed" in c.value for c in at.caption)


def test_filters_narrow_every_table(demo_db):
    at = _page()
    at.multiselect(key="readiness_teams").set_value([ED])
    at.run()
    assert not at.exception
    table = _scores_table(at)
    assert set(table["Team"]) == {"Emergency Department"}
    _open(at, ITEMS)  # the filters stay as they were
    assert at.multiselect(key="readiness_teams").value == [ED]
    items = _table(at, "Item", "Statement")
    answers = views.item_answers(demo_db, LOCAL, teams=(ED,), instrument_code="oric")
    totals = views.item_totals(answers).set_index("item_code")
    assert items.set_index("Item").at["c1", "Answers"] == f"{totals.at['c1', 'n']:.0f}"

    at.multiselect(key="readiness_rounds").set_value(
        [views.filter_options(demo_db, LOCAL)["rounds"][0]]
    )
    _open(at, SCORES)
    assert not at.exception
    assert "No readiness scores match these filters" in " ".join(i.value for i in at.info)


def test_organisation_totals(demo_db):
    at = _page()
    at.radio[0].set_value("Organisations (all teams of a programme pooled)")
    at.run()
    assert not at.exception
    table = _table(at, "Organisation", "Programme", "Round")
    expected = readiness.readiness_scores(demo_db, LOCAL, by_team=False, org_codes=["ZH1"])
    row = table[table["Programme"] == "Hear and treat"].iloc[0]
    assert row["Mean"] == f"{expected.iloc[0]['mean']:.2f}"


def test_change_over_rounds_in_words(demo_db):
    at = _open(_page(), CHANGE)
    change = readiness.change_over_rounds(demo_db, LOCAL)
    table = _table(at, "Organisation", "Team", "Programme", "Subscale")
    assert len(table) == len(change)
    sentences = " ".join(m.value for m in at.markdown)
    for sentence in change["sentence"]:
        assert sentence in sentences


def test_impact_self_assessment_beside_evidence(demo_db):
    at = _open(_page(), IMPACT)
    at.selectbox(key="readiness_impact_org").set_value("ZB1")
    at.run()
    assert not at.exception
    evidence = _table(at, "Component", "Level", "Level label")
    maturity = readiness.impact_maturity(demo_db, LOCAL, org_codes=["ZB1"])
    assert evidence["Level"].tolist() == [str(v) for v in maturity["level"]]
    assert evidence["Evidence"].tolist() == maturity["evidence"].tolist()
    assert evidence["Next step"].tolist() == maturity["next_step"].tolist()


def test_level_labels_from_settings_show_on_the_page(demo_db):
    before = readiness.level_labels(demo_db)
    readiness.set_level_labels(
        demo_db, LOCAL, ["Emerging", "Developing", "Established", "Embedded", "Leading"]
    )
    try:
        at = _open(_page(), IMPACT)
        evidence = _table(at, "Component", "Level", "Level label")
        assert set(evidence["Level label"]) <= {
            "Emerging",
            "Developing",
            "Established",
            "Embedded",
            "Leading",
        }
        assert any("1 Emerging" in c.value for c in at.caption)
    finally:
        readiness.set_level_labels(demo_db, LOCAL, before)


def test_renders_an_empty_database_with_plain_messages(empty_db):
    at = _page()
    expected = {
        SCORES: "No readiness checks have been uploaded yet",
        CHANGE: "No team in these filters has been assessed more than once yet",
        ITEMS: "No readiness checks have been uploaded yet, so there are no answers to show",
        IMPACT: "No NHS IMPACT self-assessments for these organisations yet",
    }
    for tab, words in expected.items():
        _open(at, tab)
        assert words in " ".join(i.value for i in at.info), tab
        assert not at.error and not at.get("vega_lite_chart")


def test_every_check_after_the_period_says_so_in_plain_words(demo_db):
    """The sample's first readiness check is in October 2024: for September 2024 each readiness
    tab says the checks are later, not that there are none."""
    at = AppTest.from_file(str(PAGE), default_timeout=60)
    at.query_params["period"] = "2024-09"
    at.run()
    assert not at.exception, at.exception
    instrument = at.selectbox(key="readiness_instrument")
    assert instrument.value is None
    assert instrument.placeholder == "No readiness checks in this period"
    note = (
        "The readiness checks loaded are from after September 2024 (the earliest is from "
        "October 2024); choose a later reporting period in the sidebar to see them."
    )
    for tab in (SCORES, CHANGE, ITEMS):
        _open(at, tab)
        infos = [i.value for i in at.info]
        assert note in infos, tab
        assert not any("No readiness checks have been uploaded" in i for i in infos)
        assert not at.get("vega_lite_chart") and not at.error
    _open(at, IMPACT)  # self-assessments before the period are still shown
    assert _table(at, "Component", "Level", "Level label") is not None
