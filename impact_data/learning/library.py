"""The learning library: one search over what people in the system have tried and learned.

Searchable items are rows of `search_documents`: case studies, projects' aims and change
ideas, cycles' predictions and learning, learning visits' themes and learning, and workshop
ideas. The database's own full-text index serves the search (SQLite FTS5 ranked by bm25,
PostgreSQL full-text search ranked by ts_rank); there is no search server. Items are kept in
step with their sources: an upload's items are written in the upload's own transaction
(`index_upload`) and go with it when it is deleted or replaced (ON DELETE CASCADE), as do a
case study's and a workshop idea's.

Access: a project or cycle is team-level detail (only viewers who see that organisation's
detail find it); an unpublished case study is found only by its organisation's team members
and admins; visits, published case studies and workshop ideas are found by everyone.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlencode

import pandas as pd
from sqlalchemy import String, bindparam, delete, insert, literal, select, text, update
from sqlalchemy.engine import Connection

from impact_data.access import Viewer, requires_access
from impact_data.store.db import Database
from impact_data.store.models import (
    CaseStudy,
    Organisation,
    PdsaCycle,
    PdsaProject,
    SearchDocument,
    Visit,
    WorkshopIdea,
    WorkshopSession,
)

__all__ = [
    "CASE_STUDY_PAGE",
    "CASE_STUDY_PARAM",
    "IDEAS_ANCHOR",
    "MAX_QUERY_WORDS",
    "OUTCOMES",
    "SOURCE_LABELS",
    "TSV_EXPRESSION",
    "index_case_study",
    "index_idea",
    "index_upload",
    "link_of",
    "library_filters",
    "query_words",
    "rebuild_search_index",
    "reindex_cycle",
    "search",
]

SOURCE_LABELS = {
    "case_study": "Case study",
    "project": "PDSA project",
    "cycle": "PDSA cycle",
    "visit": "Learning visit",
    "idea": "Workshop idea",
}
OUTCOMES = ("adopt", "adapt", "abandon")
MAX_QUERY_WORDS = 12
# The PostgreSQL expression the GIN index of migration 0011 is built on: a query must use the
# same expression for the index to serve it.
TSV_EXPRESSION = "to_tsvector('english', coalesce(d.title, '') || ' ' || coalesce(d.body, ''))"
# Words too common to rank by (dropped from a query on both databases, so both agree).
STOP_WORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "did",
        "do",
        "does",
        "for",
        "from",
        "had",
        "has",
        "have",
        "how",
        "i",
        "in",
        "is",
        "it",
        "its",
        "of",
        "on",
        "or",
        "our",
        "so",
        "that",
        "the",
        "their",
        "them",
        "they",
        "this",
        "to",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "who",
        "why",
        "will",
        "with",
        "anyone",
        "tried",
        "try",
        "you",
        "your",
    ]
)
_WORD = re.compile(r"[^\W_]+", re.UNICODE)


def query_words(query: str) -> list[str]:
    """The words of a search, lower case, without common words (at most MAX_QUERY_WORDS)."""
    words: list[str] = []
    for word in _WORD.findall(str(query or "").lower()):
        if word not in STOP_WORDS and word not in words:
            words.append(word)
    return words[:MAX_QUERY_WORDS]


# --- writing the index ----------------------------------------------------------------


def _joined(*parts: object) -> str:
    return "\n".join(str(p).strip() for p in parts if p is not None and str(p).strip())


def _project_rows(conn: Connection, where) -> list[dict]:
    p, o = PdsaProject, Organisation
    rows = conn.execute(
        select(
            p.id,
            p.upload_id,
            p.project_ref,
            p.title,
            p.aim,
            p.change_ideas,
            p.team,
            p.start_date,
            o.org_code,
        )
        .join(o, o.id == p.org_id)
        .where(where)
    ).all()
    return [
        {
            "source": "project",
            "source_id": r.id,
            "upload_id": r.upload_id,
            "org_code": r.org_code,
            "detail": True,
            "title": r.title,
            "body": _joined(r.aim, r.change_ideas, r.team),
            "doc_date": r.start_date,
            "ref": r.project_ref,
        }
        for r in rows
    ]


def _cycle_rows(conn: Connection, where) -> list[dict]:
    c, p, o = PdsaCycle, PdsaProject, Organisation
    rows = conn.execute(
        select(
            c.id,
            c.upload_id,
            c.cycle_no,
            c.start_date,
            c.change_tested,
            c.prediction,
            c.what_happened,
            c.learning,
            c.decision,
            p.project_ref,
            p.title,
            o.org_code,
        )
        .join(p, p.id == c.project_id)
        .join(o, o.id == p.org_id)
        .where(where)
    ).all()
    return [
        {
            "source": "cycle",
            "source_id": r.id,
            "upload_id": r.upload_id,
            "org_code": r.org_code,
            "detail": True,
            "title": f"{r.title}: cycle {r.cycle_no}",
            "body": _joined(r.change_tested, r.prediction, r.what_happened, r.learning),
            "outcome": r.decision if r.decision in OUTCOMES else None,
            "doc_date": r.start_date,
            "ref": r.project_ref,
        }
        for r in rows
    ]


def _visit_rows(conn: Connection, where) -> list[dict]:
    v = Visit
    frm = Organisation.__table__.alias("frm")
    to = Organisation.__table__.alias("to_org")
    rows = conn.execute(
        select(
            v.id,
            v.upload_id,
            v.visit_date,
            v.theme,
            v.learning,
            frm.c.org_code,
            frm.c.org_name.label("from_name"),
            to.c.org_name.label("to_name"),
        )
        .join(frm, frm.c.id == v.from_org_id)
        .join(to, to.c.id == v.to_org_id)
        .where(where)
    ).all()
    return [
        {
            "source": "visit",
            "source_id": r.id,
            "upload_id": r.upload_id,
            "org_code": r.org_code,
            "detail": False,
            "title": f"Learning visit: {r.from_name} to {r.to_name}",
            "body": _joined(r.theme, r.learning),
            "theme": (str(r.theme).strip()[:300] or None) if r.theme else None,
            "doc_date": r.visit_date,
            "ref": None,
        }
        for r in rows
    ]


def _idea_rows(conn: Connection, where) -> list[dict]:
    i, s = WorkshopIdea, WorkshopSession
    rows = conn.execute(
        select(i.id, i.text, i.created_at, s.title, s.code)
        .join(s, s.id == i.session_id)
        .where(where)
    ).all()
    return [
        {
            "source": "idea",
            "source_id": r.id,
            "idea_id": r.id,
            "org_code": None,
            "detail": False,
            "title": f"Workshop idea: {r.title}",
            "body": r.text,
            "doc_date": _date_of(r.created_at),
            "ref": r.code,
        }
        for r in rows
    ]


def _case_study_rows(conn: Connection, where) -> list[dict]:
    cs = CaseStudy
    rows = conn.execute(select(cs.__table__).where(where)).all()
    return [
        {
            "source": "case_study",
            "source_id": r.id,
            "case_study_id": r.id,
            "org_code": r.org_code,
            "detail": False,
            "draft": r.status != "published",
            "title": r.title,
            "body": _joined(
                r.problem,
                r.aim,
                r.who_involved,
                r.lived_experience,
                r.changes_tested,
                r.learning,
            ),
            "doc_date": _date_of(r.published_at or r.updated_at),
            "ref": r.project_ref,
        }
        for r in rows
    ]


def _date_of(value: object) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    return value if isinstance(value, dt.date) else None


_DEFAULTS = {
    "upload_id": None,
    "case_study_id": None,
    "idea_id": None,
    "org_code": None,
    "detail": False,
    "draft": False,
    "theme": None,
    "outcome": None,
    "doc_date": None,
    "ref": None,
}


def _write(conn: Connection, rows: list[dict]) -> int:
    if rows:
        conn.execute(
            insert(SearchDocument),
            [{**_DEFAULTS, **row, "title": str(row["title"])[:500]} for row in rows],
        )
    return len(rows)


def index_upload(conn: Connection, upload_id: int) -> int:
    """Index an upload's projects, cycles and learning visits, in the upload's transaction;
    re-link case studies whose project was replaced by this upload. Returns items written."""
    # A replaced project comes back with a new id: its case studies find it by reference.
    relinked = select(PdsaProject.id).where(
        PdsaProject.project_ref == CaseStudy.project_ref, PdsaProject.upload_id == upload_id
    )
    conn.execute(
        update(CaseStudy)
        .where(CaseStudy.project_id.is_(None), CaseStudy.project_ref.is_not(None))
        .where(relinked.exists())
        .values(project_id=relinked.scalar_subquery())
    )
    return (
        _write(conn, _project_rows(conn, PdsaProject.upload_id == upload_id))
        + _write(conn, _cycle_rows(conn, PdsaCycle.upload_id == upload_id))
        + _write(conn, _visit_rows(conn, Visit.upload_id == upload_id))
    )


def reindex_cycle(conn: Connection, cycle_id: int) -> None:
    """Index a cycle again after it was corrected or deleted on the page (same transaction)."""
    conn.execute(
        delete(SearchDocument).where(
            SearchDocument.source == "cycle", SearchDocument.source_id == cycle_id
        )
    )
    _write(conn, _cycle_rows(conn, PdsaCycle.id == cycle_id))


def index_idea(conn: Connection, idea_id: int) -> None:
    """Index a workshop idea (in the transaction that posted it)."""
    _write(conn, _idea_rows(conn, WorkshopIdea.id == idea_id))


def index_case_study(conn: Connection, case_study_id: int) -> None:
    """(Re)index a case study after it is created or changed (in the same transaction)."""
    conn.execute(delete(SearchDocument).where(SearchDocument.case_study_id == case_study_id))
    _write(conn, _case_study_rows(conn, CaseStudy.id == case_study_id))


def rebuild_search_index(conn: Connection) -> int:
    """Index everything again from the sources (after an upgrade, or to repair); returns the
    number of items. The full-text index follows search_documents by itself."""
    conn.execute(delete(SearchDocument))
    everything = literal(True)
    return (
        _write(conn, _project_rows(conn, everything))
        + _write(conn, _cycle_rows(conn, everything))
        + _write(conn, _visit_rows(conn, everything))
        + _write(conn, _idea_rows(conn, everything))
        + _write(conn, _case_study_rows(conn, everything))
    )


# --- searching --------------------------------------------------------------------------


def _access_sql(viewer: Viewer, params: dict[str, Any]) -> list[str]:
    """SQL conditions on `d` (search_documents) for what this viewer may find."""
    conditions = []
    detail = viewer.detail_orgs()
    if detail is not None:
        params["detail_orgs"] = sorted(detail)
        conditions.append("(NOT d.detail OR d.org_code IN :detail_orgs)")
    if not viewer.is_admin:
        own = sorted(viewer.org_codes) if viewer.role == "team_member" else []
        params["draft_orgs"] = own
        conditions.append("(NOT d.draft OR d.org_code IN :draft_orgs)")
    return conditions


def _filter_sql(
    params: dict[str, Any],
    *,
    org_codes: Iterable[str] | None,
    themes: Iterable[str] | None,
    date_from: dt.date | None,
    date_to: dt.date | None,
    outcomes: Iterable[str] | None,
    sources: Iterable[str] | None,
) -> list[str]:
    conditions = []
    for name, values, column in (
        ("f_orgs", org_codes, "d.org_code"),
        ("f_themes", themes, "d.theme"),
        ("f_outcomes", outcomes, "d.outcome"),
        ("f_sources", sources, "d.source"),
    ):
        if values is not None:
            params[name] = sorted(set(values))
            conditions.append(f"{column} IN :{name}")
    if date_from is not None:
        params["date_from"] = date_from
        conditions.append("d.doc_date >= :date_from")
    if date_to is not None:
        params["date_to"] = date_to
        conditions.append("d.doc_date <= :date_to")
    return conditions


COLUMNS = [
    "source",
    "source_label",
    "source_id",
    "title",
    "snippet",
    "org_code",
    "org_name",
    "theme",
    "outcome",
    "doc_date",
    "ref",
    "draft",
    "rank",
    "link",
]


@requires_access
def search(
    db: Database,
    viewer: Viewer,
    query: str,
    *,
    org_codes: Iterable[str] | None = None,
    themes: Iterable[str] | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    outcomes: Iterable[str] | None = None,
    sources: Iterable[str] | None = None,
    limit: int = 50,
) -> pd.DataFrame:
    """Items matching any of the query's words, most relevant first, that this viewer may
    see: source, source_label, source_id, title, snippet, org_code, org_name, theme, outcome,
    doc_date, ref (project reference or workshop code), draft and rank (higher is better).
    An empty query (or one of common words only) finds nothing."""
    words = query_words(query)
    if not words:
        return pd.DataFrame(columns=COLUMNS)
    if outcomes is not None:
        bad = sorted(set(outcomes) - set(OUTCOMES))
        if bad:
            raise ValueError(f"outcome must be one of {', '.join(OUTCOMES)}, found {bad[0]!r}")
    params: dict[str, Any] = {"limit": max(int(limit), 1)}
    conditions = _access_sql(viewer, params) + _filter_sql(
        params,
        org_codes=org_codes,
        themes=themes,
        date_from=date_from,
        date_to=date_to,
        outcomes=outcomes,
        sources=sources,
    )
    where = "".join(f" AND {c}" for c in conditions)
    fields = (
        "d.source, d.source_id, d.title, d.body, d.org_code, o.org_name, d.theme, d.outcome, "
        "d.doc_date, d.ref, d.draft"
    )
    if db.dialect == "sqlite":
        # Each word quoted: FTS5 then reads it as a plain term (porter-stemmed), never syntax.
        params["match"] = " OR ".join(f'"{w}"' for w in words)
        sql = (
            f"SELECT {fields}, -bm25(search_fts) AS score FROM search_fts "
            "JOIN search_documents d ON d.id = search_fts.rowid "
            "LEFT JOIN organisations o ON o.org_code = d.org_code "
            f"WHERE search_fts MATCH :match{where} "
            "ORDER BY bm25(search_fts), d.id LIMIT :limit"
        )
    else:
        # Each word quoted as one lexeme: to_tsquery then reads no operators from the user.
        params["match"] = " | ".join(f"'{w}'" for w in words)
        sql = (
            f"SELECT {fields}, ts_rank({TSV_EXPRESSION}, q) AS score "
            "FROM search_documents d CROSS JOIN to_tsquery('english', :match) q "
            "LEFT JOIN organisations o ON o.org_code = d.org_code "
            f"WHERE {TSV_EXPRESSION} @@ q{where} "
            "ORDER BY score DESC, d.id LIMIT :limit"
        )
    statement = text(sql)
    for name, value in params.items():
        if isinstance(value, list):
            statement = statement.bindparams(bindparam(name, expanding=True, type_=String()))
    with db.connect() as conn:
        rows = conn.execute(statement, params).all()
    records = [
        {
            "source": r.source,
            "source_label": SOURCE_LABELS.get(r.source, r.source),
            "source_id": r.source_id,
            "title": r.title,
            "snippet": snippet(r.body, words),
            "org_code": r.org_code,
            "org_name": r.org_name,
            "theme": r.theme,
            "outcome": r.outcome,
            "doc_date": _as_date(r.doc_date),
            "ref": r.ref,
            "draft": bool(r.draft),
            "rank": float(r.score),
            "link": link_of(r.source, r.source_id, r.ref),
        }
        for r in rows
    ]
    return pd.DataFrame(records, columns=COLUMNS)


def _as_date(value: object) -> dt.date | None:
    if isinstance(value, str):
        return dt.date.fromisoformat(value[:10])
    return _date_of(value)


# Where each kind of item is read in the app: page address and its query parameter.
CASE_STUDY_PAGE, CASE_STUDY_PARAM = "case_studies", "case"
IDEAS_ANCHOR = "ideas-from-workshops"


def link_of(source: str, source_id: int, ref: str | None) -> str:
    """The address (page and query) where an item is read: a project or cycle on the PDSA
    page with the project chosen, a case study on its page, a visit on Compare's learning
    visits, a workshop idea in the library's ideas list."""
    if source in ("project", "cycle") and ref:
        return "/pdsa?" + urlencode({"project": ref})
    if source == "case_study":
        return f"/{CASE_STUDY_PAGE}?" + urlencode({CASE_STUDY_PARAM: int(source_id)})
    if source == "visit":
        return "/compare"
    return f"/library#{IDEAS_ANCHOR}"


def snippet(body: str | None, words: list[str], width: int = 220) -> str:
    """Up to `width` characters of the text around the first word of the search it holds."""
    text_ = " ".join(str(body or "").split())
    if len(text_) <= width:
        return text_
    lower = text_.lower()
    hits = [lower.find(w[:5]) for w in words if lower.find(w[:5]) >= 0]
    start = max(min(hits) - width // 3, 0) if hits else 0
    piece = text_[start : start + width]
    return ("…" if start else "") + piece + ("…" if start + width < len(text_) else "")


@requires_access
def library_filters(db: Database, viewer: Viewer) -> dict[str, list]:
    """The choices the library's filters offer: organisations (code, name) and themes that
    have items, the outcomes and the kinds of item."""
    with db.connect() as conn:
        orgs = conn.execute(
            select(Organisation.org_code, Organisation.org_name)
            .where(
                Organisation.org_code.in_(
                    select(SearchDocument.org_code).where(SearchDocument.org_code.is_not(None))
                )
            )
            .order_by(Organisation.org_name)
        ).all()
        themes = (
            conn.execute(
                select(SearchDocument.theme)
                .where(SearchDocument.theme.is_not(None))
                .distinct()
                .order_by(SearchDocument.theme)
            )
            .scalars()
            .all()
        )
    return {
        "organisations": [(r.org_code, r.org_name) for r in orgs],
        "themes": list(themes),
        "outcomes": list(OUTCOMES),
        "sources": list(SOURCE_LABELS.items()),
    }
