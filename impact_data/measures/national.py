"""Read side of the national NHS Staff Survey data: newest release per figure, with its source.

A release restates earlier years with the current year's weighting and question numbers, so
each figure is taken from the newest release that has it. Question codes are only comparable
within one release: a question's series comes from one release, and years that only an
older release holds are left out for questions (People Promise and theme codes are stable).
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd
from sqlalchemy import select

from impact_data.access import Viewer, requires_access
from impact_data.store.db import Database
from impact_data.store.models import NssQuestionResult, NssRelease, NssValue, Upload
from impact_data.store.sql import ORG, read_frame

__all__ = [
    "METRIC_NAMES",
    "national_question_counts",
    "nss_question_results",
    "nss_scores",
    "releases",
    "source_label",
]

METRIC_NAMES = {
    "PP1": "We are compassionate and inclusive",
    "PP2": "We are recognised and rewarded",
    "PP3": "We each have a voice that counts",
    "PP4": "We are safe and healthy",
    "PP5": "We are always learning",
    "PP6": "We work flexibly",
    "PP7": "We are a team",
    "theme_engagement": "Staff engagement",
    "theme_morale": "Morale",
    "PP3_1": "Autonomy and control",
    "PP3_2": "Raising concerns",
    "E_1": "Motivation",
    "E_2": "Involvement",
    "E_3": "Advocacy",
}


def score_codes(db: Database, metric_types: Iterable[str]) -> list[str]:
    """Codes of the national figures of `metric_types` loaded: the named ones in their usual
    order (People Promise elements, themes, sub-scores), then any others alphabetically."""
    q = select(NssValue.metric_code).where(NssValue.metric_type.in_(list(metric_types))).distinct()
    with db.connect() as conn:
        codes = set(conn.execute(q).scalars())
    known = [c for c in METRIC_NAMES if c in codes]
    return known + sorted(codes - set(known))


@requires_access
def releases(db: Database, viewer: Viewer) -> pd.DataFrame:
    """Every national file loaded: source, release year, years, label, file, when."""
    q = (
        select(
            NssRelease.upload_id,
            NssRelease.source,
            NssRelease.release_year,
            NssRelease.years,
            NssRelease.label,
            Upload.file_name,
            Upload.uploaded_at,
        )
        .join(Upload, Upload.id == NssRelease.upload_id)
        .order_by(NssRelease.release_year.desc(), NssRelease.upload_id.desc())
    )
    return read_frame(db, q)


def source_label(db: Database, source: str = "benchmark") -> str | None:
    """ "NHS Staff Survey 2025 benchmark data, release loaded 25 Nov 2026 (file.xlsx)"."""
    frame = releases(db, Viewer.local())
    frame = frame[frame["source"] == source]
    if frame.empty:
        return None
    newest = frame.iloc[0]
    loaded = pd.Timestamp(newest["uploaded_at"]).strftime("%d %b %Y")
    return f"{newest['label']}, release loaded {loaded} ({newest['file_name']})"


def _newest(frame: pd.DataFrame, keys: list[str], question: pd.Series) -> pd.DataFrame:
    """Keep, per key, the newest release; for questions, only the newest release's years."""
    if frame.empty:
        return frame
    frame = frame.sort_values(["release_year", "upload_id"])
    newest_per_year = frame.groupby([*keys, "year"], as_index=False).tail(1)
    series_keys = [k for k in keys]
    latest_release = frame.groupby(series_keys)["release_year"].transform("max")
    is_question = question.reindex(frame.index).fillna(False).astype(bool)
    from_latest = frame["release_year"] == latest_release
    keep_index = set(newest_per_year.index)
    mask = frame.index.isin(keep_index) & (~is_question | from_latest)
    return frame[mask]


@requires_access
def nss_scores(
    db: Database,
    viewer: Viewer,
    *,
    metric_types: Iterable[str] | None = None,
    metric_codes: Iterable[str] | None = None,
    org_codes: Iterable[str] | None = None,
) -> pd.DataFrame:
    """Benchmark figures per organisation, year and metric, from the newest release.

    Columns: org_code, org_name, benchmark_group, year, metric_code, metric_name,
    metric_type, value (0-10 scores; % for questions and response rates), n,
    higher_is_better (questions: False where the value counts an unfavourable answer),
    release_year.
    """
    v = NssValue
    q = select(
        ORG.c.org_code,
        ORG.c.org_name,
        v.benchmark_group,
        v.year,
        v.metric_code,
        v.metric_type,
        v.value,
        v.n,
        v.higher_is_better,
        v.release_year,
        v.upload_id,
    ).join(ORG, ORG.c.id == v.org_id)
    if metric_types is not None:
        q = q.where(v.metric_type.in_(list(metric_types)))
    if metric_codes is not None:
        q = q.where(v.metric_code.in_(list(metric_codes)))
    if org_codes is not None:
        q = q.where(ORG.c.org_code.in_(list(org_codes)))
    frame = read_frame(db, q)
    if frame.empty:
        return frame.assign(metric_name=pd.Series(dtype=object))
    frame = _newest(frame, ["org_code", "metric_code"], frame["metric_type"] == "question")
    frame["metric_name"] = frame["metric_code"].map(METRIC_NAMES).fillna(frame["metric_code"])
    frame = frame.drop(columns=["upload_id"]).sort_values(["org_code", "metric_code", "year"])
    frame.attrs["source"] = source_label(db, "benchmark")
    return frame.reset_index(drop=True)


@requires_access
def nss_question_results(
    db: Database,
    viewer: Viewer,
    *,
    question_codes: Iterable[str] | None = None,
    org_codes: Iterable[str] | None = None,
) -> pd.DataFrame:
    """Question results (full answer distribution) per organisation and year, from the
    detailed spreadsheets, newest release per figure."""
    r = NssQuestionResult
    q = select(
        ORG.c.org_code,
        ORG.c.org_name,
        r.year,
        r.question_code,
        r.question_text,
        r.responses,
        r.pct_strongly_disagree,
        r.pct_disagree,
        r.pct_neither,
        r.pct_agree,
        r.pct_strongly_agree,
        r.positive_pct,
        r.answer_scale,
        r.reported_option,
        r.higher_is_better,
        r.favourable_pct,
        r.distribution,
        r.release_year,
        r.upload_id,
    ).join(ORG, ORG.c.id == r.org_id)
    if question_codes is not None:
        q = q.where(r.question_code.in_([c.lower() for c in question_codes]))
    if org_codes is not None:
        q = q.where(ORG.c.org_code.in_(list(org_codes)))
    frame = read_frame(db, q)
    if frame.empty:
        return frame
    frame = frame.sort_values(["release_year", "upload_id"])
    frame = frame.groupby(["org_code", "year", "question_code"], as_index=False).tail(1)
    frame.attrs["source"] = source_label(db, "detailed")
    return (
        frame.drop(columns=["upload_id"])
        .sort_values(["org_code", "question_code", "year"])
        .reset_index(drop=True)
    )


@requires_access
def national_question_counts(
    db: Database,
    viewer: Viewer,
    question_codes: Iterable[str],
    org_codes: Iterable[str] | None = None,
) -> pd.DataFrame:
    """Org-level question results for the culture measure: org_code, year, question_code,
    question_text, responses, positive_pct. Detailed spreadsheets (with their base) win; the
    benchmark workbook's proportions fill the rest, with the organisation's respondents that
    year as the number behind them."""
    codes = [c.lower() for c in question_codes]
    detailed = nss_question_results(db, viewer, question_codes=codes, org_codes=org_codes)
    columns = ["org_code", "year", "question_code", "question_text", "responses", "positive_pct"]
    parts = []
    if not detailed.empty:
        parts.append(detailed[columns])
    bench = nss_scores(db, viewer, metric_types=["question", "response_rate"], org_codes=org_codes)
    if not bench.empty:
        questions = bench[(bench["metric_type"] == "question") & bench["metric_code"].isin(codes)]
        respondents = bench[bench["metric_code"] == "response_rate"].set_index(
            ["org_code", "year"]
        )["n"]
        questions = questions.assign(
            question_text=None,
            responses=[
                questions_n if pd.notna(questions_n) else respondents.get((o, y))
                for o, y, questions_n in zip(
                    questions["org_code"], questions["year"], questions["n"], strict=True
                )
            ],
            positive_pct=questions["value"],
            question_code=questions["metric_code"],
        )
        if parts:
            have = set(
                zip(parts[0]["org_code"], parts[0]["year"], parts[0]["question_code"], strict=True)
            )
            questions = questions[
                [
                    (o, y, c) not in have
                    for o, y, c in zip(
                        questions["org_code"],
                        questions["year"],
                        questions["question_code"],
                        strict=True,
                    )
                ]
            ]
        parts.append(questions[columns])
    if not parts:
        return pd.DataFrame(columns=columns)
    out = pd.concat(parts, ignore_index=True)
    out = out[out["responses"].notna() & out["positive_pct"].notna()]
    return out.reset_index(drop=True)
