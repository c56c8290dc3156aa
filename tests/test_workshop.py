"""Workshops: sessions, joining, answering, ideas and votes, closing, saving as readiness."""

from __future__ import annotations

import datetime as dt
import threading

import pandas as pd
import pytest

from impact_data.access import AccessDenied, Viewer
from impact_data.ingest import commit_upload, prepare_upload
from impact_data.measures import queries
from impact_data.measures.readiness import item_distribution, readiness_scores
from impact_data.stats.disclosure import suppress
from impact_data.store.settings import set_suppression_threshold
from impact_data.users import audit_log
from impact_data.workshop import (
    MAX_IDEAS_PER_PARTICIPANT,
    MAX_VOTES_PER_PARTICIPANT,
    WorkshopError,
    counts,
    create_session,
    facilitated_session,
    get_session,
    ideas_board,
    join,
    live,
    my_answers,
    post_idea,
    results,
    save_as_readiness_round,
    sessions,
    set_min_answers,
    set_show_results,
    set_status,
    shared_results,
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
    assert counts(db, LOCAL, session.code) == {"joined": 2, "answered": 0}
    assert submit_answers(db, session.code, a, {"c1": 5, "c2": 4}) == 2
    assert submit_answers(db, session.code, b, {"c1": 3}) == 1
    assert submit_answers(db, session.code, a, {"c1": 2, "c2": None}) == 1  # changed, not added
    assert my_answers(db, session.code, a) == {"c1": 2}
    assert counts(db, LOCAL, session.code) == {"joined": 2, "answered": 2}
    assert submit_answers(db, session.code, join(db, session.code), {"c1": 4}) == 1
    res = results(db, LOCAL, session.code).set_index("item_code")
    assert res.at["c1", "n"] == 3 and res.at["c1", "mean"] == 3.0
    assert [res.at["c1", f"answer_{v}"] for v in range(1, 6)] == [0, 1, 1, 1, 0]
    assert pd.isna(res.at["c2", "n"]) and res.at["c2", "suppressed"]


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
    assert toggle_vote(db, session.code, a, second) is True
    board = results(db, LOCAL, session.code)
    assert board[["text", "votes"]].values.tolist() == [
        ["Huddle at 9am", 2],
        ["Discharge lounge", 1],
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
    assert counts(db, LOCAL, session.code) == {"joined": 40, "answered": 40}
    res = results(db, LOCAL, session.code).set_index("item_code")
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


# --- issue 16: ownership, one ballot per browser, floods, small rooms, saving ------------------

ALICE = Viewer("alice@nhs.net", "facilitator")
BEN = Viewer("ben@nhs.net", "facilitator")
ADMIN = Viewer("ada@nhs.net", "admin")
ORIC_ANSWERS = {f"c{k}": 4 for k in range(1, 6)} | {f"e{k}": 3 for k in range(1, 8)}


def test_facilitators_run_only_their_own_sessions_admins_any(db):
    """On today's main, facilitator B could close, reopen, share and read A's session."""
    session = create_session(db, ALICE, "readiness", "Alice's ward")
    for _ in range(3):
        submit_answers(db, session.code, join(db, session.code), {"c1": 4})
    code = session.code
    for action in (
        lambda: set_status(db, BEN, code, "closed"),
        lambda: set_show_results(db, BEN, code, True),
        lambda: set_min_answers(db, BEN, code, 5),
        lambda: results(db, BEN, code),
        lambda: counts(db, BEN, code),
        lambda: facilitated_session(db, BEN, code),
    ):
        with pytest.raises(AccessDenied, match="another facilitator"):
            action()
    assert get_session(db, code).is_open and not get_session(db, code).show_results
    assert sessions(db, BEN).empty
    # Alice runs her own; an admin may run anyone's.
    assert counts(db, ALICE, code) == {"joined": 3, "answered": 3}
    assert results(db, ALICE, code).set_index("item_code").at["c1", "n"] == 3
    set_show_results(db, ALICE, code, True)
    set_status(db, ADMIN, code, "closed")
    assert results(db, ADMIN, code).set_index("item_code").at["c1", "answer_4"] == 3
    assert get_session(db, code).status == "closed" and get_session(db, code).show_results
    with pytest.raises(AccessDenied):
        results(db, Viewer("t", "team_member", frozenset({"ZA1"})), code)


def test_a_rejoin_from_the_same_browser_keeps_its_ballot(db):
    """On today's main, joining again gave a second ballot."""
    session = create_session(db, LOCAL, "readiness", "Rejoin")
    first = join(db, session.code, device="browser-1")
    submit_answers(db, session.code, first, {"c1": 5})
    again = join(db, session.code.lower(), device="browser-1")
    assert again == first and my_answers(db, session.code, again) == {"c1": 5}
    other = join(db, session.code, device="browser-2")
    assert other != first
    assert counts(db, LOCAL, session.code) == {"joined": 2, "answered": 1}
    set_status(db, LOCAL, session.code, "closed")
    assert join(db, session.code, device="browser-1") == first  # still theirs when closed
    with pytest.raises(WorkshopError, match="closed"):
        join(db, session.code, device="browser-3")


def test_one_browser_joining_in_many_tabs_at_once_gets_one_ballot(db):
    session = create_session(db, LOCAL, "readiness", "Tabs")
    tokens: list[str] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(8)

    def tab() -> None:
        barrier.wait()
        try:
            tokens.append(join(db, session.code, device="same-browser"))
        except BaseException as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=tab) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and len(set(tokens)) == 1 and len(tokens) == 8
    assert counts(db, LOCAL, session.code)["joined"] == 1


def test_one_participant_cannot_flood_the_board(db):
    """On today's main, one participant posted 2,000 ideas in 2.6 s."""
    session = create_session(db, LOCAL, "ideas", "Flood")
    flooder, voter = join(db, session.code), join(db, session.code)
    errors: list[str] = []
    barrier = threading.Barrier(6)

    def post(batch: int) -> None:
        barrier.wait()
        for i in range(5):
            try:
                post_idea(db, session.code, flooder, f"idea {batch}-{i}")
            except WorkshopError as exc:
                errors.append(str(exc))

    threads = [threading.Thread(target=post, args=(b,)) for b in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    board = results(db, LOCAL, session.code)
    assert len(board) == MAX_IDEAS_PER_PARTICIPANT
    assert len(errors) == 30 - MAX_IDEAS_PER_PARTICIPANT
    assert all("the most one person can post" in e for e in errors)
    for idea_id in board["idea_id"]:
        assert toggle_vote(db, session.code, voter, int(idea_id)) is True
    extra = post_idea(db, session.code, voter, "one more")
    with pytest.raises(WorkshopError, match=f"all your {MAX_VOTES_PER_PARTICIPANT} votes"):
        toggle_vote(db, session.code, voter, extra)
    assert toggle_vote(db, session.code, voter, int(board["idea_id"].iloc[0])) is False
    assert toggle_vote(db, session.code, voter, extra) is True  # a vote taken back is free


def test_the_ideas_board_comes_a_page_at_a_time(db):
    session = create_session(db, LOCAL, "ideas", "Many ideas")
    people = [join(db, session.code) for _ in range(5)]
    for n, token in enumerate(people):
        for i in range(MAX_IDEAS_PER_PARTICIPANT):
            post_idea(db, session.code, token, f"idea {n}-{i}")
    me = people[0]
    page = ideas_board(db, session.code, me, limit=20)
    assert len(page) == 20 and page.attrs == {"total": 50, "votes_shown": False}
    assert page["text"].tolist()[:2] == ["idea 0-0", "idea 0-1"]  # posted order
    assert page["votes"].isna().all()
    toggle_vote(db, session.code, me, int(page["idea_id"].iloc[3]))
    last = ideas_board(db, session.code, me, offset=40, limit=20)
    assert len(last) == 10 and last["text"].iloc[-1] == "idea 4-9"
    assert ideas_board(db, session.code, me, limit=20)["mine"].tolist()[:5] == [
        False,
        False,
        False,
        True,
        False,
    ]
    assert ideas_board(db, session.code, "forged", limit=20).empty


def test_small_rooms_see_no_results_until_the_minimum_have_answered(db):
    """On today's main, a room of one saw that person's answers on the projector."""
    session = create_session(db, LOCAL, "readiness", "Small room")
    assert session.min_answers == 3
    a, b, c = (join(db, session.code) for _ in range(3))
    submit_answers(db, session.code, a, {"c1": 1, "c2": 5})
    res = results(db, LOCAL, session.code)
    assert res.attrs["hidden"] and res.attrs["took_part"] == 1
    assert res["suppressed"].all() and res["n"].isna().all()
    assert res[[f"answer_{v}" for v in range(1, 6)]].isna().all().all()
    assert res["mean"].isna().all()
    submit_answers(db, session.code, b, {"c1": 2, "c2": 5})
    assert results(db, LOCAL, session.code).attrs["hidden"]
    submit_answers(db, session.code, c, {"c1": 3})
    res = results(db, LOCAL, session.code).set_index("item_code")
    assert not res.attrs["hidden"]
    assert res.at["c1", "n"] == 3 and not res.at["c1", "suppressed"]
    assert res.at["c1", "mean"] == 2.0
    # c2 has only two answers: no breakdown of it, even though the room has three.
    assert res.at["c2", "suppressed"] and pd.isna(res.at["c2", "answer_5"])
    assert pd.isna(res.at["c2", "n"])  # not even how many answered it
    assert pd.isna(res.at["c2", "mean"])
    # Participants see only what is shared, and only as much.
    assert shared_results(db, session.code, a).empty
    set_show_results(db, LOCAL, session.code, True)
    shared = shared_results(db, session.code, a).set_index("item_code")
    assert shared.at["c1", "n"] == 3 and shared.at["c2", "suppressed"]
    assert shared_results(db, session.code, "forged").empty
    # The facilitator can ask for more people, never fewer than three.
    set_min_answers(db, LOCAL, session.code, 4)
    assert results(db, LOCAL, session.code).attrs["hidden"]
    with pytest.raises(WorkshopError, match="3-100"):
        set_min_answers(db, LOCAL, session.code, 1)
    with pytest.raises(WorkshopError, match="3-100"):
        create_session(db, LOCAL, "readiness", "x", min_answers=2)


def test_votes_show_only_once_enough_people_have_voted(db):
    session = create_session(db, LOCAL, "ideas", "Small board")
    a, b, c = (join(db, session.code) for _ in range(3))
    idea = post_idea(db, session.code, a, "Huddle")
    post_idea(db, session.code, a, "Board round")
    toggle_vote(db, session.code, a, idea)
    toggle_vote(db, session.code, b, idea)
    hidden = results(db, LOCAL, session.code)
    assert hidden.attrs["hidden"] and hidden["votes"].isna().all()
    assert hidden["text"].tolist() == ["Huddle", "Board round"]  # the ideas themselves show
    set_show_results(db, LOCAL, session.code, True)
    assert ideas_board(db, session.code, c).attrs["votes_shown"] is False
    toggle_vote(db, session.code, c, idea)
    assert results(db, LOCAL, session.code)["votes"].tolist() == [3, 0]
    board = ideas_board(db, session.code, c)
    assert board.attrs["votes_shown"] and board["votes"].tolist() == [3, 0]


def test_a_facilitator_saves_their_own_session_as_a_readiness_round(db):
    """On today's main, a facilitator got AccessDenied saving the round the page offered."""
    commit_upload(db, prepare_upload(db, csv_bytes(ORGS), "orgs.csv", "organisations"))
    session = create_session(db, ALICE, "readiness", "Ward 7")
    for _ in range(11):
        submit_answers(db, session.code, join(db, session.code), ORIC_ANSWERS)
    set_status(db, ALICE, session.code, "closed")
    options = dict(team="Ward 7", programme=None, assessment_date=dt.date(2025, 5, 1))
    with pytest.raises(AccessDenied, match="another facilitator"):
        save_as_readiness_round(db, BEN, session.code, org_code="ZA1", **options)
    scoped = Viewer("alice@nhs.net", "facilitator", frozenset({"ZB1"}))
    with pytest.raises(AccessDenied, match="only for your organisations"):
        save_as_readiness_round(db, scoped, session.code, org_code="ZA1", **options)
    prepared, result = save_as_readiness_round(db, ALICE, session.code, org_code="ZA1", **options)
    assert result is not None, [str(p) for p in prepared.problems]
    assert result.row_counts == {"readiness_responses": 11, "readiness_answers": 132}
    assert get_session(db, session.code).saved_upload_id == result.upload_id
    history = queries.uploads(db, LOCAL).set_index("upload_id")
    assert history.at[result.upload_id, "uploaded_by"] == "alice@nhs.net"
    log = audit_log(db, LOCAL)
    assert log.iloc[0]["user"] == "alice@nhs.net" and log.iloc[0]["action"] == "upload"


# --- issue 17 item 7 and issue 20: one minimum for every live number; the live screen's read --


def test_the_minimum_hides_every_live_number_of_a_small_question(db):
    """Live counts of 1 showed in a tiny group: every figure of a question answered by fewer
    than the minimum is hidden (its n too), by the one disclosure rule."""
    session = create_session(db, LOCAL, "impact_rating", "Tiny", min_answers=4)
    people = [join(db, session.code) for _ in range(5)]
    for i, token in enumerate(people):
        answers = {"component_1": 1 + i % 5}
        if i < 2:
            answers["component_2"] = 5  # two people only
        submit_answers(db, session.code, token, answers)
    res = results(db, LOCAL, session.code).set_index("item_code")
    answer_columns = [f"answer_{v}" for v in range(1, 6)]
    assert not res.attrs["hidden"] and res.attrs["took_part"] == 5
    assert res.at["component_1", "n"] == 5 and res.at["component_1", "mean"] == 3.0
    assert res.loc["component_1", answer_columns].tolist() == [1, 1, 1, 1, 1]
    for item in ("component_2", "component_3"):
        assert res.at[item, "suppressed"]
        assert res.loc[item, ["n", "mean", *answer_columns]].isna().all(), item
    # Exactly what the one rule gives for the same counts.
    reference = suppress(
        pd.DataFrame({"n": [5, 2, 0, 0, 0]}, index=res.index), "n", [], threshold=4
    )
    assert res["suppressed"].tolist() == reference["suppressed"].tolist()


def test_live_answers_match_the_saved_round_at_the_same_threshold(db):
    """The live screen hides what the saved readiness round hides, given the same minimum."""
    commit_upload(db, prepare_upload(db, csv_bytes(ORGS), "orgs.csv", "organisations"))
    set_suppression_threshold(db, LOCAL, 4)
    session = create_session(db, LOCAL, "readiness", "Same rule", min_answers=4)
    for i in range(5):
        answers = {code: 1 + (i + k) % 5 for k, code in enumerate(ORIC_ANSWERS)}
        if i >= 3:
            answers.pop("c2")  # c2: three answers only
        submit_answers(db, session.code, join(db, session.code), answers)
    live = results(db, LOCAL, session.code).set_index("item_code")
    set_status(db, LOCAL, session.code, "closed")
    _, saved = save_as_readiness_round(
        db,
        LOCAL,
        session.code,
        org_code="ZA1",
        team="Ward 7",
        programme=None,
        assessment_date=dt.date(2025, 5, 1),
    )
    assert saved is not None
    items = item_distribution(db, LOCAL, org_codes=["ZA1"], instrument_code="oric")
    hidden_saved = set(items.loc[items["suppressed"], "item_code"])
    assert hidden_saved == {"c2"} == set(live.index[live["suppressed"]])
    for item, part in items[~items["suppressed"]].groupby("item_code"):
        counts = dict(zip(part["value"].astype(int), part["count"].astype(int), strict=True))
        assert {v: int(live.at[item, f"answer_{v}"]) for v in counts} == counts, item
        assert int(live.at[item, "n"]) == int(part["n"].iloc[0])


def test_the_live_screen_reads_counts_and_results_in_one_go(db):
    session = create_session(db, LOCAL, "readiness", "Live")
    tokens = [join(db, session.code) for _ in range(4)]
    for i, token in enumerate(tokens[:3]):
        submit_answers(db, session.code, token, {"c1": 1 + i, "c2": 3})
    first = live(db, LOCAL, session.code)
    assert first.counts == counts(db, LOCAL, session.code) == {"joined": 4, "answered": 3}
    pd.testing.assert_frame_equal(first.results, results(db, LOCAL, session.code))
    assert first.results.attrs == results(db, LOCAL, session.code).attrs
    # Nothing new: the same read back, nothing rebuilt.
    assert live(db, LOCAL, session.code, since=first) is first
    # A change of mind keeps every count but changes the screen.
    submit_answers(db, session.code, tokens[0], {"c1": 5, "c2": 3})
    changed = live(db, LOCAL, session.code, since=first)
    assert changed is not first and changed.version != first.version
    assert changed.results.set_index("item_code").at["c1", "answer_5"] == 1
    # So do the facilitator's settings.
    set_min_answers(db, LOCAL, session.code, 4)
    stricter = live(db, LOCAL, session.code, since=changed)
    assert stricter.version != changed.version and stricter.results.attrs["hidden"]
    assert live(db, ALICE, "ZZZZZZ") is None
    with pytest.raises(AccessDenied, match="another facilitator"):
        live(db, BEN, create_session(db, ALICE, "ideas", "Alice's").code)


def test_the_live_ideas_board_sees_a_vote_taken_back(db):
    session = create_session(db, LOCAL, "ideas", "Votes")
    people = [join(db, session.code) for _ in range(4)]
    idea = post_idea(db, session.code, people[0], "Huddle")
    for token in people:
        toggle_vote(db, session.code, token, idea)
    before = live(db, LOCAL, session.code)
    assert before.results["votes"].tolist() == [4] and before.counts["answered"] == 4
    toggle_vote(db, session.code, people[3], idea)  # taken back: no timestamp moves
    after = live(db, LOCAL, session.code, since=before)
    assert after is not before and after.results["votes"].tolist() == [3]
    pd.testing.assert_frame_equal(after.results, results(db, LOCAL, session.code))
