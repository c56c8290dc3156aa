"""Live workshops: a facilitator opens a session, people join with a code on their phones.

Participants have no account: joining gives a random token, which is the only way to write
answers, and only to that session while it is open. Each participant has one answer set,
which they can change until the session closes (a change replaces, never adds). A browser
that joins again (its device id, kept in the browser, is sent with the join) gets its own
ballot back rather than a second one. Each participant may post at most
`MAX_IDEAS_PER_PARTICIPANT` ideas and hold `MAX_VOTES_PER_PARTICIPANT` votes.

A session belongs to the facilitator who opened it: only they (or an admin) can close, reopen,
share, see the results of, or save it. Results show only once at least the session's
`min_answers` people (default 3) have answered, and a question answered by fewer is never
broken down, so totals never reveal one person's answers.

Workshop writes do not bump the data version: they are not dashboard data until the
facilitator saves them as a readiness round, which goes through the normal upload path.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import io
import secrets
import string
import threading
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import SmallInteger, cast, delete, func, literal, null, select, union_all, update
from sqlalchemy.exc import IntegrityError

from impact_data.access import AccessDenied, Viewer
from impact_data.ingest.kinds import IMPACT_COMPONENTS
from impact_data.learning.library import index_idea
from impact_data.stats.disclosure import suppress
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
MAX_IDEAS_PER_PARTICIPANT = 10
MAX_VOTES_PER_PARTICIPANT = 10
MAX_IDEAS_PER_SESSION = 500
MAX_PARTICIPANTS = 500
DEFAULT_MIN_ANSWERS = 3
# Fewer than 3 would let one participant read another's answers off the totals.
MIN_ANSWERS_RANGE = (3, 100)


# SQLite takes one writer at a time. Participants' writes from this process queue here, each
# handed the database the moment the last one is done, rather than each polling SQLite's busy
# timeout (which sleeps up to 100 ms between tries): with a room answering at once, that
# polling was most of the wait. Other processes still queue through the busy timeout.
_SQLITE_WRITERS: dict[str, threading.Lock] = {}
_SQLITE_WRITERS_LOCK = threading.Lock()


def _writing(db: Database):
    """A lock for one participant write on SQLite (nothing on PostgreSQL, whose row locks
    already queue writers)."""
    if db.dialect != "sqlite":
        return contextlib.nullcontext()
    with _SQLITE_WRITERS_LOCK:
        return _SQLITE_WRITERS.setdefault(db.url, threading.Lock())


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
    min_answers: int = DEFAULT_MIN_ANSWERS

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
        int(row.min_answers or DEFAULT_MIN_ANSWERS),
    )


def _require_facilitator(viewer: Viewer) -> None:
    if viewer.role not in CAN_FACILITATE:
        raise AccessDenied("only a facilitator or an admin can run workshops")


def can_run(viewer: Viewer, session: Session) -> bool:
    """True if this viewer may run the session: the facilitator who opened it, or an admin."""
    if viewer.role not in CAN_FACILITATE:
        return False
    return viewer.is_admin or session.created_by == viewer.user


def _require_owner(viewer: Viewer, session: Session) -> None:
    _require_facilitator(viewer)
    if not can_run(viewer, session):
        raise AccessDenied(
            f"workshop {session.code} was opened by another facilitator: only they or an admin "
            "can run it"
        )


def facilitated_session(db: Database, viewer: Viewer, code: str) -> Session | None:
    """The session with this join code if this viewer may run it (None if there is none);
    AccessDenied if it is another facilitator's."""
    _require_facilitator(viewer)
    session = get_session(db, code)
    if session is not None:
        _require_owner(viewer, session)
    return session


def _owned(db: Database, viewer: Viewer, code: str) -> Session:
    session = facilitated_session(db, viewer, code)
    if session is None:
        raise WorkshopError(f"there is no workshop with the code {normalise_code(code) or code!r}")
    return session


def _check_min_answers(min_answers: int) -> int:
    lo, hi = MIN_ANSWERS_RANGE
    if isinstance(min_answers, bool) or not isinstance(min_answers, int):
        raise WorkshopError(f"the minimum number of people must be a whole number {lo}-{hi}")
    if not lo <= min_answers <= hi:
        raise WorkshopError(
            f"the minimum number of people must be {lo}-{hi} (found {min_answers}): with fewer, "
            "one person's answers could be read off the totals"
        )
    return min_answers


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
    min_answers: int = DEFAULT_MIN_ANSWERS,
) -> Session:
    """Open a new session with a fresh join code."""
    _require_facilitator(viewer)
    _check_min_answers(min_answers)
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
                    min_answers=min_answers,
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


def device_key(device: str) -> str:
    """What is stored of a browser's device id: its SHA-256 (the id itself stays a secret of
    that browser)."""
    return hashlib.sha256(device.encode("utf-8")).hexdigest()


def _rejoin(s, code: str, key: str) -> str | None:
    return s.scalar(
        select(WorkshopParticipant.token)
        .join(WorkshopSession, WorkshopSession.id == WorkshopParticipant.session_id)
        .where(WorkshopSession.code == normalise_code(code), WorkshopParticipant.device == key)
    )


def join(db: Database, code: str, device: str | None = None) -> str:
    """Join an open session; returns the participant's token (keep it to answer).

    With the browser's `device` id, a browser that joined before gets its own token back (and
    so its ballot), even once the session is closed; it never gets a second ballot.
    """
    key = device_key(device) if device else None
    if key is not None:
        with db.read_session() as s:
            if token := _rejoin(s, code, key):
                return token
    try:
        with _writing(db), db.session() as s:
            row = _open_session(s, code)
            joined = s.scalar(
                select(func.count())
                .select_from(WorkshopParticipant)
                .where(WorkshopParticipant.session_id == row.id)
            )
            if joined >= MAX_PARTICIPANTS:
                raise WorkshopError(
                    f"this workshop is full ({MAX_PARTICIPANTS} people have joined)"
                )
            token = secrets.token_urlsafe(24)
            s.add(
                WorkshopParticipant(
                    session_id=row.id,
                    token=token,
                    device=key,
                    joined_at=dt.datetime.now(dt.UTC),
                )
            )
            return token
    except IntegrityError:
        # The same browser joined in two tabs at once: both get the one ballot.
        with db.read_session() as s:
            if key is not None and (token := _rejoin(s, code, key)):
                return token
        raise


def claim_device(db: Database, code: str, token: str, device: str) -> str:
    """Tie a participant's ballot to their browser's device id; returns the token to use from
    now on: this browser's earlier ballot if it has one (the ballot just made for it goes, if
    still empty), else `token`."""
    key = device_key(device)
    for _attempt in range(2):
        try:
            with _writing(db), db.session() as s:
                row = s.scalars(
                    select(WorkshopSession).where(WorkshopSession.code == normalise_code(code))
                ).first()
                if row is None:
                    return token
                me = s.scalars(
                    select(WorkshopParticipant).where(
                        WorkshopParticipant.token == token,
                        WorkshopParticipant.session_id == row.id,
                    )
                ).first()
                if me is None or me.device == key:
                    return token
                earlier = s.scalars(
                    select(WorkshopParticipant).where(
                        WorkshopParticipant.session_id == row.id,
                        WorkshopParticipant.device == key,
                    )
                ).first()
                if earlier is not None:
                    if me.device is None and not _has_written(s, me):
                        s.delete(me)
                        return earlier.token
                    return token  # a ballot opened from a shared link stays that ballot
                if me.device is None:
                    me.device = key
                return token
        except IntegrityError:
            continue  # the same browser claimed in another tab at the same moment: look again
    return token


def _has_written(s, participant: WorkshopParticipant) -> bool:
    if participant.answered_at is not None:
        return True
    for model in (WorkshopAnswer, WorkshopIdea, WorkshopVote):
        if s.scalar(
            select(func.count()).select_from(model).where(model.participant_id == participant.id)
        ):
            return True
    return False


def _participant(s, row: WorkshopSession, token: str) -> WorkshopParticipant:
    # Locked (PostgreSQL) so one participant's parallel posts are counted one after another.
    participant = s.scalars(
        select(WorkshopParticipant)
        .where(WorkshopParticipant.token == token, WorkshopParticipant.session_id == row.id)
        .with_for_update()
    ).first()
    if participant is None:
        raise WorkshopError("you have not joined this workshop: open the join link again")
    return participant


def submit_answers(db: Database, code: str, token: str, answers: dict[str, int | None]) -> int:
    """Save (or replace) a participant's answers; returns how many items are answered."""
    with _writing(db), db.session() as s:
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
    with _writing(db), db.session() as s:
        row = _open_session(s, code)
        if row.activity != "ideas":
            raise WorkshopError("this workshop is not an ideas board")
        participant = _participant(s, row, token)
        mine, total = s.execute(
            select(
                func.count().filter(WorkshopIdea.participant_id == participant.id), func.count()
            ).where(WorkshopIdea.session_id == row.id)
        ).one()
        if mine >= MAX_IDEAS_PER_PARTICIPANT:
            raise WorkshopError(
                f"you have posted {mine} ideas, the most one person can post here: vote for "
                "the ideas you would back instead"
            )
        if total >= MAX_IDEAS_PER_SESSION:
            raise WorkshopError(f"the board is full ({MAX_IDEAS_PER_SESSION} ideas)")
        idea = WorkshopIdea(
            session_id=row.id,
            participant_id=participant.id,
            text=text,
            created_at=dt.datetime.now(dt.UTC),
        )
        s.add(idea)
        s.flush()
        index_idea(s.connection(), idea.id)  # the learning library finds it at once
        participant.answered_at = dt.datetime.now(dt.UTC)
        return idea.id


def toggle_vote(db: Database, code: str, token: str, idea_id: int) -> bool:
    """Vote for an idea, or take the vote back; returns True if the vote now stands."""
    with _writing(db), db.session() as s:
        row = _open_session(s, code)
        participant = _participant(s, row, token)
        idea = s.get(WorkshopIdea, idea_id)
        if idea is None or idea.session_id != row.id:
            raise WorkshopError("that idea is not on this board")
        existing = s.get(WorkshopVote, (idea_id, participant.id))
        if existing is not None:
            s.delete(existing)
            return False
        used = s.scalar(
            select(func.count())
            .select_from(WorkshopVote)
            .where(WorkshopVote.participant_id == participant.id)
        )
        if used >= MAX_VOTES_PER_PARTICIPANT:
            raise WorkshopError(
                f"you have used all your {MAX_VOTES_PER_PARTICIPANT} votes: take one back to "
                "vote for this idea"
            )
        s.add(WorkshopVote(idea_id=idea_id, participant_id=participant.id, session_id=row.id))
        participant.answered_at = dt.datetime.now(dt.UTC)
        return True


def set_status(db: Database, viewer: Viewer, code: str, status: str) -> None:
    """Close or reopen a session (its facilitator or an admin)."""
    if status not in ("open", "closed"):
        raise ValueError("status must be open or closed")
    session = _owned(db, viewer, code)
    with db.session() as s:
        s.execute(
            update(WorkshopSession)
            .where(WorkshopSession.id == session.id)
            .values(
                status=status, closed_at=dt.datetime.now(dt.UTC) if status == "closed" else None
            )
        )


def set_show_results(db: Database, viewer: Viewer, code: str, show: bool) -> None:
    """Let participants see the aggregated results (never anyone's own answers)."""
    session = _owned(db, viewer, code)
    with db.session() as s:
        s.execute(
            update(WorkshopSession)
            .where(WorkshopSession.id == session.id)
            .values(show_results=bool(show))
        )


def set_min_answers(db: Database, viewer: Viewer, code: str, min_answers: int) -> None:
    """How many people must answer before any results show (its facilitator or an admin)."""
    _check_min_answers(min_answers)
    session = _owned(db, viewer, code)
    with db.session() as s:
        s.execute(
            update(WorkshopSession)
            .where(WorkshopSession.id == session.id)
            .values(min_answers=min_answers)
        )


def counts(db: Database, viewer: Viewer, code: str) -> dict[str, int]:
    """How many have joined and how many have answered (its facilitator or an admin)."""
    _owned(db, viewer, code)
    return _counts(db, code)


def _counts(db: Database, code: str) -> dict[str, int]:
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


def results(db: Database, viewer: Viewer, code: str) -> pd.DataFrame:
    """Aggregated answers per item: n, mean and the count of each answer (no individual rows),
    for the session's facilitator or an admin.

    For an ideas board: each idea with its votes, most votes first. See `_results` for what is
    hidden in a small room.
    """
    return _results(db, _owned(db, viewer, code))


def shared_results(db: Database, code: str, token: str) -> pd.DataFrame:
    """The results a participant sees once the facilitator shares them (else an empty frame)."""
    session = get_session(db, code)
    if session is None or not is_participant(db, code, token) or not session.show_results:
        return pd.DataFrame()
    return _results(db, session)


def ideas_board(
    db: Database, code: str, token: str, *, offset: int = 0, limit: int = 20
) -> pd.DataFrame:
    """One page of an ideas board for a participant: idea_id, text, votes (only when shared and
    enough people took part, else missing) and whether this participant voted for it; most
    votes first when votes are shown, else in the order posted. attrs: total, votes_shown."""
    session = get_session(db, code)
    columns = ["idea_id", "text", "votes", "mine"]
    if session is None or session.activity != "ideas":
        return pd.DataFrame(columns=columns)
    with db.connect() as conn:
        participant = conn.scalar(
            select(WorkshopParticipant.id).where(
                WorkshopParticipant.token == token, WorkshopParticipant.session_id == session.id
            )
        )
        if participant is None:
            return pd.DataFrame(columns=columns)
        shown = session.show_results and _took_part(conn, session) >= session.min_answers
        votes = _vote_counts(session.id)
        mine = (
            select(WorkshopVote.idea_id)
            .where(WorkshopVote.participant_id == participant)
            .scalar_subquery()
        )
        total = conn.scalar(
            select(func.count())
            .select_from(WorkshopIdea)
            .where(WorkshopIdea.session_id == session.id)
        )
        order = (
            [func.coalesce(votes.c.votes, 0).desc(), WorkshopIdea.id]
            if shown
            else [WorkshopIdea.id]
        )
        result = conn.execute(
            select(
                WorkshopIdea.id.label("idea_id"),
                WorkshopIdea.text,
                func.coalesce(votes.c.votes, 0).label("votes"),
                WorkshopIdea.id.in_(mine).label("mine"),
            )
            .outerjoin(votes, votes.c.idea_id == WorkshopIdea.id)
            .where(WorkshopIdea.session_id == session.id)
            .order_by(*order)
            .offset(max(int(offset), 0))
            .limit(max(int(limit), 1))
        )
        frame = pd.DataFrame(result.fetchall(), columns=columns)
    frame["mine"] = frame["mine"].astype(bool)
    if not shown:
        frame["votes"] = float("nan")
    frame.attrs.update({"total": int(total), "votes_shown": bool(shown)})
    return frame


def _vote_counts(session_id: int):
    return (
        select(WorkshopVote.idea_id, func.count().label("votes"))
        .where(WorkshopVote.session_id == session_id)
        .group_by(WorkshopVote.idea_id)
        .subquery()
    )


def _took_part(conn, session: Session) -> int:
    """How many people have answered (or, on an ideas board, voted)."""
    if session.activity == "ideas":
        return int(
            conn.scalar(
                select(func.count(func.distinct(WorkshopVote.participant_id))).where(
                    WorkshopVote.session_id == session.id
                )
            )
        )
    return int(
        conn.scalar(
            select(func.count(func.distinct(WorkshopAnswer.participant_id))).where(
                WorkshopAnswer.session_id == session.id
            )
        )
    )


def _idea_rows(conn, session: Session) -> pd.DataFrame:
    """Every idea on a board with its votes, most votes first (ties in the order posted)."""
    votes = _vote_counts(session.id)
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


def _idea_frame(session: Session, ideas: pd.DataFrame, took_part: int) -> pd.DataFrame:
    """An ideas board with small-room protection: votes missing until `min_answers` voted."""
    out = ideas.copy()
    hidden = took_part < session.min_answers
    if hidden:
        out["votes"] = float("nan")
        out = out.sort_values("idea_id", ignore_index=True)
    out.attrs.update({"hidden": hidden, "took_part": took_part, "min_answers": session.min_answers})
    return out


def _answer_frame(session: Session, raw: pd.DataFrame, took_part: int) -> pd.DataFrame:
    """Per item: n, mean and the count of each answer, from (item_code, value, count) rows.

    Small-room protection is the one disclosure rule (`stats.disclosure.suppress`) at the
    session's own minimum, as the saved readiness round applies it at the dashboards'
    threshold (`measures.readiness.item_distribution`): an item answered by fewer people is
    hidden whole, its n, mean and every answer count (never a count of one or two people);
    and until `min_answers` people have answered anything, every item is hidden.
    """
    hidden = took_part < session.min_answers
    values = list(range(session.scale_min, session.scale_max + 1))
    answer_columns = [f"answer_{v}" for v in values]
    given: dict[tuple[str, int], int] = {}
    for item_code, value, count in raw.itertuples(index=False):
        key = (item_code, int(value))
        given[key] = given.get(key, 0) + int(count)
    codes = [item["code"] for item in session.items]
    columns = {v: [given.get((code, v), 0) for code in codes] for v in values}
    n = [sum(columns[v][i] for v in values) for i in range(len(codes))]
    frame = pd.DataFrame(
        {
            "position": range(len(codes)),
            "item_code": codes,
            "text": [item["text"] for item in session.items],
            "group": [item["group"] for item in session.items],
            # Until enough people have answered, nothing is published (as if none had).
            "n": [0] * len(codes) if hidden else n,
            "mean": [
                sum(v * columns[v][i] for v in values) / n[i] if n[i] else float("nan")
                for i in range(len(codes))
            ],
            **{f"answer_{v}": columns[v] for v in values},
        }
    )
    out = suppress(frame, "n", ["mean", *answer_columns], session.min_answers)
    for column in answer_columns:
        out[column] = out[column].astype("Int64")
    out = out[
        ["position", "item_code", "text", "group", "n", "suppressed", "mean", *answer_columns]
    ]
    out.attrs.update(
        {
            "scale_min": session.scale_min,
            "scale_max": session.scale_max,
            "items": len(session.items),
            "hidden": hidden,
            "took_part": took_part,
            "min_answers": session.min_answers,
        }
    )
    return out


def _results(db: Database, session: Session) -> pd.DataFrame:
    """The results with small-room protection: attrs `hidden` (True until `min_answers` people
    have answered, or voted on an ideas board), `took_part` and `min_answers`; a question
    answered by fewer than `min_answers` people has `suppressed` True and no n, mean or answer
    counts (missing); on an ideas board the votes are missing while hidden."""
    with db.connect() as conn:
        took_part = _took_part(conn, session)
        if session.activity == "ideas":
            return _idea_frame(session, _idea_rows(conn, session), took_part)
        result = conn.execute(
            select(WorkshopAnswer.item_code, WorkshopAnswer.value, func.count().label("count"))
            .where(WorkshopAnswer.session_id == session.id)
            .group_by(WorkshopAnswer.item_code, WorkshopAnswer.value)
        )
        raw = pd.DataFrame(result.fetchall(), columns=list(result.keys()))
    return _answer_frame(session, raw, took_part)


@dataclass(frozen=True)
class Live:
    """What a facilitator's live screen shows, read in one go: the session, how many have
    joined and answered, the results (as `results` gives them) and `version`, which is equal
    for two reads exactly when everything on the screen is the same."""

    session: Session
    joined: int
    answered: int
    results: pd.DataFrame
    version: str

    @property
    def counts(self) -> dict[str, int]:
        return {"joined": self.joined, "answered": self.answered}


def live(db: Database, viewer: Viewer, code: str, since: Live | None = None) -> Live | None:
    """The live screen's data (its facilitator or an admin; None if there is no such session):
    the session row, then its counts and answer totals in one query (one snapshot), so a
    refresh costs two small reads. Given the previous read `since`, a refresh that finds
    nothing new returns it as it is (no frame is rebuilt, and the screen can redraw nothing);
    `version` says whether anything changed. The figures are exactly those of `counts` and
    `results`."""
    _require_facilitator(viewer)
    p, a, v = WorkshopParticipant, WorkshopAnswer, WorkshopVote
    with db.connect() as conn:
        row = conn.execute(
            select(WorkshopSession.__table__).where(WorkshopSession.code == normalise_code(code))
        ).first()
        if row is None:
            return None
        session = _session(row)
        _require_owner(viewer, session)
        sid = session.id
        voters = session.activity == "ideas"
        took = (
            select(
                literal("#took_part"), _null_value(), func.count(func.distinct(v.participant_id))
            ).where(v.session_id == sid)
            if voters
            else select(
                literal("#took_part"), _null_value(), func.count(func.distinct(a.participant_id))
            ).where(a.session_id == sid)
        )
        parts = [
            select(literal("#joined"), _null_value(), func.count()).where(p.session_id == sid),
            select(literal("#answered"), _null_value(), func.count(p.answered_at)).where(
                p.session_id == sid
            ),
            took,
        ]
        if not voters:
            parts.append(
                select(a.item_code, a.value, func.count())
                .where(a.session_id == sid)
                .group_by(a.item_code, a.value)
            )
        rows = [tuple(r) for r in conn.execute(union_all(*parts)).all()]
        totals = {key: int(n) for key, value, n in rows if value is None}
        answers = sorted((key, int(value), int(n)) for key, value, n in rows if value is not None)
        ideas = _idea_rows(conn, session) if voters else None
    if ideas is not None:
        seen = tuple(zip(ideas["idea_id"].tolist(), ideas["votes"].tolist(), strict=True))
    else:
        seen = tuple(answers)
    state = (session, totals["#joined"], totals["#answered"], totals["#took_part"], seen)
    version = hashlib.sha256(repr(state).encode("utf-8")).hexdigest()
    if since is not None and since.version == version:
        return since
    if ideas is not None:
        out = _idea_frame(session, ideas, totals["#took_part"])
    else:
        raw = pd.DataFrame(answers, columns=["item_code", "value", "count"])
        out = _answer_frame(session, raw, totals["#took_part"])
    return Live(session, totals["#joined"], totals["#answered"], out, version)


def _null_value():
    """A missing answer value of the answers' own type (so the union has one column type)."""
    return cast(null(), SmallInteger)


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
    from impact_data.ingest.uploads import commit_file, prepare_file

    session = _owned(db, viewer, code)
    if viewer.role == "facilitator" and viewer.org_codes and org_code not in viewer.org_codes:
        raise AccessDenied(
            f"you can save rounds only for your organisations ({', '.join(sorted(viewer.org_codes))})"
        )
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
    prepared, _remembered = prepare_file(
        db,
        buffer.getvalue().encode("utf-8"),
        f"Workshop {session.code} ({session.title}).csv",
        "readiness",
        viewer=viewer,
    )
    if not prepared.ok:
        return prepared, None
    # The file is this session's own answers for the one organisation chosen: a facilitator
    # may load exactly that, though they cannot upload files for organisations in general.
    loader = viewer if viewer.is_admin else viewer.scoped_to({org_code})
    result = commit_file(db, prepared, viewer=loader, uploaded_by=viewer.user)
    with db.session() as s:
        s.execute(
            update(WorkshopSession)
            .where(WorkshopSession.id == session.id)
            .values(saved_upload_id=result.upload_id)
        )
    return prepared, result


__all__ = [
    "ACTIVITIES",
    "Live",
    "CAN_FACILITATE",
    "DEFAULT_MIN_ANSWERS",
    "MAX_IDEAS_PER_PARTICIPANT",
    "MAX_IDEAS_PER_SESSION",
    "MAX_IDEA_LENGTH",
    "MAX_PARTICIPANTS",
    "MAX_VOTES_PER_PARTICIPANT",
    "MIN_ANSWERS_RANGE",
    "Session",
    "WorkshopError",
    "can_run",
    "claim_device",
    "counts",
    "create_session",
    "device_key",
    "facilitated_session",
    "get_session",
    "ideas_board",
    "is_participant",
    "join",
    "live",
    "my_answers",
    "normalise_code",
    "post_idea",
    "results",
    "save_as_readiness_round",
    "sessions",
    "set_min_answers",
    "set_show_results",
    "set_status",
    "shared_results",
    "submit_answers",
    "toggle_vote",
]
