"""Plain words and UK formats, shared by every screen, export and the board pack.

Dates as people write them in the NHS (7 December 2026, or 07/12/2026 where space is short),
times in UK local time rather than UTC, counts with the right plural, plain labels instead of
table and field names, and the audit log as sentences.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from zoneinfo import ZoneInfo

import pandas as pd

from impact_data.access import ROLE_LABELS

__all__ = [
    "is_missing",
    "FIELD_LABELS",
    "LOCAL_TIMEZONE",
    "TABLE_LABELS",
    "audit_sentence",
    "audit_table",
    "count_list",
    "local_time",
    "plain_label",
    "plain_words",
    "plural",
    "uk_date",
]

# Where the product is used: every time shown to people is UK local time (GMT or BST).
LOCAL_TIMEZONE = ZoneInfo("Europe/London")

# Stored tables as people call what they hold (for row counts in upload and audit messages).
TABLE_LABELS: dict[str, tuple[str, str]] = {
    "organisations": ("organisation", "organisations"),
    "staff_survey_results": ("staff survey result", "staff survey results"),
    "pulse_respondents": ("pulse survey respondent", "pulse survey respondents"),
    "pulse_questions": ("pulse survey question", "pulse survey questions"),
    "readiness_responses": ("readiness response", "readiness responses"),
    "readiness_answers": ("readiness answer", "readiness answers"),
    "impact_self_assessments": ("NHS IMPACT self-assessment", "NHS IMPACT self-assessments"),
    "pdsa_projects": ("PDSA project", "PDSA projects"),
    "pdsa_cycles": ("PDSA cycle", "PDSA cycles"),
    "pdsa_measures": ("PDSA measure value", "PDSA measure values"),
    "visits": ("learning visit", "learning visits"),
    "capability": ("improvement capability count", "improvement capability counts"),
    "nss_releases": ("national survey release", "national survey releases"),
    "nss_values": ("national survey figure", "national survey figures"),
    "nss_question_results": ("national question result", "national question results"),
    "instruments": ("readiness instrument", "readiness instruments"),
    "instrument_items": ("instrument item", "instrument items"),
    "culture_measure_versions": ("culture measure version", "culture measure versions"),
    "workshop_sessions": ("workshop", "workshops"),
    "workshop_answers": ("workshop answer", "workshop answers"),
    "users": ("user", "users"),
    "audit_log": ("audit log entry", "audit log entries"),
    "uploads": ("upload", "uploads"),
}

# Field names as the templates' column headings say them.
FIELD_LABELS: dict[str, str] = {
    "org_code": "Organisation code",
    "org_name": "Organisation name",
    "org_type": "Organisation type",
    "system": "System",
    "region": "Region",
    "year": "Year",
    "question_code": "Question code",
    "question_text": "Question text",
    "responses": "Responses",
    "positive_pct": "% positive",
    "score": "Score",
    "team": "Team",
    "staff_group": "Staff group",
    "response_date": "Response date",
    "respondent_id": "Respondent ID",
    "assessment_date": "Assessment date",
    "component": "Component",
    "level": "Level",
    "evidence": "Evidence",
    "next_step": "Next step",
    "project_id": "Project ID",
    "cycle_no": "Cycle number",
    "start_date": "Start date",
    "end_date": "End date",
    "from_org": "Visiting organisation",
    "to_org": "Host organisation",
    "visit_date": "Visit date",
    "people": "Number of people",
    "as_of": "Date (as at)",
    "staff_count": "Staff (headcount)",
    "upload_id": "Upload number",
    "file_name": "File name",
    "kind": "Kind of data",
}


def is_missing(value: object) -> bool:
    """True for None, NA, NaT and NaN: a cell with nothing in it."""
    if value is None or value is pd.NaT:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def plural(n: int | float, singular: str, plural_form: str | None = None) -> str:
    """A count with its noun in the right number: "1 month", "2 months", "1,200 responses"."""
    many = plural_form or f"{singular}s"
    whole = int(n) if float(n).is_integer() else None
    number = f"{whole:,}" if whole is not None else f"{n:,}"
    return f"{number} {singular if whole == 1 else many}"


def _as_timestamp(value: object) -> pd.Timestamp | None:
    if is_missing(value):
        return None
    try:
        stamp = pd.Timestamp(value)
    except (TypeError, ValueError):
        return None
    return None if pd.isna(stamp) else stamp


def uk_date(value: object, *, short: bool = False) -> str:
    """A date as 7 December 2026 (or 07/12/2026 with `short`); "" for no date."""
    stamp = _as_timestamp(value)
    if stamp is None:
        return ""
    if short:
        return f"{stamp:%d/%m/%Y}"
    return f"{stamp.day} {stamp:%B %Y}"


def local_time(value: object) -> str:
    """A moment in UK local time, e.g. "7 July 2026, 15:05" (a time without zone is UTC)."""
    stamp = _as_timestamp(value)
    if stamp is None:
        return ""
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp
    local = stamp.tz_convert(LOCAL_TIMEZONE)
    return f"{uk_date(local)}, {local:%H:%M}"


def plain_label(name: str) -> str:
    """A table or field name in plain words: "pdsa_projects" → "PDSA projects"."""
    if name in TABLE_LABELS:
        return TABLE_LABELS[name][1]
    if name in FIELD_LABELS:
        return FIELD_LABELS[name]
    return name.replace("_", " ")


_INTERNAL_NAME = re.compile(
    # Only names with an underscore: "year" or "team" in a sentence is already a plain word.
    r"\b("
    + "|".join(
        sorted((n for n in {*TABLE_LABELS, *FIELD_LABELS} if "_" in n), key=len, reverse=True)
    )
    + r")\b"
)


def plain_words(text: str) -> str:
    """A message with table and field names put in plain words ("org_code is too long" →
    "Organisation code is too long")."""
    return _INTERNAL_NAME.sub(lambda m: plain_label(m.group(1)), text)


def count_list(counts: Mapping[str, object]) -> str:
    """Row counts per table in words: "3 PDSA projects, 1 PDSA cycle" ("no rows" for none)."""
    parts = []
    for table, n in counts.items():
        if not isinstance(n, (int, float)) or (isinstance(n, float) and math.isnan(n)):
            continue
        one, many = TABLE_LABELS.get(table, (plain_label(table), plain_label(table)))
        if table not in TABLE_LABELS:
            one, many = f"{one} row", f"{many} rows"
        parts.append(plural(n, one, many))
    return ", ".join(parts) if parts else "no rows"


def _detail(text: object) -> dict:
    if isinstance(text, dict):
        return text
    try:
        value = json.loads(str(text))
    except (TypeError, ValueError):
        return {"text": str(text)}
    return value if isinstance(value, dict) else {"text": str(value)}


def _kind(value: object) -> str:
    return str(value or "").replace("_", " ")


def _role(value: object) -> str:
    label = ROLE_LABELS.get(str(value))
    return label.split(":")[0].lower() if label else str(value).replace("_", " ")


def _setting_change(key: str, change: object) -> str:
    before, after = change if isinstance(change, list) and len(change) == 2 else (None, change)
    if key == "suppression_threshold":
        return (
            f"Changed the suppression threshold from fewer than {before} to fewer than "
            f"{after} responses."
        )
    what = {
        "culture_target_pct": "the culture measure's target",
        "capability_level_labels": "the improvement capability levels",
    }.get(key, plain_label(key))
    if isinstance(before, list):
        before = " / ".join(map(str, before))
    if isinstance(after, list):
        after = " / ".join(map(str, after))
    if after is None:
        return f"Cleared {what} (it was {before})."
    if before is None:
        return f"Set {what} to {after}."
    return f"Changed {what} from {before} to {after}."


def _case_study_sentence(action: str, d: dict) -> str:
    story = (
        f"case study {d.get('case_study_id', '?')} “{d.get('title', '')}” ({d.get('org_code', '')})"
    )
    if action == "case_study_created":
        source = f" from PDSA project {d['project_ref']}" if d.get("project_ref") else ""
        return f"Started {story}{source} as a draft."
    if action == "case_study_edited":
        changed = [str(c) for c in d.get("changed") or []]
        what = " and ".join([", ".join(changed[:-1]), changed[-1]] if len(changed) > 1 else changed)
        return f"Edited {story}: changed {what or 'nothing'}."
    verb = {
        "case_study_published": "Published",
        "case_study_unpublished": "Took back to a draft",
        "case_study_deleted": "Deleted",
    }.get(action, action.replace("_", " ").capitalize())
    return f"{verb} {story}."


def audit_sentence(action: str, detail: object) -> str:
    """One audit log entry as a sentence a person can read (its detail is JSON or text)."""
    d = _detail(detail)
    if action == "upload":
        rows = d.get("rows")
        added = count_list(rows) if isinstance(rows, dict) else "its rows"
        return (
            f"Uploaded {_kind(d.get('kind'))} file “{d.get('file_name', '')}” "
            f"(upload {d.get('upload_id', '?')}): added {added}."
        )
    if action == "delete_upload":
        rows = d.get("rows")
        removed = count_list(rows) if isinstance(rows, dict) else "its rows"
        return (
            f"Deleted upload {d.get('upload_id', '?')} ({_kind(d.get('kind'))} file "
            f"“{d.get('file_name', '')}”): removed {removed}."
        )
    if action == "setting_changed":
        return " ".join(_setting_change(k, v) for k, v in d.items()) or "Changed a setting."
    if action == "measure_edit":
        note = f": “{d['note']}”" if d.get("note") else ""
        return f"Saved version {d.get('version', '?')} of the culture measure{note}."
    if action.startswith("pdsa_") and isinstance(d.get("text"), str):
        # A PDSA cycle or value corrected on the page: stored as its sentence.
        return d["text"]
    if action == "instrument_saved":
        items = d.get("items")
        count = f" with {plural(items, 'item')}" if isinstance(items, int) else ""
        return f"Saved the readiness instrument {d.get('code', '')}{count}."
    if action == "role_changed":
        before = d.get("before") or {}
        after = d.get("after") or {}
        orgs = after.get("org_codes") or []
        scope = f", for {', '.join(orgs)}" if orgs else ""
        return (
            f"Changed {d.get('email', 'a user')}'s role from {_role(before.get('role'))} to "
            f"{_role(after.get('role'))}{scope}."
        )
    if action == "user_created":
        first = " (the first user, so an admin)" if d.get("first_user") else ""
        return f"Signed in for the first time as {_role(d.get('role'))}{first}."
    if action == "sign_in":
        return f"Signed in as {_role(d.get('role'))}."
    if action == "identity_linked":
        return "Linked a sign-in account to an existing user."
    if action == "backup":
        rows = d.get("rows")
        count = f" of {plural(rows, 'row')}" if isinstance(rows, int) else ""
        return f"Took a backup{count}."
    if action in ("restore", "restore_backup"):
        return "Restored the database from a backup."
    if action.startswith("case_study_"):
        return _case_study_sentence(action, d)
    words = action.replace("_", " ").capitalize()
    facts = [f"{plain_label(str(k))} {v}" for k, v in d.items() if not isinstance(v, (dict, list))]
    return f"{words}: {', '.join(facts)}." if facts else f"{words}."


def audit_table(log: pd.DataFrame) -> pd.DataFrame:
    """The audit log (at, user, action, detail) as When (UK time), Who and What happened."""
    return pd.DataFrame(
        {
            "When": [local_time(at) for at in log["at"]],
            "Who": list(log["user"]),
            "What happened": [
                audit_sentence(a, d) for a, d in zip(log["action"], log["detail"], strict=True)
            ],
        }
    )
