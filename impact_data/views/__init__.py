"""Per-screen assembly and wording of figures from `impact_data.measures`, no SQL of their own.

One module per screen: `overview`, `compare`, `culture`, `readiness`, `pdsa`, and
`upload_report` (the Upload page's mapping, problems and history in words and tables);
`wording` (plain words and UK formats shared by every screen) and `changes` (notes on setting
changes that make figures incomparable); `freshness` (each source's newest data per
organisation for a reporting period, in words).
"""

__all__ = [
    "capability",
    "changes",
    "compare",
    "culture",
    "freshness",
    "overview",
    "pdsa",
    "readiness",
    "upload_report",
    "wording",
]
