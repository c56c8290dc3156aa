"""The learning system: case studies, the learning library's search, and ideas to projects.

`case_studies` writes and reads case studies with their access rules and audit trail;
`library` keeps the searchable items in step with their sources and searches them with the
database's own full-text index; `ideas` lists workshop ideas system-wide and turns one into a
PDSA project. Like the rest of `impact_data`, nothing here imports Streamlit or the UI.
"""

__all__ = ["case_studies", "ideas", "library"]
