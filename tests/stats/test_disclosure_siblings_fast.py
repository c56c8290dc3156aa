"""Complementary suppression of every risky group at once (`disclosure.hidden_mask`, issue 20)
hides exactly the rows the group-by-group loop it replaced hid: property-style, on generated
counts with ties, blank counts, rows standing alone, given totals, text and shuffled labels,
and counts that are not whole numbers (which still take the loop)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from impact_data.stats import disclosure
from impact_data.stats.disclosure import PRIMARY, SECONDARY, hidden_mask


def reference_hidden_mask(
    counts: pd.Series,
    threshold: int,
    groups: pd.Series | None = None,
    totals: pd.Series | None = None,
) -> pd.Series:
    """The replaced code: one risky group at a time."""
    n = pd.to_numeric(counts, errors="coerce").astype(float)
    reason = pd.Series(np.where(n < threshold, PRIMARY, ""), index=counts.index, dtype=object)
    if groups is None or not len(n):
        return reason
    labels = pd.Series(groups, index=counts.index)
    known = n.fillna(0.0)
    total = known.groupby(labels, dropna=True).transform("sum")
    if totals is not None:
        given = pd.to_numeric(pd.Series(totals, index=counts.index), errors="coerce")
        total = given.where(given.notna(), total).astype(float)
    shown = known.where(reason == "", 0.0).groupby(labels, dropna=True).transform("sum")
    unpublished = total - shown
    risky = labels.notna() & (unpublished > 0) & (unpublished < threshold)
    for label in pd.unique(labels[risky]):
        rows = labels.index[labels == label]
        group_total = float(total[rows[0]])
        visible = [r for r in rows if reason[r] == ""]
        visible.sort(key=lambda r: (known[r], str(r)))
        hidden_part = group_total - sum(known[r] for r in visible)
        while visible and 0 < hidden_part < threshold:
            row = visible.pop(0)
            reason[row] = SECONDARY
            hidden_part += known[row]
    return reason


def generated(seed: int):
    """Counts, group labels, totals and a threshold built to trip the rule often."""
    rng = np.random.default_rng(seed)
    rows = int(rng.integers(1, 400))
    threshold = int(rng.choice([1, 3, 5, 10, 11]))
    groups = int(rng.integers(1, max(2, rows // 2)))
    counts = rng.integers(0, 3 * threshold + 2, rows).astype(float)
    if rng.random() < 0.5:  # many ties
        counts = rng.choice([threshold - 1, threshold, threshold + 1, 2 * threshold], rows)
        counts = counts.astype(float)
    counts[rng.random(rows) < 0.05] = np.nan  # a blank count is shown, and counts as 0
    labels = rng.integers(0, groups, rows).astype(float)
    labels[rng.random(rows) < 0.1] = np.nan  # rows standing alone
    index = rng.permutation(rows) * int(rng.choice([1, 7, 13]))  # "13" sorts before "7" as text
    if rng.random() < 0.3:
        index = np.array([f"row {i}" for i in index], dtype=object)
    counts = pd.Series(counts, index=index)
    labels = pd.Series(labels, index=index)
    if rng.random() < 0.3:
        names = np.array(["org A", "org B", "org C", "team x", "7", "10"], dtype=object)
        labels = labels.map(lambda v: None if np.isnan(v) else names[int(v) % len(names)])
    totals = None
    if rng.random() < 0.4:  # a published total above the parts' sum (people with no team)
        extra = rng.integers(0, threshold + 2, rows).astype(float)
        if rng.random() < 0.3:  # or, in a muddle, below it
            extra -= rng.integers(0, 3 * threshold, rows)
        totals = counts.fillna(0).groupby(labels).transform("sum") + extra
        totals[rng.random(rows) < 0.2] = np.nan  # no total given: the parts' sum
    return counts, labels, totals, threshold


def assert_same(counts, labels, totals, threshold) -> pd.Series:
    want = reference_hidden_mask(counts, threshold, labels, totals)
    got = hidden_mask(counts, threshold, labels, totals)
    assert got.index.equals(want.index)
    assert got.tolist() == want.tolist()
    return got


@pytest.mark.parametrize("seed", range(300))
def test_every_risky_group_at_once_is_the_loop(seed):
    assert_same(*generated(seed))


def test_generated_sets_hide_many_siblings():
    """The generated sets do trip the rule: many secondary suppressions, some groups hiding
    more than one part."""
    secondary = 0
    for seed in range(300):
        reason = assert_same(*generated(seed))
        secondary += int((reason == SECONDARY).sum())
    assert secondary > 500


@pytest.mark.parametrize("seed", range(40))
def test_counts_not_whole_take_the_loop(seed, monkeypatch):
    counts, labels, totals, threshold = generated(seed)
    counts = counts * 0.7  # fractional counts: sums depend on their order
    used = []
    real = disclosure._hide_siblings
    monkeypatch.setattr(disclosure, "_hide_siblings", lambda *a: used.append(real(*a)) or used[-1])
    assert_same(counts, labels, totals, threshold)
    assert True not in used


def test_suppress_on_a_frame_matches_the_loop():
    """`suppress` with sibling keys (its groups are factorized keys) on a frame of teams."""
    rng = np.random.default_rng(7)
    frame = pd.DataFrame(
        {
            "org": rng.choice([f"org {i}" for i in range(300)], 2000),
            "round": rng.choice([1, 2, 3], 2000),
            "n": rng.integers(0, 30, 2000),
        }
    )
    out = disclosure.suppress(frame, "n", [], 10, sibling_keys=["org", "round"])
    keys = frame[["org", "round"]]
    groups = pd.Series(pd.MultiIndex.from_frame(keys).factorize()[0], dtype=float)
    want = reference_hidden_mask(frame["n"], 10, groups)
    assert out["suppression"].tolist() == want.tolist()
    assert (want == SECONDARY).sum() > 50
