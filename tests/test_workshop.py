"""Workshops: sessions, joining, answering, ideas and votes, closing, saving as readiness."""

from __future__ import annotations

import datetime as dt
import threading

import pytest

from impact_data.access import AccessDenied, Viewer
from impact_data.ingest import commit_upload, prepare_upload
from impact_data.measures.readiness import readiness_scores
from impact_data.workshop import (
    WorkshopError,
    counts,
    create_session,
    get_session,
    join,
    my_answers,
    post_idea,
    results,
    save_as_readiness_round,
    set_status,
    submit_answers,
    toggle_vote,
)
from tests.files import ORGS, csv_bytes

LOCAL = Viewer.local()


def test_create_join_answer_and_change_answers(db):
    session = create_session(db, LOCAL, "readiness", "Ward 7 readiness")
    assert len(session.code) == 6 and session.is_open
    assert [i["code"] for i in session.items][:2] == ["c1", "c2"] and len(session.items) == 12
    a, b = join(db, session.code.lower()), join(db, session.code)
    assert counts(db, session.code) == {"joined": 2, "answered": 0}
    assert submit_answers(db, session.code, a, {"c1": 5, "c2": 4}) == 2
    assert submit_answers(db, session.code, b, {"c1": 3}) == 1
    assert submit_answers(db, session.code, a, {"c1": 2, "c2": None}) == 1  # changed, not added
    assert my_answers(db, session.code, a) == {"c1": 2}
    assert counts(db, session.code) == {"joined": 2, "answered": 2}
    res = results(db, session.code).set_index("item_code")
    assert res.at["c1", "n"] == 2 and res.at["c1", "mean"] == 2.5
    assert res.at["c1", "answer_2"] == 1 and res.at["c1", "answer_3"] == 1
    assert res.at["c2", "n"] == 0


def test_wrong_code_closed_session_and_bad_answers(db):
    session = create_session(db, LOCAL, "impact_rating", "")
    with pytest.raises(WorkshopError, match="no workshop with the code"):
        join(db, "ZZZZZZ")
    token = join(db, session.code)
    with pytest.raises(WorkshopError, match="whole number 1-5"):
        submit_answers(db, session.code, token, {"component_1": 6})
    with pytest.raises(WorkshopError, match="not a question"):
        submit_answers(db, session.code, token, {"q99": 3})
    with pytest.raises(WorkshopError, match="not joined"):
        submit_answers(db, session.code, "forged-token", {"component_1": 3})
    set_status(db, LOCAL, session.code, "closed")
    with pytest.raises(WorkshopError, match="closed"):
        submit_answers(db, session.code, token, {"component_1": 3})
    with pytest.raises(WorkshopError, match="closed"):
        join(db, session.code)
    set_status(db, LOCAL, session.code, "open")
    assert submit_answers(db, session.code, token, {"component_1": 3}) == 1


def test_only_facilitators_open_sessions(db):
    with pytest.raises(AccessDenied):
        create_session(db, Viewer("t", "team_member", frozenset({"ZA1"})), "ideas", "x")
    assert create_session(db, Viewer("f", "facilitator"), "ideas", "x").activity == "ideas"


def test_ideas_and_votes(db):
    session = create_session(db, LOCAL, "ideas", "What should we test next?")
    a, b, c = (join(db, session.code) for _ in range(3))
    first = post_idea(db, session.code, a, "  Huddle   at 9am ")
    second = post_idea(db, session.code, b, "Discharge lounge")
    assert toggle_vote(db, session.code, b, first) is True
    assert toggle_vote(db, session.code, c, first) is True
    assert toggle_vote(db, session.code, c, second) is True
    assert toggle_vote(db, session.code, c, second) is False  # taken back
    board = results(db, session.code)
    assert board[["text", "votes"]].values.tolist() == [
        ["Huddle at 9am", 2],
        ["Discharge lounge", 0],
    ]
    with pytest.raises(WorkshopError, match="characters"):
        post_idea(db, session.code, a, "x" * 281)


def test_culture_pulse_uses_the_measure_questions(db):
    session = create_session(db, LOCAL, "culture_pulse", "Pulse", question_codes=["q3f", "q9f"])
    assert [i["code"] for i in session.items] == ["q3f", "q9f"]
    assert session.items[0]["group"] == "Voice and involvement"


def test_many_participants_at_once_nothing_lost_or_doubled(db):
    session = create_session(db, LOCAL, "readiness", "Load")
    errors: list[BaseException] = []

    def participant(i: int) -> None:
        try:
            token = join(db, session.code)
            submit_answers(db, session.code, token, {"c1": 1 + i % 5, "e1": 1 + (i + 1) % 5})
            submit_answers(db, session.code, token, {"c1": 1 + i % 5, "e1": 1 + (i + 2) % 5})
        except BaseException as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=participant, args=(i,)) for i in range(40)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert counts(db, session.code) == {"joined": 40, "answered": 40}
    res = results(db, session.code).set_index("item_code")
    assert res.at["c1", "n"] == 40 and res.at["e1", "n"] == 40
    assert [res.at["c1", f"answer_{v}"] for v in range(1, 6)] == [8, 8, 8, 8, 8]


def test_save_as_a_readiness_round(db):
    commit_upload(db, prepare_upload(db, csv_bytes(ORGS), "orgs.csv", "organisations"))
    session = create_session(db, LOCAL, "readiness", "Ward 7")
    for _ in range(11):
        token = join(db, session.code)
        submit_answers(
            db,
            session.code,
            token,
            {f"c{k}": 4 for k in range(1, 6)} | {f"e{k}": 3 for k in range(1, 8)},
        )
    prepared, result = save_as_readiness_round(
        db,
        LOCAL,
        session.code,
        org_code="ZA1",
        team="Ward 7",
        programme="Flow",
        assessment_date=dt.date(2025, 5, 1),
    )
    assert result is not None, [str(p) for p in prepared.problems]
    assert result.row_counts == {"readiness_responses": 11, "readiness_answers": 132}
    scores = readiness_scores(db, LOCAL).set_index("subscale")
    assert (
        scores.at["Change commitment", "mean"] == 4.0
        and scores.at["Change commitment", "team"] == "Ward 7"
    )
    assert get_session(db, session.code).saved_upload_id == result.upload_id
    with pytest.raises(WorkshopError, match="already saved"):
        save_as_readiness_round(
            db,
            LOCAL,
            session.code,
            org_code="ZA1",
            team=None,
            programme=None,
            assessment_date=dt.date(2025, 5, 1),
        )
