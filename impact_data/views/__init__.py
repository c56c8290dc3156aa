"""Per-screen assembly and wording of figures from `impact_data.measures`, no SQL of their own.

One module per screen: `overview`, `compare`, `culture`, `readiness`, `pdsa`, and
`upload_report` (the Upload page's mapping, problems and history in words and tables).
"""

__all__ = ["compare", "culture", "overview", "pdsa", "readiness", "upload_report"]
