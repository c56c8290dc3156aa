"""One function per figure: SQL in, a suppressed DataFrame out.

- `culture`: the locally agreed culture measure (yearly staff survey, monthly pulse).
- `culture_editing`: editing and versioning the culture measure's definition.
- `readiness`: readiness subscale scores with agreement, pooled organisation figures, item
  answers, and NHS IMPACT maturity.
- `pdsa`: the PDSA registry, cycles, measures and activity (cycles in the last 90 days, per
  month).
- `pdsa_editing`: correcting or deleting one logged PDSA cycle or measure value (audited).
- `national`: the national NHS Staff Survey figures and their releases.
- `visits`: learning visits between organisations and the lived-experience share of projects.
- `capability`: improvement capability: people trained per level, per 1,000 staff, over time.
- `period`: the reporting period every screen reports on, and each source's freshness.
- `queries`: organisations, uploads and the other stored lists a view reads.
"""

__all__ = [
    "capability",
    "culture",
    "culture_editing",
    "national",
    "pdsa",
    "pdsa_editing",
    "period",
    "queries",
    "readiness",
    "visits",
]
