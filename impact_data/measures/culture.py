"""The locally agreed culture measure: a versioned definition, and the scores it gives.

A measure is dimensions of survey questions (staff survey and/or pulse question codes), with
optional weights and a higher-is-better flag per question. Scores are the favourable % per
question (% agree + strongly agree; for lower-is-better questions, the rest), a weighted mean
of questions per dimension, and a weighted mean of dimensions overall, each with its number of
responses and a 95% interval. Suppression happens here, by the one disclosure rule
(`impact_data.stats.disclosure`): small groups first (primary), then more groups wherever the
unpublished part of a published total (an organisation's own figure, split by its teams or staff
groups) would be small (secondary). A combined figure (a dimension, the overall measure) rests on
its visible parts only and is hidden when all of them are.

This module is the one source of every culture figure: the Culture page, the Overview (yearly
and monthly), Compare, the board pack and the exports all take theirs from `culture_scores`, and
the monthly SPC chart of any of them from `monthly_chart`.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from sqlalchemy import exists, func, select

from impact_data.access import AccessDenied, Viewer, requires_access
from impact_data.measures.national import national_question_counts
from impact_data.stats import spc
from impact_data.stats.disclosure import PRIMARY, SECONDARY, suppress
from impact_data.stats.intervals import Z95, difference_test, wilson_interval
from impact_data.store.db import Database, bump_data_version
from impact_data.store.models import (
    CultureMeasureVersion,
    NssQuestionResult,
    NssValue,
    PulseQuestion,
    PulseRespondent,
    StaffSurveyResult,
)
from impact_data.store.sql import ORG, limit_detail, month_start, only_orgs, read_frame
from impact_data.users import audit

CAN_EDIT_MEASURE = ("local", "admin")


@dataclass(frozen=True)
class Question:
    code: str
    text: str = ""
    weight: float = 1.0
    higher_is_better: bool = True


@dataclass(frozen=True)
class Dimension:
    name: str
    questions: tuple[Question, ...]
    weight: float = 1.0


@dataclass(frozen=True)
class MeasureDefinition:
    """What the culture measure is made of."""

    name: str
    dimensions: tuple[Dimension, ...]
    description: str = ""

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "description": self.description,
            "dimensions": [
                {
                    "name": d.name,
                    "weight": d.weight,
                    "questions": [asdict(q) for q in d.questions],
                }
                for d in self.dimensions
            ],
        }

    @classmethod
    def from_dict(cls, data: dict) -> MeasureDefinition:
        definition, problems = parse_definition(data)
        if problems:
            raise ValueError("; ".join(problems))
        return definition

    def question_frame(self) -> pd.DataFrame:
        """One row per (dimension, question) with weights and direction."""
        rows = [
            {
                "dimension": d.name,
                "dimension_weight": d.weight,
                "question_code": q.code,
                "question_text": q.text,
                "question_weight": q.weight,
                "higher_is_better": q.higher_is_better,
            }
            for d in self.dimensions
            for q in d.questions
        ]
        return pd.DataFrame(
            rows,
            columns=[
                "dimension",
                "dimension_weight",
                "question_code",
                "question_text",
                "question_weight",
                "higher_is_better",
            ],
        )

    @property
    def question_codes(self) -> list[str]:
        return sorted({q.code for d in self.dimensions for q in d.questions})


def parse_definition(data: object) -> tuple[MeasureDefinition | None, list[str]]:
    """A definition from its JSON form, or the list of what is wrong with it."""
    problems: list[str] = []
    if not isinstance(data, dict):
        return None, ["the definition must be a JSON object with a name and dimensions"]
    name = str(data.get("name") or "").strip()
    if not name:
        problems.append("the measure needs a name")
    raw_dims = data.get("dimensions")
    if not isinstance(raw_dims, list) or not raw_dims:
        problems.append("the measure needs at least one dimension")
        raw_dims = []
    dimensions: list[Dimension] = []
    seen_dims: set[str] = set()
    for i, d in enumerate(raw_dims, start=1):
        if not isinstance(d, dict):
            problems.append(f"dimension {i}: expected an object with a name and questions")
            continue
        dname = str(d.get("name") or "").strip()
        if not dname:
            problems.append(f"dimension {i}: a name is required")
        elif dname.lower() in seen_dims:
            problems.append(f"dimension {dname!r} appears twice")
        seen_dims.add(dname.lower())
        dweight = _weight(d.get("weight", 1.0), f"dimension {dname or i}", problems)
        questions: list[Question] = []
        seen_q: set[str] = set()
        for j, q in enumerate(d.get("questions") or [], start=1):
            if isinstance(q, str):
                q = {"code": q}
            if not isinstance(q, dict):
                problems.append(f"dimension {dname or i}, question {j}: expected a code")
                continue
            code = str(q.get("code") or "").strip().lower().replace(" ", "")
            if not code:
                problems.append(
                    f"dimension {dname or i}, question {j}: a question code is required"
                )
                continue
            if code in seen_q:
                problems.append(f"dimension {dname or i}: question {code} appears twice")
            seen_q.add(code)
            higher = q.get("higher_is_better", True)
            if not isinstance(higher, bool):
                problems.append(f"question {code}: higher_is_better must be true or false")
                higher = True
            questions.append(
                Question(
                    code=code,
                    text=str(q.get("text") or ""),
                    weight=_weight(q.get("weight", 1.0), f"question {code}", problems),
                    higher_is_better=higher,
                )
            )
        if not questions:
            problems.append(f"dimension {dname or i}: at least one question is required")
        dimensions.append(Dimension(dname, tuple(questions), dweight))
    if problems:
        return None, problems
    return MeasureDefinition(name, tuple(dimensions), str(data.get("description") or "")), []


def _weight(value: object, where: str, problems: list[str]) -> float:
    try:
        weight = float(value)
    except (TypeError, ValueError):
        problems.append(f"{where}: weight must be a number (found {value!r})")
        return 1.0
    if not math.isfinite(weight) or weight <= 0:
        problems.append(f"{where}: weight must be greater than 0 (found {value!r})")
        return 1.0
    return weight


def _q(code: str, text: str) -> Question:
    return Question(code, text)


DEFAULT_DEFINITION = MeasureDefinition(
    name="Improvement culture",
    description=(
        "Default measure built on the NHS Staff Survey questions most tied to improvement "
        "culture. Edit it on the Settings page to agree your own."
    ),
    dimensions=(
        Dimension(
            "Voice and involvement",
            (
                _q("q3c", "There are frequent opportunities for me to show initiative in my role."),
                _q(
                    "q3d",
                    "I am able to make suggestions to improve the work of my team / department.",
                ),
                _q(
                    "q3e",
                    "I am involved in deciding on changes introduced that affect my work area.",
                ),
                _q("q3f", "I am able to make improvements happen in my area of work."),
            ),
        ),
        Dimension(
            "Compassionate leadership",
            (
                _q(
                    "q9f",
                    "My immediate manager works together with me to come to an understanding of problems.",
                ),
                _q(
                    "q9g",
                    "My immediate manager is interested in listening to me when I describe challenges I face.",
                ),
                _q("q9h", "My immediate manager cares about my concerns."),
                _q(
                    "q9i",
                    "My immediate manager takes effective action to help me with any problems I face.",
                ),
            ),
        ),
        Dimension(
            "Team working",
            (
                _q("q7a", "The team I work in has a set of shared objectives."),
                _q("q7b", "The team I work in often meets to discuss the team's effectiveness."),
            ),
        ),
    ),
)


# --- versions -------------------------------------------------------------------------


@dataclass(frozen=True)
class MeasureVersion:
    """A saved version: its number, definition, note, author and date."""

    id: int
    version: int
    definition: MeasureDefinition
    note: str
    created_by: str
    created_at: dt.datetime

    @property
    def label(self) -> str:
        return f"{self.definition.name}, version {self.version}"


def _to_version(row: CultureMeasureVersion) -> MeasureVersion:
    return MeasureVersion(
        row.id,
        row.version,
        MeasureDefinition.from_dict(row.definition),
        row.note,
        row.created_by,
        row.created_at,
    )


def current_version(db: Database) -> MeasureVersion:
    """The newest version of the culture measure."""
    with db.read_session() as session:
        row = session.scalars(
            select(CultureMeasureVersion).order_by(CultureMeasureVersion.id.desc()).limit(1)
        ).one()
        return _to_version(row)


def get_version(db: Database, version: int) -> MeasureVersion:
    """A version by its number (KeyError if there is none)."""
    with db.read_session() as session:
        row = session.scalars(
            select(CultureMeasureVersion)
            .where(CultureMeasureVersion.version == version)
            .order_by(CultureMeasureVersion.id.desc())
            .limit(1)
        ).first()
        if row is None:
            raise KeyError(f"there is no version {version} of the culture measure")
        return _to_version(row)


@requires_access
def versions(db: Database, viewer: Viewer) -> pd.DataFrame:
    """Every saved version, newest first: version, name, note, who, when, dimensions."""
    with db.read_session() as session:
        rows = session.scalars(
            select(CultureMeasureVersion).order_by(CultureMeasureVersion.version.desc())
        ).all()
        out = [
            {
                "version": r.version,
                "measure_name": r.measure_name,
                "note": r.note,
                "created_by": r.created_by,
                "created_at": r.created_at,
                "dimensions": ", ".join(d["name"] for d in r.definition.get("dimensions", [])),
                "questions": sum(
                    len(d.get("questions", [])) for d in r.definition.get("dimensions", [])
                ),
            }
            for r in rows
        ]
    return pd.DataFrame(out)


@requires_access
def save_version(
    db: Database, viewer: Viewer, definition: MeasureDefinition, note: str
) -> MeasureVersion:
    """Save a new version of the measure (admins only), with a note saying why."""
    if viewer.role not in CAN_EDIT_MEASURE:
        raise AccessDenied("only an admin can change the culture measure")
    if not note.strip():
        raise ValueError("say why the measure is changing: a note is required")
    with db.session() as session:
        latest = session.scalar(select(func.max(CultureMeasureVersion.version))) or 0
        row = CultureMeasureVersion(
            measure_name=definition.name,
            version=latest + 1,
            definition=definition.to_dict(),
            note=note.strip(),
            created_by=viewer.user,
            created_at=dt.datetime.now(dt.UTC),
        )
        session.add(row)
        session.flush()
        audit(session, viewer.user, "measure_edit", {"version": row.version, "note": row.note})
        bump_data_version(session)
        return _to_version(row)


def export_definition(version: MeasureVersion) -> bytes:
    """The definition as a JSON file another system can import."""
    payload = {
        "format": "impact-culture-measure",
        "format_version": 1,
        "version": version.version,
        "note": version.note,
        **version.definition.to_dict(),
    }
    return json.dumps(payload, indent=2, ensure_ascii=False).encode("utf-8")


def import_definition(data: bytes) -> tuple[MeasureDefinition | None, list[str]]:
    """A definition read from an exported file, or what is wrong with the file."""
    try:
        payload = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return None, [f"the file is not valid JSON ({exc})"]
    if isinstance(payload, dict) and payload.get("format") not in (None, "impact-culture-measure"):
        return None, [f"not a culture measure file (format {payload.get('format')!r})"]
    return parse_definition(payload)


# --- scores ---------------------------------------------------------------------------

QUESTION_COLUMNS = [
    "org_code",
    "period",
    "dimension",
    "question_code",
    "question_text",
    "responses",
    "favourable",
    "favourable_pct",
    "ci_low",
    "ci_high",
    "higher_is_better",
]


def _survey_questions(
    db: Database, viewer: Viewer, definition: MeasureDefinition, level: str, org_codes
) -> pd.DataFrame:
    # Raw counts are needed for scoring; suppression is applied to the finished scores.
    frame = _unsuppressed_survey(db, viewer, definition, level, org_codes)
    frame = frame.rename(columns={"year": "period"})
    frame["positive"] = frame["positive_pct"].astype(float) / 100 * frame["responses"].astype(float)
    return frame


def _national_questions(
    db: Database, viewer: Viewer, definition: MeasureDefinition, level: str, org_codes
) -> pd.DataFrame:
    """Org-level question results from the national files (newest release per figure)."""
    if level != "org":
        return pd.DataFrame()
    frame = national_question_counts(db, viewer, definition.question_codes, org_codes)
    frame = frame.rename(columns={"year": "period"})
    frame["responses"] = frame["responses"].astype(float)
    frame["positive"] = frame["positive_pct"].astype(float) / 100 * frame["responses"]
    return frame


def _unsuppressed_survey(
    db: Database, viewer: Viewer, definition: MeasureDefinition, level: str, org_codes
) -> pd.DataFrame:
    """Staff survey rows with their counts, for computing scores (never returned as is)."""
    s = StaffSurveyResult
    cols = [ORG.c.org_code, s.year, s.question_code, s.question_text, s.responses, s.positive_pct]
    if level != "org":
        cols.insert(1, getattr(s, level))
    q = (
        select(*cols)
        .join(ORG, ORG.c.id == s.org_id)
        .where(s.question_code.in_(definition.question_codes), s.positive_pct.is_not(None))
    )
    if level == "org":
        q = q.where(s.team.is_(None), s.staff_group.is_(None))
    elif level == "team":
        q = limit_detail(q.where(s.team.is_not(None), s.staff_group.is_(None)), viewer)
    else:
        q = limit_detail(q.where(s.staff_group.is_not(None), s.team.is_(None)), viewer)
    return read_frame(db, only_orgs(q, None if org_codes is None else list(org_codes)))


def _pulse_questions(
    db: Database, viewer: Viewer, definition: MeasureDefinition, level: str, org_codes
) -> pd.DataFrame:
    """Monthly pulse counts per org (and team/staff group) and question.

    Each respondent is read once, with their answers as one string, and the answers are
    counted with array arithmetic: joining respondents to questions in SQL makes a row per
    answer (800,000 at national scale), which was most of a cold Culture page."""
    r, q = PulseRespondent, PulseQuestion
    keys = ["org_code", *([] if level == "org" else [level]), "period"]
    columns = [*keys, "question_code", "responses", "agree", "disagree", "mean"]
    codes = list(definition.question_codes)
    positions = read_frame(
        db, select(q.upload_id, q.question_code, q.position).where(q.question_code.in_(codes))
    )
    cols = [ORG.c.org_code, month_start(db, r.response_date).label("period"), r.upload_id]
    if level != "org":
        cols.insert(1, getattr(r, level))
    query = (
        select(*cols, r.answers)
        .join(ORG, ORG.c.id == r.org_id)
        .where(r.upload_id.in_(sorted({int(u) for u in positions["upload_id"]})))
    )
    if level != "org":
        query = limit_detail(query.where(getattr(r, level).is_not(None)), viewer)
    query = only_orgs(query, None if org_codes is None else list(org_codes))
    with db.connect() as conn:
        result = conn.execute(query)
        names = list(result.keys())
        # Plain rows from the driver's cursor (a SQLAlchemy Row per respondent costs more).
        rows = pd.DataFrame.from_records(result.cursor.fetchall(), columns=names)
    if rows.empty:
        return pd.DataFrame(columns=columns)
    # Group numbers in order of first appearance, as drop_duplicates keeps the groups.
    group = np.zeros(len(rows), dtype=np.int64)
    for key in keys:
        numbers, uniques = pd.factorize(rows[key])
        group = pd.factorize(group * len(uniques) + numbers)[0]
    groups = rows[keys].drop_duplicates().reset_index(drop=True)
    chars = _answer_chars(rows["upload_id"].to_numpy(), rows["answers"].to_numpy(), positions)
    parts = []
    for code in codes:
        if code not in chars:
            continue
        char = chars[code]
        answered = (char != 0) & (char != ord("."))
        g = group[answered]
        c = char[answered]
        responses = np.bincount(g, minlength=len(groups))
        part = groups.copy()
        part["question_code"] = code
        part["responses"] = responses.astype(float)
        part["agree"] = np.bincount(
            g, weights=((c == ord("4")) | (c == ord("5"))), minlength=len(groups)
        )
        part["disagree"] = np.bincount(
            g, weights=((c == ord("1")) | (c == ord("2"))), minlength=len(groups)
        )
        total = np.bincount(g, weights=c.astype(float) - ord("0"), minlength=len(groups))
        with np.errstate(invalid="ignore", divide="ignore"):
            part["mean"] = total / responses
        parts.append(part[responses > 0])
    frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)
    if frame.empty:
        return pd.DataFrame(columns=columns)
    frame["period"] = pd.to_datetime(frame["period"]).dt.date
    return frame[columns]


def _answer_chars(
    uploads: np.ndarray, answers: np.ndarray, positions: pd.DataFrame
) -> dict[str, np.ndarray]:
    """Each question's answer character per respondent, as a byte ("1"-"9", "." for not
    answered, 0 where the respondent's upload did not ask it). `positions` holds upload_id,
    question_code and position (1-based) in the upload's answer strings."""
    chars: dict[str, np.ndarray] = {}
    for upload, asked in positions.groupby("upload_id"):
        rows = np.flatnonzero(uploads == upload)
        if not len(rows):
            continue
        texts = answers[rows]
        width = len(texts[0])
        joined = "".join(texts).encode("ascii")
        if len(joined) != width * len(rows):
            raise ValueError(
                f"pulse upload {upload}: answer strings differ in length; "
                "reload the upload to rebuild them"
            )
        matrix = np.frombuffer(joined, dtype=np.uint8).reshape(len(rows), width)
        for code, position in zip(asked["question_code"], asked["position"], strict=True):
            if not 1 <= int(position) <= width:
                continue
            column = chars.setdefault(code, np.zeros(len(uploads), dtype=np.uint8))
            column[rows] = matrix[:, int(position) - 1]
    return chars


def _favourable(frame: pd.DataFrame, qframe: pd.DataFrame, source: str) -> pd.DataFrame:
    """Join question rows to the measure's questions and compute favourable counts."""
    merged = frame.merge(qframe.drop(columns=["question_text"]), on="question_code", how="inner")
    if source == "pulse":
        positive = np.where(merged["higher_is_better"], merged["agree"], merged["disagree"])
    else:
        # A lower-is-better question's published positive % counts the unfavourable answer.
        positive = np.where(
            merged["higher_is_better"], merged["positive"], merged["responses"] - merged["positive"]
        )
    merged["favourable"] = positive.astype(float)
    merged["favourable_pct"] = 100 * merged["favourable"] / merged["responses"]
    low, high = wilson_interval(merged["favourable"].to_numpy(), merged["responses"].to_numpy())
    merged["ci_low"], merged["ci_high"] = 100 * low, 100 * high
    texts = qframe.drop_duplicates("question_code").set_index("question_code")["question_text"]
    if "question_text" in merged.columns:
        merged["question_text"] = merged["question_text"].where(
            merged["question_text"].notna() & (merged["question_text"] != ""),
            merged["question_code"].map(texts),
        )
    else:
        merged["question_text"] = merged["question_code"].map(texts)
    return merged


def _breakdown_column(level: str) -> str | None:
    return None if level == "org" else level


@requires_access
def culture_scores(
    db: Database,
    viewer: Viewer,
    *,
    version: MeasureVersion | None = None,
    source: str = "staff_survey",
    level: str = "org",
    org_codes: Iterable[str] | None = None,
) -> dict[str, pd.DataFrame]:
    """Scores of the culture measure: {"questions", "dimensions", "overall"} DataFrames.

    `source` is "staff_survey" (uploaded results, period = survey year), "national" (the
    national NHS Staff Survey files, org level, period = survey year) or "pulse" (period =
    month);
    `level` is "org", "team" or "staff_group". Every frame carries `suppressed` and
    `suppression` ("small number", "secondary" or ""); hidden figures are NaN. By team or
    staff group, the groups of one organisation are the parts of its own published figure
    (which counts people with no team too), and the one disclosure rule
    (`impact_data.stats.disclosure.suppress`) keeps the unpublished part of it safe.
    """
    if source not in ("staff_survey", "pulse", "national"):
        raise ValueError("source must be staff_survey, pulse or national")
    if level not in ("org", "team", "staff_group"):
        raise ValueError("level must be org, team or staff_group")
    version = version or current_version(db)
    orgs = None if org_codes is None else tuple(sorted(set(org_codes)))
    # One computation per data version, access scope and arguments, shared by every caller
    # in the process (a page calls this for several of its figures, several viewers share).
    key = (db.url, db.data_version(), viewer.scope, version, source, level, orgs)
    with _SCORES_LOCK:
        cached = _SCORES_CACHE.get(key)
        if cached is not None:
            _SCORES_CACHE.move_to_end(key)
    if cached is None:
        cached = _compute_scores(db, viewer, version, source, level, orgs)
        with _SCORES_LOCK:
            _SCORES_CACHE[key] = cached
            while len(_SCORES_CACHE) > SCORES_CACHE_ENTRIES:
                _SCORES_CACHE.popitem(last=False)
    # Copies: callers may add columns to what they get without touching the cached frames.
    return {name: frame.copy() for name, frame in cached.items()}


SCORES_CACHE_ENTRIES = 64
_SCORES_CACHE: OrderedDict[tuple, dict[str, pd.DataFrame]] = OrderedDict()
_SCORES_LOCK = threading.Lock()


def clear_scores_cache() -> None:
    """Forget every cached `culture_scores` result (they also lapse when data changes)."""
    with _SCORES_LOCK:
        _SCORES_CACHE.clear()


def _compute_scores(
    db: Database,
    viewer: Viewer,
    version: MeasureVersion,
    source: str,
    level: str,
    org_codes: tuple[str, ...] | None,
) -> dict[str, pd.DataFrame]:
    definition = version.definition
    qframe = definition.question_frame()
    breakdown = _breakdown_column(level)
    keys = ["org_code", *([breakdown] if breakdown else []), "period"]
    raw = _question_counts(db, viewer, definition, source, level, org_codes)
    threshold = db.suppression_threshold()
    empty_q = pd.DataFrame(columns=[*keys, *QUESTION_COLUMNS[2:], "suppressed", "suppression"])
    if raw.empty:
        dims = pd.DataFrame(
            columns=[
                *keys,
                "dimension",
                "score",
                "ci_low",
                "ci_high",
                "responses",
                "n_questions",
                "suppressed",
                "suppression",
            ]
        )
        return _label(
            {"questions": empty_q, "dimensions": dims, "overall": dims.copy()},
            version,
            source,
            level,
        )
    questions = _favourable(raw, qframe, source)
    org_totals = None
    if breakdown:
        org_raw = _question_counts(db, viewer, definition, source, "org", org_codes)
        org_totals = _organisation_totals(org_raw, qframe)
        questions = _with_total(questions, org_totals["questions"], ["question_code"])
    questions = _hide(
        questions,
        threshold,
        ["favourable", "favourable_pct", "ci_low", "ci_high"],
        ["org_code", "period", "question_code"] if breakdown else (),
    )
    dimensions = combine_parts(questions, keys, "dimension", "question_weight")
    if breakdown:
        dimensions = _with_total(dimensions, org_totals["dimensions"], ["dimension"])
    dimensions = _hide(
        dimensions,
        threshold,
        ["score", "ci_low", "ci_high", "se", "answers"],
        ["org_code", "period", "dimension"] if breakdown else (),
    )
    dimensions = _parts_hidden(dimensions)
    overall_in = dimensions.merge(
        qframe[["dimension", "dimension_weight"]].drop_duplicates(), on="dimension", how="left"
    ).rename(columns={"score": "favourable_pct"})
    overall = combine_parts(overall_in, keys, None, "dimension_weight", from_dimensions=True)
    if breakdown:
        overall = _with_total(overall, org_totals["overall"], [])
    overall = _hide(
        overall,
        threshold,
        ["score", "ci_low", "ci_high", "se", "answers"],
        ["org_code", "period"] if breakdown else (),
    )
    overall = _parts_hidden(overall)
    out = {
        "questions": questions[[*keys, *QUESTION_COLUMNS[2:], "suppressed", "suppression"]]
        .sort_values([*keys, "dimension", "question_code"])
        .reset_index(drop=True),
        "dimensions": dimensions.sort_values([*keys, "dimension"]).reset_index(drop=True),
        "overall": overall.sort_values(keys).reset_index(drop=True),
    }
    return _label(out, version, source, level)


def _question_counts(
    db: Database,
    viewer: Viewer,
    definition: MeasureDefinition,
    source: str,
    level: str,
    org_codes: Iterable[str] | None,
) -> pd.DataFrame:
    if source == "pulse":
        return _pulse_questions(db, viewer, definition, level, org_codes)
    if source == "national":
        return _national_questions(db, viewer, definition, level, org_codes)
    return _survey_questions(db, viewer, definition, level, org_codes)


ORG_TOTAL = "org_total"


def _organisation_totals(org_raw: pd.DataFrame, qframe: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Each organisation's own count behind a question, a dimension and the measure (the most
    responses to any of its questions), per period: the published totals its groups split."""
    base = ["org_code", "period"]
    if org_raw.empty:
        empty = pd.DataFrame(columns=[*base, "question_code", "dimension", ORG_TOTAL])
        return {"questions": empty, "dimensions": empty, "overall": empty}
    counts = org_raw[[*base, "question_code", "responses"]].rename(columns={"responses": ORG_TOTAL})
    counts[ORG_TOTAL] = counts[ORG_TOTAL].astype(float)
    in_dimension = counts.merge(qframe[["dimension", "question_code"]], on="question_code")
    return {
        "questions": counts,
        "dimensions": in_dimension.groupby([*base, "dimension"], as_index=False)[ORG_TOTAL].max(),
        "overall": in_dimension.groupby(base, as_index=False)[ORG_TOTAL].max(),
    }


def _with_total(frame: pd.DataFrame, totals: pd.DataFrame, on: list[str]) -> pd.DataFrame:
    """Add each group's organisation total (NaN where the organisation has no figure)."""
    if frame.empty or totals.empty:
        return frame.assign(**{ORG_TOTAL: np.nan})
    keys = ["org_code", "period", *on]
    return frame.merge(totals[[*keys, ORG_TOTAL]], on=keys, how="left")


def _hide(
    frame: pd.DataFrame, threshold: int, value_columns: list[str], sibling_keys: Iterable[str]
) -> pd.DataFrame:
    """The one disclosure rule on `responses`, keeping counts as floats (NaN when hidden)."""
    sibling_keys = list(sibling_keys)
    total = ORG_TOTAL if sibling_keys and ORG_TOTAL in frame.columns else None
    if not sibling_keys:
        frame = frame.drop(columns=[ORG_TOTAL], errors="ignore")
    out = suppress(
        frame,
        "responses",
        value_columns,
        threshold,
        sibling_keys=sibling_keys,
        total_column=total,
    )
    out["responses"] = out["responses"].astype(float)
    return out


def _parts_hidden(frame: pd.DataFrame) -> pd.DataFrame:
    """A combined figure hidden because all its parts are, whatever their reason."""
    if "n_questions" in frame.columns and not frame.empty:
        all_hidden = frame["n_questions"].fillna(0).astype(int) == 0
        if "parts_reason" in frame.columns:
            frame.loc[all_hidden, "suppression"] = frame.loc[all_hidden, "parts_reason"]
        frame.loc[all_hidden, "suppressed"] = True
        frame = frame.drop(columns=["parts_reason"], errors="ignore")
    return frame


def _label(
    frames: dict[str, pd.DataFrame], version: MeasureVersion, source: str, level: str
) -> dict:
    for frame in frames.values():
        frame.attrs.update(
            {
                "measure": version.label,
                "measure_version": version.version,
                "source": source,
                "level": level,
            }
        )
    return frames


def _group_sums(values: np.ndarray, group: np.ndarray, n_groups: int) -> np.ndarray:
    """The sum of each group's values, in their order, bit for bit what `np.sum` gives on
    each group alone (numpy's pairwise summation: eight lanes, then the rest one by one), so
    the grouped figures equal the ones summed part by part."""
    order = np.argsort(group, kind="stable")
    g, v = group[order], values[order].astype(float)
    size = np.bincount(g, minlength=n_groups)
    start = np.cumsum(size) - size
    pos = np.arange(len(g)) - start[g]
    big = size > 128  # numpy splits longer sums in halves: summed one group at a time below
    full = np.where((size >= 8) & ~big, size // 8 * 8, 0)
    lanes = np.zeros((n_groups, 8))
    in_lanes = (pos < full[g]) & ~big[g]
    for block in range(16):
        m = in_lanes & (pos // 8 == block)
        lanes[g[m], pos[m] % 8] += v[m]
    paired = ((lanes[:, 0] + lanes[:, 1]) + (lanes[:, 2] + lanes[:, 3])) + (
        (lanes[:, 4] + lanes[:, 5]) + (lanes[:, 6] + lanes[:, 7])
    )
    out = np.where(full > 0, paired, 0.0)
    rest = pos - full[g]
    for k in range(8):
        m = (rest == k) & ~big[g]
        out[g[m]] += v[m]
    for gi in np.flatnonzero(big):
        out[gi] = np.sum(v[start[gi] : start[gi] + size[gi]])
    return out


def combine_parts(
    frame: pd.DataFrame,
    keys: list[str],
    group: str | None,
    weight_column: str,
    from_dimensions: bool = False,
) -> pd.DataFrame:
    """Weighted mean of the visible parts, with its standard error and 95% interval.

    Suppressed parts are left out (their values are NaN), so a combined figure never rests
    on a hidden one; responses is the largest number of people behind any part, answers the
    number of answers to its visible questions. Grouped array arithmetic, one pass for all
    groups (no Python loop over groups).
    """
    by = [*keys, group] if group else list(keys)
    columns = [*by, "score", "se", "responses", "answers", "n_questions", "ci_low", "ci_high"]
    if frame.empty:
        return pd.DataFrame(columns=columns)
    gid = frame.groupby(by, dropna=False, sort=True).ngroup().to_numpy()
    n_groups = int(gid.max()) + 1
    _, first = np.unique(gid, return_index=True)
    out = frame[by].iloc[first].reset_index(drop=True).infer_objects()

    pct = frame["favourable_pct"].astype(float).to_numpy()
    visible = ~np.isnan(pct)
    vg = gid[visible]
    n_parts = np.bincount(vg, minlength=n_groups)
    shown = n_parts > 0
    w = frame[weight_column].astype(float).to_numpy()[visible]
    w = w / _group_sums(w, vg, n_groups)[vg]
    responses = frame["responses"].astype(float).to_numpy()[visible]
    pct = pct[visible]
    if from_dimensions:
        part_se = frame["se"].astype(float).to_numpy()[visible]
        n_q = _group_sums(frame["n_questions"].astype(float).to_numpy()[visible], vg, n_groups)
        answers = frame["answers"].astype(float).to_numpy()[visible]
    else:
        p = pct / 100
        part_se = np.sqrt(p * (1 - p) / responses) * 100
        n_q = n_parts
        answers = responses
    largest = np.full(n_groups, np.nan)
    np.fmax.at(largest, vg, responses)
    # The same people answer every question, so the parts are not independent: the
    # standard error of the weighted mean is taken at its upper bound (perfect
    # correlation), so noise is never called a real change.
    out["score"] = np.where(shown, _group_sums(w * pct, vg, n_groups), np.nan)
    out["se"] = np.where(shown, _group_sums(w * part_se, vg, n_groups), np.nan)
    out["responses"] = np.where(shown, largest, 0.0)
    out["answers"] = np.where(shown, _group_sums(np.nan_to_num(answers), vg, n_groups), np.nan)
    out["n_questions"] = np.where(shown, n_q, 0).astype(int)
    if not shown.all():
        # Every part is hidden: the combination is hidden too, never shown as a score,
        # for the parts' reason (a small number if any part was small).
        if "suppression" in frame.columns:
            small = np.bincount(
                gid, weights=(frame["suppression"] == PRIMARY).to_numpy(float), minlength=n_groups
            )
        else:
            small = np.zeros(n_groups)
        reason = np.where(small > 0, PRIMARY, SECONDARY).astype(object)
        out["parts_reason"] = np.where(shown, np.nan, reason)
    out["ci_low"] = (out["score"] - Z95 * out["se"]).clip(lower=0)
    out["ci_high"] = (out["score"] + Z95 * out["se"]).clip(upper=100)
    if not group:
        out["dimension"] = "Overall"
    return out


# --- is it real change? -----------------------------------------------------------------


@requires_access
def year_on_year(
    db: Database,
    viewer: Viewer,
    *,
    version: MeasureVersion | None = None,
    org_codes: Iterable[str] | None = None,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Latest survey year against the one before, per org and dimension (and overall),
    with a significance test and a plain-English sentence that never calls noise a change."""
    # Organisation-level scores of one organisation do not depend on the others: take the
    # one cached computation for every organisation, then keep the ones asked for.
    scores = culture_scores(db, viewer, version=version)
    frame = pd.concat([scores["dimensions"], scores["overall"]], ignore_index=True)
    if org_codes is not None:
        frame = frame[frame["org_code"].isin(set(org_codes))]
    # The two latest visible years of every organisation and dimension, found in one pass
    # (sorted, then the last two rows of each group), in (organisation, dimension) order.
    keys = ["org_code", "dimension"]
    if frame.empty:  # nothing scored yet (the frames may lack columns such as se)
        frame = pd.DataFrame(columns=[*keys, "period", "score", "se"])
    visible = frame[frame["score"].notna()].sort_values([*keys, "period"], kind="stable")
    pairs = visible.groupby(keys, sort=False).tail(2)
    pairs = pairs[pairs.groupby(keys, sort=False)["period"].transform("size").to_numpy() == 2]
    before, after = pairs.iloc[0::2], pairs.iloc[1::2]
    rows = []
    for org, dim, p1, p2, s1, s2, se1, se2 in zip(
        after["org_code"],
        after["dimension"],
        before["period"],
        after["period"],
        before["score"],
        after["score"],
        before["se"],
        after["se"],
        strict=True,
    ):
        z, p = difference_test(s1, se1, s2, se2)
        significant = bool(p < alpha) if not math.isnan(p) else False
        rows.append(
            {
                "org_code": org,
                "dimension": dim,
                "from_period": int(p1),
                "to_period": int(p2),
                "from_score": float(s1),
                "to_score": float(s2),
                "change": float(s2 - s1),
                "z": z,
                "p_value": p,
                "real_change": significant,
                "sentence": change_sentence(dim, s1, s2, significant, int(p1), int(p2)),
            }
        )
    out = pd.DataFrame(rows)
    out.attrs.update(scores["overall"].attrs)
    return out


def change_sentence(
    what: str,
    before: float,
    after: float,
    real: bool,
    from_period: object = None,
    to_period: object = None,
) -> str:
    """ "Voice and involvement rose from 58% to 64% (2023 to 2024), a real change." or noise."""
    when = f" ({from_period} to {to_period})" if from_period is not None else ""
    b, a = round(before), round(after)
    if not real:
        if b == a:
            return f"{what} stayed at {a}%{when}; any movement is within normal variation."
        return (
            f"{what} moved from {b}% to {a}%{when}, which is within normal variation: "
            "not a real change."
        )
    verb = "rose" if after > before else "fell"
    return f"{what} {verb} from {b}% to {a}%{when}, a real change."


def monthly_chart(rows: pd.DataFrame) -> pd.DataFrame:
    """The p-chart of one organisation's figure over time (`culture_scores`' overall or one
    dimension's rows, e.g. pulse months): each period's score, over the people behind it.

    Hidden periods are left out, so the chart's points are the very scores every screen shows.
    The denominator is the respondents (`responses`, the most people behind any visible
    question), never the answers: the same people answer every question, so counting answers
    would narrow the limits as if each answer were another person. The numerator is score x
    respondents. Where the months still vary beyond binomial noise (`spc.prefer_laney`), the
    chart is Laney's p' (attrs["chart"] == "p'").
    """
    shown = rows[~rows["suppressed"].astype(bool) & rows["score"].notna()]
    if shown.empty:
        return pd.DataFrame()
    shown = shown.sort_values("period")
    n = shown["responses"].astype(float).to_numpy()
    favourable = shown["score"].astype(float).to_numpy() / 100 * n
    dates = pd.Series([_period_start(p) for p in shown["period"]])
    chart = spc.p_chart(favourable, n, dates=dates, improvement="increase")
    if spc.prefer_laney(chart.attrs["sigma_z"], len(chart)):
        chart = spc.p_chart(favourable, n, dates=dates, improvement="increase", laney=True)
    chart.attrs.update(rows.attrs)
    return chart


def monthly_charts(rows: pd.DataFrame, by: str = "org_code") -> pd.DataFrame:
    """`monthly_chart` of every `by` group of `rows` at once (one vectorised pass,
    `spc.p_charts`): one row per shown period, the groups in sorted order, with a `by` column,
    `monthly_chart`'s columns and `chart` ("p" or "p'", per group). Each group's rows are the
    very figures `monthly_chart` gives on that group's rows alone."""
    shown = rows[~rows["suppressed"].astype(bool) & rows["score"].notna()]
    if shown.empty:
        return pd.DataFrame()
    shown = shown.sort_values([by, "period"])
    n = shown["responses"].astype(float).to_numpy()
    favourable = shown["score"].astype(float).to_numpy() / 100 * n
    starts = {p: _period_start(p) for p in pd.unique(shown["period"])}
    dates = pd.Series([starts[p] for p in shown["period"]])
    chart = spc.p_charts(
        favourable, n, shown[by], dates=dates, improvement="increase", laney="prefer"
    )
    chart = chart.rename(columns={"series": by})
    chart.attrs.update(rows.attrs)
    chart.attrs["improvement"] = "increase"
    return chart


def has_results(db: Database, source: str) -> bool:
    """Whether any results of a source ("staff_survey", "pulse" or "national") are loaded."""
    if source == "staff_survey":
        query = select(exists().where(StaffSurveyResult.positive_pct.is_not(None)))
    elif source == "pulse":
        query = select(exists().where(PulseRespondent.upload_id.is_not(None)))
    else:
        query = select(
            exists().where(NssValue.metric_type == "question")
            | exists().where(NssQuestionResult.positive_pct.is_not(None))
        )
    with db.connect() as conn:
        return bool(conn.execute(query).scalar())


def _period_start(period: object) -> pd.Timestamp:
    """A pulse month as its first day; a survey year as 1 January."""
    if isinstance(period, int | np.integer | float):
        return pd.Timestamp(year=int(period), month=1, day=1)
    return pd.Timestamp(period)


@requires_access
def pulse_answer_counts(
    db: Database,
    viewer: Viewer,
    *,
    question_codes: Iterable[str],
    level: str = "org",
    org_codes: Iterable[str] | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> pd.DataFrame:
    """Pulse answers 1-5 per organisation (team, staff group), month and question, counted in
    SQL (raw counts, for `views.culture.answer_distribution`, which suppresses them)."""
    r, q = PulseRespondent, PulseQuestion
    answer = func.substr(r.answers, q.position, 1)
    month = month_start(db, r.response_date)
    keys: list = [ORG.c.org_code, month.label("period"), q.question_code]
    if level != "org":
        keys.insert(1, getattr(r, level).label(level))
    query = (
        select(*keys, answer.label("answer"), func.count().label("n"))
        .select_from(r)
        .join(q, q.upload_id == r.upload_id)
        .join(ORG, ORG.c.id == r.org_id)
        .where(answer != ".", q.question_code.in_(list(question_codes)))
        .group_by(*keys, answer)
    )
    if level != "org":
        query = limit_detail(query.where(getattr(r, level).is_not(None)), viewer)
    query = only_orgs(query, None if org_codes is None else list(org_codes))
    if start is not None:
        query = query.where(r.response_date >= start)
    if end is not None:
        query = query.where(r.response_date < _month_after(end))
    frame = read_frame(db, query)
    if frame.empty:
        return frame
    frame["period"] = pd.to_datetime(frame["period"]).dt.date
    frame["answer"] = frame["answer"].astype(int)
    frame["n"] = frame["n"].astype(int)
    return frame


def _month_after(day: dt.date) -> dt.date:
    return dt.date(day.year + (day.month == 12), day.month % 12 + 1, 1)


__all__ = [
    "DEFAULT_DEFINITION",
    "Dimension",
    "MeasureDefinition",
    "MeasureVersion",
    "Question",
    "change_sentence",
    "clear_scores_cache",
    "combine_parts",
    "culture_scores",
    "current_version",
    "export_definition",
    "get_version",
    "has_results",
    "import_definition",
    "parse_definition",
    "monthly_chart",
    "monthly_charts",
    "pulse_answer_counts",
    "save_version",
    "versions",
    "year_on_year",
]
