"""Live workshops: a facilitator opens a session, people join with a code on their phones.

Participants have no account: joining gives a random token, which is the only way to write
answers, and only to that session while it is open. Each participant has one answer set,
which they can change until the session closes (a change replaces, never adds). Workshop
writes do not bump the data version: they are not dashboard data until the facilitator saves
them as a readiness round, which goes through the normal upload path.
"""

from __future__ import annotations

import datetime as dt
import io
import secrets
import string
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from impact_data.access import AccessDenied, Viewer
from impact_data.ingest.kinds import IMPACT_COMPONENTS
from impact_data.store.db import Database
from impact_data.store.models import (
    Instrument,
    InstrumentItem,
    WorkshopAnswer,
    WorkshopIdea,
    WorkshopParticipant,
    WorkshopSession,
    WorkshopVote,
)

ACTIVITIES = {
    "readiness": "Readiness check (a readiness instrument, e.g. ORIC)",
    "culture_pulse": "Quick culture pulse (questions of the culture measure)",
    "impact_rating": "NHS IMPACT self-rating (the five components, levels 1-5)",
    "ideas": "Ideas board (post change ideas, then vote)",
}
CAN_FACILITATE = ("local", "admin", "facilitator")
# No 0/O or 1/I/L: codes are read off a projector and typed on phones.
CODE_ALPHABET = "".join(c for c in string.ascii_uppercase + string.digits if c not in "0O1IL")
CODE_LENGTH = 6
MAX_IDEA_LENGTH = 280


class WorkshopError(Exception):
    """A workshop action that cannot be done, with a message for the person doing it."""


@dataclass(frozen=True)
class Session:
    id: int
    code: str
    activity: str
    title: str
    items: list[dict]
    scale_min: int
    scale_max: int
    status: str
    show_results: bool
    instrument_code: str | None
    created_by: str
    saved_upload_id: int | None

    @property
    def is_open(self) -> bool:
        return self.status == "open"


def _session(row: WorkshopSession) -> Session:
    return Session(
        row.id,
        row.code,
        row.activity,
        row.title,
        list(row.items or []),
        row.scale_min,
        row.scale_max,
        row.status,
        bool(row.show_results),
        row.instrument_code,
        row.created_by,
        row.saved_upload_id,
    )


def _require_facilitator(viewer: Viewer) -> None:
    if viewer.role not in CAN_FACILITATE:
        raise AccessDenied("only a facilitator or an admin can run workshops")


def activity_items(
    db: Database, activity: str, *, instrument_code: str | None = None, question_codes=None
) -> tuple[list[dict], int, int]:
    """The questions a session asks, and their answer scale."""
    if activity == "readiness":
        code = instrument_code or "oric"
        with db.read_session() as s:
            instrument = s.get(Instrument, code)
            if instrument is None:
                raise WorkshopError(f"there is no readiness instrument {code!r}")
            rows = s.scalars(
                select(InstrumentItem)
                .where(InstrumentItem.instrument_code == code)
                .order_by(InstrumentItem.position)
            ).all()
            items = [{"code": r.item_code, "text": r.text, "group": r.subscale} for r in rows]
            return items, instrument.scale_min, instrument.scale_max
    if activity == "culture_pulse":
        from impact_data.measures.culture import current_version

        definition = current_version(db).definition
        wanted = set(question_codes) if question_codes else None
        items = [
            {"code": q.code, "text": q.text or q.code, "group": d.name}
            for d in definition.dimensions
            for q in d.questions
            if wanted is None or q.code in wanted
        ]
        if not items:
            raise WorkshopError("choose at least one question of the culture measure")
        return items, 1, 5
    if activity == "impact_rating":
        items = [
            {"code": f"component_{n}", "text": name, "group": "NHS IMPACT"}
            for n, name in IMPACT_COMPONENTS.items()
        ]
        return items, 1, 5
    if activity == "ideas":
        return [], 1, 5
    raise WorkshopError(f"unknown activity {activity!r}; choose one of: {', '.join(ACTIVITIES)}")


def create_session(
    db: Database,
    viewer: Viewer,
    activity: str,
    title: str,
    *,
    instrument_code: str | None = None,
    question_codes: list[str] | None = None,
) -> Session:
    """Open a new session with a fresh join code."""
    _require_facilitator(viewer)
    items, lo, hi = activity_items(
        db, activity, instrument_code=instrument_code, question_codes=question_codes
    )
    for _ in range(20):
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        try:
            with db.session() as s:
                row = WorkshopSession(
                    code=code,
                    activity=activity,
                    title=title.strip() or ACTIVITIES[activity].split(" (")[0],
                    instrument_code=instrument_code
                    or ("oric" if activity == "readiness" else None),
                    items=items,
                    scale_min=lo,
                    scale_max=hi,
                    status="open",
                    show_results=False,
                    created_by=viewer.user,
                    created_at=dt.datetime.now(dt.UTC),
                )
                s.add(row)
                s.flush()
                return _session(row)
        except IntegrityError:
            continue  # the code was taken: draw another
    raise WorkshopError("could not find a free join code; try again")


def normalise_code(code: str) -> str:
    return "".join(ch for ch in str(code).upper() if ch.isalnum())


def get_session(db: Database, code: str) -> Session | None:
    """The session with this join code, or None."""
    with db.read_session() as s:
        row = s.scalars(
            select(WorkshopSession).where(WorkshopSession.code == normalise_code(code))
        ).first()
        return _session(row) if row else None


def sessions(db: Database, viewer: Viewer) -> pd.DataFrame:
    """Sessions this facilitator can see (all for admins), newest first, with counts."""
    _require_facilitator(viewer)
    w, p = WorkshopSession, WorkshopParticipant
    joined = (
        select(
            p.session_id, func.count().label("joined"), func.count(p.answered_at).label("answered")
        )
        .group_by(p.session_id)
        .subquery()
    )
    q = (
        select(
            w.code,
            w.title,
            w.activity,
            w.status,
            w.created_by,
            w.created_at,
            func.coalesce(joined.c.joined, 0).label("joined"),
            func.coalesce(joined.c.answered, 0).label("answered"),
        )
        .outerjoin(joined, joined.c.session_id == w.id)
        .order_by(w.id.desc())
    )
    if viewer.role == "facilitator":
        q = q.where(w.created_by == viewer.user)
    with db.connect() as conn:
        result = conn.execute(q)
        return pd.DataFrame(result.fetchall(), columns=list(result.keys()))


def _open_session(s, code: str) -> WorkshopSession:
    row = s.scalars(
        select(WorkshopSession).where(WorkshopSession.code == normalise_code(code))
    ).first()
    if row is None:
        raise WorkshopError(
            f"there is no workshop with the code {normalise_code(code) or code!r}; check the code on the screen"
        )
    if row.status != "open":
        raise WorkshopError("this workshop is closed: answers can no longer be given or changed")
    return row


def join(db: Database, code: str) -> str:
    """Join an open session; returns the participant's token (keep it to answer)."""
    with db.session() as s:
        row = _open_session(s, code)
        token = secrets.token_urlsafe(24)
        s.add(
            WorkshopParticipant(session_id=row.id, token=token, joined_at=dt.datetime.now(dt.UTC))
        )
        return token


def _participant(s, row: WorkshopSession, token: str) -> WorkshopParticipant:
    participant = s.scalars(
        select(WorkshopParticipant).where(
            WorkshopParticipant.token == token, WorkshopParticipant.session_id == row.id
        )
    ).first()
    if participant is None:
        raise WorkshopError("you have not joined this workshop: open the join link again")
    return participant


def submit_answers(db: Database, code: str, token: str, answers: dict[str, int | None]) -> int:
    """Save (or replace) a participant's answers; returns how many items are answered."""
    with db.session() as s:
        row = _open_session(s, code)
        participant = _participant(s, row, token)
        valid = {item["code"] for item in row.items}
        clean: dict[str, int] = {}
        for item, value in answers.items():
            if item not in valid:
                raise WorkshopError(f"{item} is not a question of this workshop")
            if value is None:
                continue
            if (
                not isinstance(value, int)
                or isinstance(value, bool)
                or not row.scale_min <= value <= row.scale_max
            ):
                raise WorkshopError(
                    f"{item}: answer with a whole number {row.scale_min}-{row.scale_max}"
                )
            clean[item] = value
        s.execute(delete(WorkshopAnswer).where(WorkshopAnswer.participant_id == participant.id))
        s.add_all(
            WorkshopAnswer(participant_id=participant.id, item_code=k, session_id=row.id, value=v)
            for k, v in clean.items()
        )
        participant.answered_at = dt.datetime.now(dt.UTC) if clean else None
        return len(clean)


def my_answers(db: Database, code: str, token: str) -> dict[str, int]:
    """A participant's own answers (to show and change them)."""
    with db.read_session() as s:
        row = s.scalars(
            select(WorkshopSession).where(WorkshopSession.code == normalise_code(code))
        ).first()
        if row is None:
            return {}
        participant = s.scalars(
            select(WorkshopParticipant).where(
                WorkshopParticipant.token == token, WorkshopParticipant.session_id == row.id
            )
        ).first()
        if participant is None:
            return {}
        rows = s.execute(
            select(WorkshopAnswer.item_code, WorkshopAnswer.value).where(
                WorkshopAnswer.participant_id == participant.id
            )
        ).all()
        return {k: v for k, v in rows}


def is_participant(db: Database, code: str, token: str) -> bool:
    with db.read_session() as s:
        row = s.scalars(
            select(WorkshopSession).where(WorkshopSession.code == normalise_code(code))
        ).first()
        if row is None:
            return False
        return (
            s.scalar(
                select(func.count())
                .select_from(WorkshopParticipant)
                .where(WorkshopParticipant.token == token, WorkshopParticipant.session_id == row.id)
            )
            == 1
        )


def post_idea(db: Database, code: str, token: str, text: str) -> int:
    """Add a change idea to an ideas board; returns its id."""
    text = " ".join(str(text).split())
    if not text:
        raise WorkshopError("write your idea first")
    if len(text) > MAX_IDEA_LENGTH:
        raise WorkshopError(f"keep ideas to {MAX_IDEA_LENGTH} characters (this one is {len(text)})")
    with db.session() as s:
        row = _open_session(s, code)
        if row.activity != "ideas":
            raise WorkshopError("this workshop is not an ideas board")
        participant = _participant(s, row, token)
        idea = WorkshopIdea(
            session_id=row.id,
            participant_id=participant.id,
            text=text,
            created_at=dt.datetime.now(dt.UTC),
        )
        s.add(idea)
        s.flush()
        participant.answered_at = dt.datetime.now(dt.UTC)
        return idea.id


def toggle_vote(db: Database, code: str, token: str, idea_id: int) -> bool:
    """Vote for an idea, or take the vote back; returns True if the vote now stands."""
    with db.session() as s:
        row = _open_session(s, code)
        participant = _participant(s, row, token)
        idea = s.get(WorkshopIdea, idea_id)
        if idea is None or idea.session_id != row.id:
            raise WorkshopError("that idea is not on this board")
        existing = s.get(WorkshopVote, (idea_id, participant.id))
        if existing is not None:
            s.delete(existing)
            return False
        s.add(WorkshopVote(idea_id=idea_id, participant_id=participant.id, session_id=row.id))
        participant.answered_at = dt.datetime.now(dt.UTC)
        return True


def set_status(db: Database, viewer: Viewer, code: str, status: str) -> None:
    """Close or reopen a session."""
    _require_facilitator(viewer)
    if status not in ("open", "closed"):
        raise ValueError("status must be open or closed")
    with db.session() as s:
        s.execute(
            update(WorkshopSession)
            .where(WorkshopSession.code == normalise_code(code))
            .values(
                status=status, closed_at=dt.datetime.now(dt.UTC) if status == "closed" else None
            )
        )


def set_show_results(db: Database, viewer: Viewer, code: str, show: bool) -> None:
    """Let participants see the aggregated results (never anyone's own answers)."""
    _require_facilitator(viewer)
    with db.session() as s:
        s.execute(
            update(WorkshopSession)
            .where(WorkshopSession.code == normalise_code(code))
            .values(show_results=bool(show))
        )


def counts(db: Database, code: str) -> dict[str, int]:
    """How many have joined and how many have answered."""
    with db.connect() as conn:
        session_id = conn.execute(
            select(WorkshopSession.id).where(WorkshopSession.code == normalise_code(code))
        ).scalar()
        if session_id is None:
            return {"joined": 0, "answered": 0}
        joined, answered = conn.execute(
            select(func.count(), func.count(WorkshopParticipant.answered_at)).where(
                WorkshopParticipant.session_id == session_id
            )
        ).one()
        return {"joined": int(joined), "answered": int(answered)}


def results(db: Database, code: str) -> pd.DataFrame:
    """Aggregated answers per item: n, mean and the count of each answer (no individual rows).

    For an ideas board: each idea with its votes, most votes first.
    """
    session = get_session(db, code)
    if session is None:
        return pd.DataFrame()
    with db.connect() as conn:
        if session.activity == "ideas":
            votes = (
                select(WorkshopVote.idea_id, func.count().label("votes"))
                .where(WorkshopVote.session_id == session.id)
                .group_by(WorkshopVote.idea_id)
                .subquery()
            )
            result = conn.execute(
                select(
                    WorkshopIdea.id.label("idea_id"),
                    WorkshopIdea.text,
                    func.coalesce(votes.c.votes, 0).label("votes"),
                    WorkshopIdea.created_at,
                )
                .outerjoin(votes, votes.c.idea_id == WorkshopIdea.id)
                .where(WorkshopIdea.session_id == session.id)
                .order_by(func.coalesce(votes.c.votes, 0).desc(), WorkshopIdea.id)
            )
            return pd.DataFrame(result.fetchall(), columns=list(result.keys()))
        result = conn.execute(
            select(WorkshopAnswer.item_code, WorkshopAnswer.value, func.count().label("count"))
            .where(WorkshopAnswer.session_id == session.id)
            .group_by(WorkshopAnswer.item_code, WorkshopAnswer.value)
        )
        raw = pd.DataFrame(result.fetchall(), columns=list(result.keys()))
    items = pd.DataFrame(session.items)
    rows = []
    for position, item in enumerate(session.items):
        part = raw[raw["item_code"] == item["code"]] if not raw.empty else raw
        n = int(part["count"].sum()) if not part.empty else 0
        record = {
            "position": position,
            "item_code": item["code"],
            "text": item["text"],
            "group": item["group"],
            "n": n,
            "mean": float((part["value"] * part["count"]).sum() / n) if n else float("nan"),
        }
        for value in range(session.scale_min, session.scale_max + 1):
            record[f"answer_{value}"] = (
                int(part.loc[part["value"] == value, "count"].sum()) if n else 0
            )
        rows.append(record)
    out = pd.DataFrame(rows)
    out.attrs.update(
        {"scale_min": session.scale_min, "scale_max": session.scale_max, "items": len(items)}
    )
    return out


def save_as_readiness_round(
    db: Database,
    viewer: Viewer,
    code: str,
    *,
    org_code: str,
    team: str | None,
    programme: str | None,
    assessment_date: dt.date,
):
    """Save a readiness session's answers as a readiness upload for an organisation/team, through
    the normal validation and loading path; returns (PreparedUpload, UploadResult | None)."""
    from impact_data.ingest import commit_upload, prepare_upload

    _require_facilitator(viewer)
    session = get_session(db, code)
    if session is None:
        raise WorkshopError("no such workshop")
    if session.activity != "readiness":
        raise WorkshopError("only a readiness check can be saved as a readiness round")
    if session.saved_upload_id is not None:
        raise WorkshopError(f"this workshop was already saved as upload {session.saved_upload_id}")
    with db.connect() as conn:
        result = conn.execute(
            select(
                WorkshopAnswer.participant_id, WorkshopAnswer.item_code, WorkshopAnswer.value
            ).where(WorkshopAnswer.session_id == session.id)
        )
        answers = pd.DataFrame(result.fetchall(), columns=list(result.keys()))
    if answers.empty:
        raise WorkshopError("nobody has answered yet: there is nothing to save")
    wide = answers.pivot(index="participant_id", columns="item_code", values="value")
    item_codes = [i["code"] for i in session.items if i["code"] in wide.columns]
    frame = pd.DataFrame(
        {
            "org_code": org_code,
            "assessment_date": assessment_date.isoformat(),
            "team": team or "",
            "programme": programme or "",
            "instrument": session.instrument_code,
            "respondent_id": [f"{session.code}-{i + 1}" for i in range(len(wide))],
        }
    )
    for item in item_codes:
        frame[item] = wide[item].to_numpy()
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False)
    prepared = prepare_upload(
        db,
        buffer.getvalue().encode("utf-8"),
        f"Workshop {session.code} ({session.title}).csv",
        "readiness",
    )
    if not prepared.ok:
        return prepared, None
    result = commit_upload(db, prepared, uploaded_by=viewer.user, viewer=viewer)
    with db.session() as s:
        s.execute(
            update(WorkshopSession)
            .where(WorkshopSession.id == session.id)
            .values(saved_upload_id=result.upload_id)
        )
    return prepared, result


__all__ = [
    "ACTIVITIES",
    "Session",
    "WorkshopError",
    "counts",
    "create_session",
    "get_session",
    "is_participant",
    "join",
    "my_answers",
    "post_idea",
    "results",
    "save_as_readiness_round",
    "sessions",
    "set_show_results",
    "set_status",
    "submit_answers",
    "toggle_vote",
]
