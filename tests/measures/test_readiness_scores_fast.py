"""Readiness scores from the answers read once and summed in pandas (issue 20) are the figures
a plain per-person, per-item computation gives: respondents, means, SDs, r_wg(J), people
agreeing, and the level, agreement and advice read from them, by team and by organisation,
for every viewer kind and filter, on the sample system and on a generated national set."""

from __future__ import annotations

import math
import statistics

import pandas as pd
from sqlalchemy import and_, select

from impact_data import Viewer
from impact_data.measures import readiness
from impact_data.stats.agreement import null_variance, rwg_j
from impact_data.store.models import ReadinessAnswer, ReadinessResponse
from impact_data.store.sql import ORG
from tests.measures.test_readiness_item_pool import (  # noqa: F401 - fixtures
    national_db,
    national_file,
    sample_db,
    viewers,
)

LOCAL = Viewer.local()
PEOPLE: dict[str, list[dict]] = {}


def missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def people(db) -> list[dict]:
    """Every answer with its person and check keys (blank team or programme: None), read once
    per database."""
    if db.url in PEOPLE:
        return PEOPLE[db.url]
    r, a = ReadinessResponse, ReadinessAnswer
    q = (
        select(
            r.upload_id,
            r.row_no,
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
        rows = [row._asdict() for row in conn.execute(q)]
    for row in rows:
        day = pd.Timestamp(row.pop("assessment_date"))
        row["round"] = day.date().replace(day=1)
        row["person"] = (row.pop("upload_id"), row.pop("row_no"))
    PEOPLE.clear()
    PEOPLE[db.url] = rows
    return rows


def reference_scores(db, viewer, *, by_team, org_codes=None, programmes=None) -> dict:
    """{(group keys..., subscale): figures}, one person and one item at a time."""
    meta = readiness.instruments(db, LOCAL)
    subscale_of = {(m["code"], m["item_code"]): m["subscale"] for m in meta.to_dict("records")}
    scale = {m["code"]: (m["scale_min"], m["scale_max"]) for m in meta.to_dict("records")}
    detail = viewer.detail_orgs() if by_team else None
    keys = ["org_code", *(["team"] if by_team else []), "programme", "round", "instrument_code"]
    groups: dict[tuple, dict] = {}
    for row in people(db):
        if detail is not None and row["org_code"] not in detail:
            continue
        if org_codes is not None and row["org_code"] not in org_codes:
            continue
        if programmes is not None and (
            row["programme"] is None or row["programme"] not in programmes
        ):
            continue
        subscale = subscale_of.get((row["instrument_code"], row["item_code"]))
        if subscale is None:
            continue
        key = (*(row[k] for k in keys), subscale)
        group = groups.setdefault(key, {"persons": {}, "items": {}})
        group["persons"].setdefault(row["person"], []).append(row["value"])
        group["items"].setdefault(row["item_code"], []).append(row["value"])
    out = {}
    for key, group in groups.items():
        lo, hi = scale[key[len(keys) - 1]]
        scores = [sum(v) / len(v) for v in group["persons"].values()]
        n = len(scores)
        variances = [statistics.variance(v) for v in group["items"].values() if len(v) > 1]
        rwg = rwg_j(variances, null_variance(lo, hi)) if variances else math.nan
        mean = sum(scores) / n
        out[key] = {
            "n": n,
            "mean": mean,
            "sd": statistics.stdev(scores) if n > 1 else math.nan,
            "rwg": rwg,
            "agreeing": sum(s >= lo + readiness.LEVEL_HIGH * (hi - lo) - 1e-9 for s in scores),
            "level": readiness.level_of((mean - lo) / (hi - lo)),
            "agreement": readiness.agreement_of(rwg, n),
        }
    return out


def close(a: object, b: object) -> bool:
    if missing(a) and missing(b):
        return True
    return math.isclose(float(a), float(b), rel_tol=1e-12, abs_tol=1e-12)


def assert_same_scores(db, viewer, **selection) -> int:
    want = reference_scores(db, viewer, **selection)
    scores = readiness.readiness_scores(db, viewer, **selection)
    threshold = db.suppression_threshold()
    by_team = selection["by_team"]
    keys = ["org_code", *(["team"] if by_team else []), "programme", "round", "instrument_code"]
    got = {}
    for row in scores.to_dict("records"):
        key = (*(None if missing(row[k]) else row[k] for k in keys), row["subscale"])
        got[key] = row
    assert set(got) == set(want), selection
    shown = 0
    for key, w in want.items():
        g = got[key]
        if w["n"] < threshold:  # too few people: always hidden (siblings may be hidden too)
            assert g["suppressed"], (key, selection)
        if g["suppressed"]:
            continue
        assert int(g["n"]) == w["n"], (key, selection)
        shown += 1
        for column in ("mean", "sd", "rwg"):
            assert close(g[column], w[column]), (key, column, g[column], w[column])
        assert g["level"] == w["level"] and g["agreement"] == w["agreement"], key
        assert g["advice"] == readiness.advice(w["level"], w["agreement"]), key
    return shown


def selections(db) -> list[dict]:
    checks = readiness.readiness_checks(db, LOCAL)
    orgs = sorted(set(checks["org_code"]))
    progs = [p for p in dict.fromkeys(checks["programme"]) if not missing(p)]
    out = []
    for by_team in (True, False):
        out += [
            {"by_team": by_team},
            {"by_team": by_team, "org_codes": orgs[:2]},
            {"by_team": by_team, "programmes": progs[:1] + [None]},
        ]
    return out


def assert_every_selection(db) -> None:
    shown = [
        assert_same_scores(db, viewer, **selection)
        for viewer in viewers(db)
        for selection in selections(db)
    ]
    assert sum(shown) > 20  # many figures compared, not only suppressed rows


def test_sample_scores_are_the_per_person_reference(sample_db):  # noqa: F811
    assert_every_selection(sample_db)


def test_national_scores_are_the_per_person_reference(national_db):  # noqa: F811
    assert_every_selection(national_db)


def test_agreeing_counts_equal_the_reference(national_db):  # noqa: F811
    """`agreeing` (people at "high" readiness) feeds the pooled figures: each is the sum of
    the reference counts of the published team checks pooled into it."""
    want = reference_scores(national_db, LOCAL, by_team=True)
    teams = readiness.readiness_scores(national_db, LOCAL, by_team=True)
    totals: dict[tuple, int] = {}
    for row in teams[~teams["suppressed"].astype(bool)].to_dict("records"):
        if row["instrument_code"] != "oric":
            continue
        key = tuple(
            None if missing(row[k]) else row[k]
            for k in ("org_code", "team", "programme", "round", "instrument_code", "subscale")
        )
        group = (row["org_code"], row["round"], row["subscale"])
        totals[group] = totals.get(group, 0) + want[key]["agreeing"]
    pooled = readiness.readiness_pooled(national_db, LOCAL, latest=False)
    pooled = pooled[~pooled["suppressed"]]
    assert len(pooled) > 10
    for row in pooled.to_dict("records"):
        assert row["agreeing"] == totals[(row["org_code"], row["round"], row["subscale"])], row


def reference_change(db, viewer, *, org_codes=None, alpha=0.05) -> pd.DataFrame:
    """Change over rounds one team and subscale at a time (the loop it replaced)."""
    from scipy import stats

    scores = readiness.readiness_scores(db, viewer, by_team=True, org_codes=org_codes)
    keys = ["org_code", "team", "programme", "instrument_code", "subscale"]
    rows = []
    visible = scores[~scores["suppressed"].astype(bool)]
    for key, part in visible.groupby(keys, dropna=False):
        part = part.sort_values("round")
        if len(part) < 2:
            continue
        first, last = part.iloc[0], part.iloc[-1]
        _, p = stats.ttest_ind_from_stats(
            last["mean"], last["sd"], last["n"], first["mean"], first["sd"], first["n"],
            equal_var=False,
        )  # fmt: skip
        p = float(p) if not math.isnan(p) else (0.0 if last["mean"] != first["mean"] else 1.0)
        rows.append(
            {
                **dict(zip(keys, key, strict=True)),
                "from_round": first["round"],
                "to_round": last["round"],
                "from_mean": first["mean"],
                "to_mean": last["mean"],
                "change": last["mean"] - first["mean"],
                "from_rwg": first["rwg"],
                "to_rwg": last["rwg"],
                "p_value": p,
                "beyond_noise": bool(p < alpha),
            }
        )
    return pd.DataFrame(rows)


def test_change_over_rounds_is_the_per_team_reference(sample_db, national_db):  # noqa: F811
    compared = 0
    for db in (sample_db, national_db):
        for viewer in viewers(db):
            want = reference_change(db, viewer)
            got = readiness.change_over_rounds(db, viewer)
            compared += len(got)
            pd.testing.assert_frame_equal(
                got.drop(columns="sentence"), want, check_dtype=False, check_exact=True
            )
            # Every sentence says what the figures say.
            for row in got.to_dict("records"):
                assert row["sentence"].startswith(row["subscale"])
                assert ("beyond noise" in row["sentence"]) == row["beyond_noise"]
                assert f"{row['to_mean']:.1f}" in row["sentence"]
    assert compared > 20
