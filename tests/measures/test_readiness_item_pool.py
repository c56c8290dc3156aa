"""The item answers pooled in one vectorised pass (`readiness.item_pool`, issue 20) are exactly
what a plain loop over team checks gives: on the sample system and on a generated national
set (benchmarks/national_data.py, fixed seed, a few organisations, with blank teams and
programmes mixed in), for every viewer kind and a spread of selections."""

from __future__ import annotations

import datetime as dt
import math
import shutil

import pandas as pd
import pytest
from sqlalchemy import and_, select

from benchmarks import national_data
from impact_data import Viewer, load_file
from impact_data.measures import readiness
from impact_data.store.db import Database
from impact_data.store.models import ReadinessAnswer, ReadinessResponse
from impact_data.store.sql import ORG
from impact_data.views import readiness as views

LOCAL = Viewer.local()
KEYS = ["org_code", "team", "programme", "round", "instrument_code"]


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def raw_answers(db: Database) -> pd.DataFrame:
    """Every stored answer with its check's keys (round = month of the check)."""
    r, a = ReadinessResponse, ReadinessAnswer
    q = (
        select(
            ORG.c.org_code,
            r.team,
            r.programme,
            r.assessment_date,
            r.instrument_code,
            a.item_code,
            a.value,
        )
        .select_from(a)
        .join(r, and_(r.upload_id == a.upload_id, r.row_no == a.row_no))
        .join(ORG, ORG.c.id == r.org_id)
    )
    with db.connect() as conn:
        rows = [tuple(row) for row in conn.execute(q)]
    frame = pd.DataFrame.from_records(
        rows,
        columns=["org_code", "team", "programme", "day", "instrument_code", "item_code", "value"],
    )
    frame["round"] = [dt.date(d.year, d.month, 1) for d in pd.to_datetime(frame["day"])]
    return frame


def reference_item_pool(db, viewer, *, org_codes=None, teams=None, programmes=None, rounds=None,
                        instrument_code=None):  # fmt: skip
    """The rule of `readiness.item_distribution` / `item_groups_left_out`, one check at a time."""
    threshold = db.suppression_threshold()
    rows = raw_answers(db).to_dict("records")
    for row in rows:  # a blank team or programme is None (a text column holds it as NaN)
        row["team"] = None if _missing(row["team"]) else row["team"]
        row["programme"] = None if _missing(row["programme"]) else row["programme"]

    def chosen(row: dict) -> bool:
        if org_codes is not None and row["org_code"] not in set(org_codes):
            return False
        if teams is not None:
            if not viewer.can_see_detail(row["org_code"]):
                return False
            ok = False
            for team in teams:
                org, name = team if isinstance(team, tuple) else (None, team)
                if (org is None or org == row["org_code"]) and name == row["team"]:
                    ok = True
            if not ok:
                return False
        if programmes is not None and row["programme"] not in list(programmes):
            return False
        if rounds is not None:
            months = {dt.date(pd.Timestamp(m).year, pd.Timestamp(m).month, 1) for m in rounds}
            if row["round"] not in months:
                return False
        return instrument_code is None or row["instrument_code"] == instrument_code

    rows = [row for row in rows if chosen(row)]
    # A check is published when every subscale score of it is shown (all organisations' teams).
    scores = readiness.readiness_scores(db, LOCAL, by_team=True)
    hidden: dict[tuple, bool] = {}
    for s in scores.to_dict("records"):
        key = tuple(None if _missing(s[k]) else s[k] for k in KEYS)
        hidden[key] = hidden.get(key, False) or bool(s["suppressed"])
    units: dict[tuple, list[dict]] = {}
    for row in rows:
        units.setdefault(tuple(row[k] for k in KEYS), []).append(row)

    def label(key: tuple) -> str:
        return "|".join("" if v is None else str(v) for v in key)

    left = []
    pooled_rows = []
    for key in sorted(units, key=label):
        per_item: dict[str, int] = {}
        for row in units[key]:
            per_item[row["item_code"]] = per_item.get(row["item_code"], 0) + 1
        if key not in hidden or hidden[key]:
            left.append({**dict(zip(KEYS, key, strict=True)), "items": "all", "teams": 1})
            continue
        few = sorted(item for item, n in per_item.items() if n < threshold)
        if few:
            left.append({**dict(zip(KEYS, key, strict=True)), "items": ", ".join(few), "teams": 1})
        pooled_rows += [row for row in units[key] if per_item[row["item_code"]] >= threshold]
    detail = viewer.detail_orgs()
    if detail is not None:
        named = [row for row in left if row["org_code"] in detail]
        counted: dict[tuple, int] = {}
        for row in left:
            if row["org_code"] not in detail:
                key = (row["org_code"], row["programme"], row["round"], row["instrument_code"],
                       row["items"])  # fmt: skip
                counted[key] = counted.get(key, 0) + 1
        left = named + [
            {
                "org_code": k[0],
                "team": None,
                "programme": k[1],
                "round": k[2],
                "instrument_code": k[3],
                "items": k[4],
                "teams": n,
            }  # fmt: skip
            for k, n in sorted(counted.items(), key=lambda kv: tuple(map(str, kv[0])))
        ]

    meta = readiness.instruments(db, LOCAL).set_index(["code", "item_code"])
    items = sorted(
        {(row["instrument_code"], row["item_code"]) for row in rows},
        key=lambda ic: (ic[0], int(meta.loc[ic, "position"])),
    )
    dist = []
    for inst, item in items:
        info = meta.loc[(inst, item)]
        base = {
            "instrument_code": inst,
            "item_code": item,
            "subscale": info["subscale"],
            "text": info["text"],
            "position": int(info["position"]),
            "scale_min": int(info["scale_min"]),
            "scale_max": int(info["scale_max"]),
        }
        values = [
            r["value"]
            for r in pooled_rows
            if (r["instrument_code"], r["item_code"]) == (inst, item)
        ]
        n = len(values)
        # A hidden item keeps one row, with no answer value, count, share or n.
        if n < threshold:
            dist.append(
                {**base, "value": None, "count": None, "share": None, "n": None, "suppressed": True}
            )
            continue
        for value in sorted(set(values)):
            count = values.count(value)
            dist.append({**base, "value": value, "count": count, "share": count / n, "n": n,
                         "suppressed": False})  # fmt: skip
    return dist, left


def _same(a: object, b: object) -> bool:
    if _missing(a) and _missing(b):
        return True
    if isinstance(a, int | float) and isinstance(b, int | float):
        return math.isclose(float(a), float(b), rel_tol=1e-12, abs_tol=1e-12)
    return str(a) == str(b)


def assert_same_pool(db: Database, viewer: Viewer, **selection) -> tuple[int, int]:
    dist, left = readiness.item_pool(db, viewer, **selection)
    want_dist, want_left = reference_item_pool(db, viewer, **selection)
    got = dist.to_dict("records")
    assert len(got) == len(want_dist), selection
    for g, w in zip(got, want_dist, strict=True):
        for column, value in w.items():
            assert _same(g[column], value), (selection, column, g, w)
    got_left = left.to_dict("records")

    def key(row: dict) -> tuple[str, ...]:
        return tuple("" if _missing(row[k]) else str(row[k]) for k in [*KEYS, "items"])

    assert sorted(map(key, got_left)) == sorted(map(key, want_left)), selection
    by_key = {key(row): row for row in got_left}
    for w in want_left:
        assert int(by_key[key(w)]["teams"]) == w["teams"]
        assert _missing(by_key[key(w)]["team"]) == (w["team"] is None)
    if viewer.detail_orgs() is None:  # named checks keep the order of their labels
        assert [key(row) for row in got_left] == [key(row) for row in want_left]
    # Both halves are what the one-at-a-time functions give.
    pd.testing.assert_frame_equal(dist, readiness.item_distribution(db, viewer, **selection))
    pd.testing.assert_frame_equal(left, readiness.item_groups_left_out(db, viewer, **selection))
    return len(got), len(got_left)


def selections(db: Database) -> list[dict]:
    checks = readiness.readiness_checks(db, LOCAL)
    orgs = sorted(set(checks["org_code"]))
    rounds = sorted(set(checks["round"]))
    pairs = list(dict.fromkeys(zip(checks["org_code"], checks["team"], strict=True)))
    progs = list(dict.fromkeys(checks["programme"]))
    return [
        {},
        {"instrument_code": "oric"},
        {"org_codes": orgs[:2]},
        {"org_codes": orgs[-1:], "rounds": rounds[-1:]},
        {"rounds": rounds[:1]},
        {"teams": [(o, None if _missing(t) else t) for o, t in pairs[:4]]},
        {"teams": [t for _, t in pairs[:2] if not _missing(t)]},
        {"programmes": [None if _missing(p) else p for p in progs[:1]] + [None]},
    ]


def viewers(db: Database) -> list[Viewer]:
    orgs = sorted(set(readiness.readiness_checks(db, LOCAL)["org_code"]))
    return [
        LOCAL,
        Viewer("team viewer", "team_member", frozenset(orgs[:1])),
        Viewer("executive viewer", "executive", frozenset(orgs)),
    ]


@pytest.fixture
def sample_db(demo_file, tmp_path):
    path = tmp_path / "sample.db"
    shutil.copy(demo_file, path)
    db = Database(f"sqlite:///{path}")
    yield db
    db.dispose()


@pytest.fixture(scope="module")
def national_file(tmp_path_factory):
    """A small generated national set: organisations and readiness only, with one
    organisation's team and one's programme left blank for some people."""
    out = tmp_path_factory.mktemp("national")
    orgs = national_data.organisations(8, 2)
    answers = national_data.readiness(orgs)
    codes = sorted(set(answers["org_code"]))
    answers["team"] = answers["team"].astype(object)
    answers["programme"] = answers["programme"].astype(object)
    answers.loc[(answers["org_code"] == codes[1]) & (answers.index % 4 == 0), "team"] = None
    answers.loc[answers["org_code"] == codes[2], "programme"] = None
    orgs.to_csv(out / "orgs.csv", index=False)
    answers.to_csv(out / "readiness.csv", index=False)
    path = out / "national.db"
    db = Database(f"sqlite:///{path}")
    for name, kind in (("orgs.csv", "organisations"), ("readiness.csv", "readiness")):
        prepared, result = load_file(db, out / name, kind)
        assert result is not None, prepared.problems[:3]
    db.dispose()
    return path


@pytest.fixture
def national_db(national_file, tmp_path):
    path = tmp_path / "national.db"
    shutil.copy(national_file, path)
    db = Database(f"sqlite:///{path}")
    yield db
    db.dispose()


def test_sample_system_pool_is_the_reference(sample_db):
    sizes = [
        assert_same_pool(sample_db, viewer, **selection)
        for viewer in viewers(sample_db)
        for selection in selections(sample_db)
    ]
    assert any(n_left for _, n_left in sizes)  # some checks are left out, so it is exercised
    assert all(n_items for n_items, _ in sizes)


def test_generated_national_pool_is_the_reference(national_db):
    checks = readiness.readiness_checks(national_db, LOCAL)
    assert checks["team"].isna().any() and checks["programme"].isna().any()
    sizes = [
        assert_same_pool(national_db, viewer, **selection)
        for viewer in viewers(national_db)
        for selection in selections(national_db)
    ]
    assert sum(n_left for _, n_left in sizes) > 10


def test_threshold_change_is_seen_at_once(sample_db):
    before = readiness.item_pool(sample_db, LOCAL)[1]
    sample_db.set_setting("suppression_threshold", 3)
    after = readiness.item_pool(sample_db, LOCAL)[1]
    assert len(after) < len(before)
    assert_same_pool(sample_db, LOCAL)


def test_the_page_view_is_both_halves(sample_db):
    answers, left_out = views.item_answers_and_left_out(sample_db, LOCAL, instrument_code="oric")
    pd.testing.assert_frame_equal(
        answers, views.item_answers(sample_db, LOCAL, instrument_code="oric")
    )
    assert left_out == views.item_answers_left_out(sample_db, LOCAL, instrument_code="oric")
    assert left_out and all("(" in words for words in left_out)
