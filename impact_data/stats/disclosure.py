"""Small-number suppression, applied inside the data layer so no view or export can forget it."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

SUPPRESSED = "suppressed"


def suppress(
    frame: pd.DataFrame,
    n_column: str,
    value_columns: Sequence[str],
    threshold: int,
) -> pd.DataFrame:
    """Blank `value_columns` (and the count) where `n_column` < threshold; add `suppressed`.

    The count itself is hidden too: with a known total, a small count can identify people.
    """
    out = frame.copy()
    small = out[n_column].notna() & (out[n_column] < threshold)
    out[SUPPRESSED] = small.astype(bool)
    for col in value_columns:
        if col in out.columns:
            out[col] = out[col].astype(float).where(~small, np.nan)
    out[n_column] = out[n_column].astype("Int64").where(~small, pd.NA)
    return out


def suppress_with_siblings(
    frame: pd.DataFrame,
    n_column: str,
    value_columns: Sequence[str],
    threshold: int,
    sibling_keys: Sequence[str],
) -> pd.DataFrame:
    """Primary suppression, then secondary: where exactly one of a total's parts (rows
    sharing `sibling_keys`, e.g. the teams of one org, year and question) is hidden, hide
    the smallest other part too, so the hidden one cannot be worked out from the total.

    Adds `suppressed` and `suppression` ("small number", "secondary" or "").
    """
    out = frame.copy()
    n = pd.to_numeric(out[n_column], errors="coerce")
    reason = pd.Series(np.where(n < threshold, "small number", ""), index=out.index, dtype=object)
    if len(out) and sibling_keys:
        order = n.fillna(-1)
        for idx in out.groupby(list(sibling_keys), dropna=False).indices.values():
            rows = [out.index[i] for i in idx]
            hidden = [r for r in rows if reason[r]]
            shown = [r for r in rows if not reason[r]]
            if len(hidden) == 1 and shown:
                reason[min(shown, key=lambda r: order[r])] = "secondary"
    out["suppression"] = reason
    hide = reason != ""
    out[SUPPRESSED] = hide.astype(bool)
    for col in value_columns:
        if col in out.columns:
            out[col] = pd.to_numeric(out[col], errors="coerce").astype(float).where(~hide, np.nan)
    out[n_column] = (
        pd.to_numeric(out[n_column], errors="coerce").astype("Int64").where(~hide, pd.NA)
    )
    return out
