"""Per-screen assembly and wording of figures from `impact_data.measures`, no SQL of their own.

One module per screen: `overview`, `compare`, `culture`, `readiness`, `pdsa`, and
`upload_report` (the Upload page's mapping, problems and history in words and tables);
`wording` (plain words and UK formats shared by every screen) and `changes` (notes on setting
changes that make figures incomparable).
"""

__all__ = [
    "changes",
    "compare",
    "culture",
    "overview",
    "pdsa",
    "readiness",
    "upload_report",
    "wording",
]
