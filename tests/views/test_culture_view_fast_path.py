"""The fast Culture page paths against the straightforward code they replaced: every
organisation's pulse reading from one pass over all p-charts (`views.culture.pulse_overview`),
one chart drawn on its own (`pulse_chart`), and year on year from one sorted pass
(`measures.culture.year_on_year`), on the sample system and on the national-scale generator's
data (a small, fixed-seed set).
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from impact_data.access import Viewer
from impact_data.measures import culture as culture_measure
from impact_data.stats.intervals import difference_test
from impact_data.store.db import Database
from impact_data.views import culture as views

LOCAL = Viewer.local()


def reference_year_on_year(db: Database, alpha: float = 0.05) -> pd.DataFrame:
    """Year on year group by group (the replaced loop)."""
    scores = culture_measure.culture_scores(db, LOCAL)
    frame = pd.concat([scores["dimensions"], scores["overall"]], ignore_index=True)
    rows = []
    for (org, dim), part in frame.groupby(["org_code", "dimension"], sort=True):
        part = part.sort_values("period")
        visible = part[part["score"].notna()]
        if len(visible) < 2:
            continue
        before, after = visible.iloc[-2], visible.iloc[-1]
        z, p = difference_test(before["score"], before["se"], after["score"], after["se"])
        significant = bool(p < alpha) if not math.isnan(p) else False
        rows.append(
            {
                "org_code": org,
                "dimension": dim,
                "from_period": int(before["period"]),
                "to_period": int(after["period"]),
                "from_score": float(before["score"]),
                "to_score": float(after["score"]),
                "change": float(after["score"] - before["score"]),
                "z": z,
                "p_value": p,
                "real_change": significant,
                "sentence": culture_measure.change_sentence(
                    dim,
                    before["score"],
                    after["score"],
                    significant,
                    int(before["period"]),
                    int(after["period"]),
                ),
            }
        )
    return pd.DataFrame(rows)


@pytest.fixture(scope="module", params=["sample", "national"])
def system(request, loaded_system):
    return loaded_system(request.param, n_orgs=8, n_systems=2)


def test_year_on_year_equals_the_group_by_group_loop(system):
    culture_measure.clear_scores_cache()
    fast = culture_measure.year_on_year(system, LOCAL)
    reference = reference_year_on_year(system)
    assert len(reference) >= 8 and reference["real_change"].any()
    pd.testing.assert_frame_equal(
        fast.reset_index(drop=True), reference, check_exact=True, check_dtype=False
    )
    chosen = sorted(set(reference["org_code"]))[:2]
    some = culture_measure.year_on_year(system, LOCAL, org_codes=chosen)
    expected = reference[reference["org_code"].isin(chosen)].reset_index(drop=True)
    pd.testing.assert_frame_equal(
        some.reset_index(drop=True), expected, check_exact=True, check_dtype=False
    )


@pytest.mark.parametrize("dimension", [views.OVERALL, "first"])
def test_pulse_overview_and_one_chart_equal_every_chart_drawn(system, dimension):
    if dimension == "first":
        scores = culture_measure.culture_scores(system, LOCAL, source="pulse")
        dimension = sorted(set(scores["dimensions"]["dimension"]))[0]
    charts = views.pulse_charts(system, LOCAL, dimension=dimension)
    assert len(charts) >= 5
    reference = views.pulse_summary_table(charts)
    fast = views.pulse_overview(system, LOCAL, dimension=dimension)
    pd.testing.assert_frame_equal(fast, reference, check_exact=True)
    for code, chart in charts.items():
        one = views.pulse_chart(system, LOCAL, code, dimension=dimension)
        pd.testing.assert_frame_equal(one, chart, check_exact=True)
        assert one.attrs == chart.attrs
    some = sorted(charts)[:3]
    fast_some = views.pulse_overview(system, LOCAL, org_codes=some, dimension=dimension)
    assert fast_some["org_code"].tolist() == [c for c in reference["org_code"] if c in some]
    assert views.pulse_chart(system, LOCAL, "NO-SUCH-ORG", dimension=dimension) is None
