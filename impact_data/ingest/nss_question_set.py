"""The published NHS Staff Survey question set: which way each question's result points.

Both national files report, for each question, the % choosing the "reported option": Agree /
Strongly agree, Often / Always, Satisfied / Very satisfied, Yes, or "at least once". For most
questions that option is the favourable one; for the questions listed here it is the
unfavourable one (a lower % is better): work-related illness, burnout, violence, harassment,
discrimination, unwanted sexual behaviour and thinking of leaving. Question numbers change
between survey years (thinking of leaving moved q22a -> q24a -> q26a), so the list is keyed by
the year the numbering belongs to.
"""

from __future__ import annotations

# First survey year a numbering applies to -> question codes whose reported option is the
# unfavourable one.
LOWER_IS_BETTER: dict[int, frozenset[str]] = {
    2021: frozenset(
        {
            "q11b",  # musculoskeletal problems as a result of work activities
            "q11c",  # felt unwell as a result of work related stress
            "q11d",  # came to work despite not feeling well enough
            *(f"q12{c}" for c in "abcdefg"),  # burnout: often / always
            "q13a",  # physical violence from patients / service users / the public
            "q13b",  # ... from managers
            "q13c",  # ... from other colleagues
            "q14a",  # harassment, bullying or abuse from patients / the public
            "q14b",  # ... from managers
            "q14c",  # ... from other colleagues
            "q16a",  # discrimination from patients / the public
            "q16b",  # discrimination from a manager / colleagues
            "q24a",  # I often think about leaving this organisation
            "q24b",  # I will probably look for a job at a new organisation
            "q24c",  # As soon as I can find another job, I will leave
        }
    ),
    2023: frozenset(
        {
            "q11b",
            "q11c",
            "q11d",
            *(f"q12{c}" for c in "abcdefg"),
            "q13a",
            "q13b",
            "q13c",
            "q14a",
            "q14b",
            "q14c",
            "q16a",
            "q16b",
            "q17a",  # unwanted behaviour of a sexual nature from patients / the public
            "q17b",  # ... from staff / colleagues
            "q26a",  # I often think about leaving this organisation
            "q26b",
            "q26c",
        }
    ),
}

# Answer scales whose reported option is unfavourable unless the question set says otherwise:
# "at least once" for counts of experiences (violence, harassment).
LOWER_IS_BETTER_SCALES = frozenset({"count"})


def numbering_of(year: int) -> int:
    """The first year of the question numbering that `year` uses."""
    starts = [start for start in sorted(LOWER_IS_BETTER) if start <= year]
    return starts[-1] if starts else min(LOWER_IS_BETTER)


def higher_is_better(question_code: str, year: int, scale: str | None = None) -> bool:
    """False when the question's reported option (the % the files give) is unfavourable."""
    code = question_code.lower()
    if code in LOWER_IS_BETTER[numbering_of(year)]:
        return False
    return scale not in LOWER_IS_BETTER_SCALES


__all__ = ["LOWER_IS_BETTER", "higher_is_better", "numbering_of"]
