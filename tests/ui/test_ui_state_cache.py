"""Page query caching (ui.state): keyed by access scope and data version, never by the person,
with no time limit; the shared query runs as the scope, so its result cannot depend on who."""

from __future__ import annotations

import pytest

from impact_data import Viewer
from impact_data.measures import queries
from impact_data.views import culture as culture_views
from tests.conftest import use_database


@pytest.fixture
def state(tmp_path, monkeypatch):
    """ui.state pointed at a fresh SQLite database with one organisation."""
    import ui.state

    db = use_database(f"sqlite:///{tmp_path / 'impact.db'}", monkeypatch)
    csv = tmp_path / "orgs.csv"
    csv.write_text("org_code,org_name,org_type\nRX1,Trust One,acute\nRX2,Trust Two,acute\n")
    from impact_data import load_file

    prepared, result = load_file(db, csv, "organisations")
    assert result is not None, prepared.problems
    yield ui.state, db
    db.dispose()


ANN = Viewer("ann@example.nhs.uk", "executive", frozenset({"RX1", "RX2"}))
BOB = Viewer("bob@example.nhs.uk", "executive", frozenset({"RX2", "RX1"}))
CAROL = Viewer("carol@example.nhs.uk", "team_member", frozenset({"RX1"}))
DAN = Viewer("dan@example.nhs.uk", "team_member", frozenset({"RX2"}))


def test_viewers_with_the_same_role_and_organisations_share_a_key(state):
    ui_state, db = state
    version = db.data_version()
    key = ui_state.cache_key(culture_views.org_scores, ANN, version, version=1, source="pulse")
    assert key == ui_state.cache_key(
        culture_views.org_scores, BOB, version, version=1, source="pulse"
    )
    assert "ann@example.nhs.uk" not in repr(key)
    assert ANN.scope == BOB.scope == ("executive", ("RX1", "RX2"))


def test_a_different_scope_or_argument_has_its_own_key(state):
    ui_state, db = state
    version = db.data_version()
    keys = [ui_state.cache_key(queries.organisations, who, version) for who in (ANN, CAROL, DAN)]
    assert len({repr(k) for k in keys}) == 3
    executive = Viewer("erin@example.nhs.uk", "executive", frozenset({"RX1"}))
    assert ui_state.cache_key(queries.organisations, executive, version) not in keys
    assert ui_state.cache_key(
        culture_views.org_scores, ANN, version, source="pulse"
    ) != ui_state.cache_key(culture_views.org_scores, ANN, version, source="staff_survey")


def test_a_write_changes_the_key(state, tmp_path):
    ui_state, db = state
    before = ui_state.cache_key(queries.organisations, ANN, db.data_version())
    csv = tmp_path / "more.csv"
    csv.write_text("org_code,org_name,org_type\nRX3,Trust Three,community\n")
    from impact_data import load_file

    load_file(db, csv, "organisations")
    after = ui_state.cache_key(queries.organisations, ANN, db.data_version())
    assert before != after
    assert after[:3] == before[:3] and after[4:] == before[4:]


def test_the_shared_query_runs_as_the_scope_not_the_person(state):
    ui_state, _ = state
    as_run = ui_state.scope_viewer(CAROL.scope)
    assert as_run == Viewer("team_member viewer", "team_member", frozenset({"RX1"}))
    assert as_run.detail_orgs() == CAROL.detail_orgs()
    assert ui_state.scope_viewer(ANN.scope) == ui_state.scope_viewer(BOB.scope)


def test_query_caches_until_a_write(state, tmp_path):
    ui_state, db = state
    ui_state.clear_caches()
    first = ui_state.query(queries.organisations)
    assert sorted(first["org_code"]) == ["RX1", "RX2"]
    csv = tmp_path / "more.csv"
    csv.write_text("org_code,org_name,org_type\nRX3,Trust Three,community\n")
    from impact_data import load_file

    load_file(db, csv, "organisations")
    # No clear_caches here: another process wrote; the data version alone moves the key on.
    assert sorted(ui_state.query(queries.organisations)["org_code"]) == ["RX1", "RX2", "RX3"]
