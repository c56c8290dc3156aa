"""Notes on every dashboard and in the board pack when a setting that changes figures changed.

Two settings change figures that were already published: the locally agreed culture measure (a
new version recomputes every period with the new questions and weights) and the suppression
threshold (it changes which groups are hidden and, with them, every figure pooled over groups).
A note says when each last changed and which figures are not comparable across the change.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from impact_data.access import Viewer
from impact_data.measures import culture
from impact_data.store.db import Database
from impact_data.store.settings import threshold_changes
from impact_data.views.wording import uk_date

__all__ = ["NOTE_DAYS", "ChangeNote", "change_notes"]

# A change is noted for a year: long enough for every quarterly board cycle to see it.
NOTE_DAYS = 365


@dataclass(frozen=True)
class ChangeNote:
    """A change that makes figures from before it not comparable with today's."""

    setting: str  # "culture_measure" or "suppression_threshold"
    at: dt.datetime
    text: str


def _as_utc(at: object) -> dt.datetime:
    when = pd.Timestamp(at).to_pydatetime()
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


def _measure_note(db: Database, viewer: Viewer) -> ChangeNote | None:
    saved = culture.versions(db, viewer)
    if len(saved) < 2:
        return None  # only the first version: nothing has changed
    newest, previous = saved.iloc[0], saved.iloc[1]
    at = _as_utc(newest["created_at"])
    why = f" ({str(newest['note']).strip()})" if str(newest["note"] or "").strip() else ""
    text = (
        f"The culture measure changed on {uk_date(at)}, from version {int(previous['version'])} "
        f"to version {int(newest['version'])}{why}. Every culture figure here (the culture "
        "index, its dimensions, the monthly culture measure and its SPC limits) is now worked "
        f"out with version {int(newest['version'])} for every period, so culture figures in "
        f"exports, board packs or reports made before {uk_date(at)} are not comparable with "
        "these."
    )
    return ChangeNote("culture_measure", at, text)


def _threshold_note(db: Database) -> ChangeNote | None:
    changes = threshold_changes(db)
    if not changes:
        return None
    last = changes[-1]
    low, high = sorted((last.before, last.after))
    band = f"{low} to {high - 1}" if high - 1 > low else f"{low}"
    hidden = "now suppressed" if last.after > last.before else "now shown"
    text = (
        f"The suppression threshold changed on {uk_date(last.at)} from fewer than "
        f"{last.before} to fewer than {last.after} responses. Groups with {band} responses are "
        f"{hidden}, and figures pooled over groups (each organisation's culture index and "
        "dimensions, readiness means, system figures and the funnel plots' system average) "
        "pool only the groups shown, so which groups are suppressed and those pooled figures "
        f"are not comparable with exports, board packs or reports made before {uk_date(last.at)}."
    )
    return ChangeNote("suppression_threshold", last.at, text)


def change_notes(
    db: Database, viewer: Viewer, *, today: dt.date | None = None, days: int = NOTE_DAYS
) -> list[ChangeNote]:
    """The culture measure and threshold changes of the last `days` days, newest first."""
    today = today or dt.datetime.now(dt.UTC).date()
    since = today - dt.timedelta(days=days)
    notes = [n for n in (_measure_note(db, viewer), _threshold_note(db)) if n is not None]
    recent = [n for n in notes if n.at.date() >= since]
    return sorted(recent, key=lambda n: n.at, reverse=True)
