"""Disclosure control: the one small-number rule every figure, view and export goes through.

The rule, in plain words (the README repeats it):

1. *Primary suppression.* A group with fewer than `threshold` people (responses) is hidden:
   its count and every figure computed from it.
2. *Complementary suppression.* Where the groups are parts of a published total (the teams of
   one organisation, the organisations of one system, ...), the part of that total which is not
   published, the total minus the groups shown, must itself be zero or at least `threshold`.
   While it is not, the smallest group still shown is hidden too. So no total minus the shown
   parts gives a small group, whether one group is hidden or several.
3. *Chosen groups.* Where a user picks which groups to pool (items, teams, rounds,
   organisations), only groups that are published on their own are pooled
   (`publishable_groups`): any sum or difference of selections is then a sum or difference of
   published figures and reveals nothing hidden.

Pure functions on DataFrames; no database.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

__all__ = [
    "PRIMARY",
    "SECONDARY",
    "SUPPRESSED",
    "SUPPRESSION",
    "hidden_mask",
    "publishable_groups",
    "suppress",
    "suppress_with_siblings",
]

SUPPRESSED = "suppressed"
SUPPRESSION = "suppression"
PRIMARY = "small number"
SECONDARY = "secondary"


def hidden_mask(
    counts: pd.Series,
    threshold: int,
    groups: pd.Series | None = None,
    totals: pd.Series | None = None,
) -> pd.Series:
    """The reason each count is hidden: "small number", "secondary" or "" (shown).

    `groups` labels the parts of one total (rows with the same label are siblings; NaN labels
    stand alone). `totals`, aligned with `counts`, is each row's published total where it is
    more than the sum of its parts (people with no team, say); by default the sum of the parts.
    """
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
    if not risky.any():
        return reason
    if counts.index.is_unique and _hide_siblings(reason, labels, known, total, risky, threshold):
        return reason
    # Counts that are not whole numbers: the sums below in exactly this order.
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


def _hide_siblings(
    reason: pd.Series,
    labels: pd.Series,
    known: pd.Series,
    total: pd.Series,
    risky: pd.Series,
    threshold: float,
) -> bool:
    """Complementary suppression in every risky group at once: in each group, the shown parts
    from the smallest up (ties by the row's label as text, then row order) are hidden while
    the total minus the parts still shown is above zero and below `threshold`.

    Only for whole-number counts and totals (then every sum is exact, in any order); False,
    with nothing changed, otherwise."""
    group_of, _ = pd.factorize(labels)  # -1 for rows standing alone
    risky_groups = np.unique(group_of[risky.to_numpy(dtype=bool)])
    at_risk = np.isin(group_of, risky_groups)
    size_all = known.to_numpy(dtype=float)
    total_all = total.to_numpy(dtype=float)
    for values in (size_all[at_risk], total_all[at_risk]):
        if not np.all((values == np.floor(values)) & (np.abs(values) < 2.0**52)):
            return False
    # Each risky group's total: its first row's.
    rows = np.flatnonzero(at_risk)
    codes, firsts = np.unique(group_of[rows], return_index=True)
    group_total = total_all[rows[firsts]]
    candidates = rows[reason.to_numpy(dtype=object)[rows] == ""]
    if not len(candidates):
        return True
    group = np.searchsorted(codes, group_of[candidates])
    size = size_all[candidates]
    names = np.unique(np.array([str(r) for r in reason.index[candidates]]), return_inverse=True)[1]
    order = np.lexsort((names, size, group))  # stable: equal keys keep row order
    candidates, group, size = candidates[order], group[order], size[order]
    # Before each row: the total minus the parts still shown, as the hiding reaches it.
    shown_sum = np.bincount(group, weights=size, minlength=len(codes))
    before = np.cumsum(size) - size
    first = np.searchsorted(group, group)  # each row's group's first row
    before -= before[first]
    hidden_part = group_total[group] - shown_sum[group] + before
    fits = (hidden_part > 0) & (hidden_part < threshold)
    # A row is hidden while every row before it in its group was hidden too.
    misses = np.cumsum(~fits)
    hide = misses == (misses - ~fits)[first]
    reason.iloc[candidates[hide]] = SECONDARY
    return True


def suppress(
    frame: pd.DataFrame,
    n_column: str,
    value_columns: Sequence[str],
    threshold: int,
    *,
    sibling_keys: Sequence[str] = (),
    total_column: str | None = None,
) -> pd.DataFrame:
    """Apply the disclosure rule to `frame`: blank `value_columns` and the count of hidden rows.

    `sibling_keys` name the columns shared by the parts of one total (e.g. org, year and
    question for the teams of an organisation); `total_column`, if given, holds each row's
    published total. Adds `suppressed` (bool) and `suppression` (the reason, "" if shown).
    """
    out = frame.copy()
    groups = None
    if sibling_keys and len(out):
        keys = out[list(sibling_keys)].astype(object).where(out[list(sibling_keys)].notna(), "")
        groups = pd.Series(
            pd.MultiIndex.from_frame(keys).factorize()[0], index=out.index, dtype=float
        )
    totals = out[total_column] if total_column else None
    reason = hidden_mask(out[n_column], threshold, groups, totals)
    hide = reason != ""
    out[SUPPRESSION] = reason
    out[SUPPRESSED] = hide.astype(bool)
    for col in value_columns:
        if col in out.columns:
            out[col] = pd.to_numeric(out[col], errors="coerce").astype(float).where(~hide, np.nan)
    out[n_column] = (
        pd.to_numeric(out[n_column], errors="coerce").astype("Int64").where(~hide, pd.NA)
    )
    if total_column and total_column != n_column:
        out = out.drop(columns=[total_column])
    return out


def suppress_with_siblings(
    frame: pd.DataFrame,
    n_column: str,
    value_columns: Sequence[str],
    threshold: int,
    sibling_keys: Sequence[str],
) -> pd.DataFrame:
    """`suppress` with the parts of each total named by `sibling_keys` (kept for callers)."""
    return suppress(frame, n_column, value_columns, threshold, sibling_keys=sibling_keys)


def publishable_groups(
    published: pd.DataFrame, group_column: str, chosen: Iterable[object]
) -> tuple[list[object], list[object]]:
    """Split the groups a user chose into those that may be pooled and those left out.

    `published` is the screen's own table of groups with its `suppressed` column; a group may
    be pooled only where it is shown on its own, so no two selections differ by a hidden group.
    """
    chosen = list(dict.fromkeys(chosen))
    if SUPPRESSED in published.columns:
        hidden_rows = published[SUPPRESSED].fillna(True).astype(bool)
    else:
        hidden_rows = pd.Series(False, index=published.index)
    shown = set(published.loc[~hidden_rows, group_column])
    return [g for g in chosen if g in shown], [g for g in chosen if g not in shown]
