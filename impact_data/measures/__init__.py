"""One function per figure: SQL in, a suppressed DataFrame out.

- `culture`: the locally agreed culture measure (yearly staff survey, monthly pulse).
- `culture_editing`: editing and versioning the culture measure's definition.
- `readiness`: readiness subscale scores with agreement, pooled organisation figures, item
  answers, and NHS IMPACT maturity.
- `pdsa`: the PDSA registry, cycles, measures and activity (cycles in the last 90 days, per
  month).
- `national`: the national NHS Staff Survey figures and their releases.
- `visits`: learning visits between organisations and the lived-experience share of projects.
- `queries`: organisations, uploads and the other stored lists a view reads.
"""

__all__ = ["culture", "culture_editing", "national", "pdsa", "queries", "readiness", "visits"]
