"""Pure statistics, no database: SPC, intervals and tests, agreement, disclosure control.

- `spc`: XmR, run, p, u and c charts, funnel plots (also importable as `impact_data.spc`).
- `intervals`: Wilson intervals and the tests of a difference every comparison uses.
- `agreement`: within-group agreement, r_wg per item and r_wg(J) per subscale.
- `disclosure`: the one disclosure-control rule (primary and complementary suppression).

Nothing here imports the database or any other layer of `impact_data`.
"""

__all__ = ["agreement", "disclosure", "intervals", "spc"]
