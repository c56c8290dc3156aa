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
