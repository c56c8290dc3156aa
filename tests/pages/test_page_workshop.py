"""The Workshop page (facilitator) and the Join page (participants), run headless with AppTest
on a real SQLite file; and the pure helpers of `ui.workshop_view`."""

from __future__ import annotations

import io
import zlib
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from impact_data import Viewer
from impact_data.ingest import commit_upload, prepare_upload
from impact_data.store.db import Database
from impact_data.workshop import (
    counts,
    create_session,
    get_session,
    ideas_board,
    join,
    my_answers,
    post_idea,
    results,
    sessions,
    set_show_results,
    set_status,
    submit_answers,
    toggle_vote,
)
from tests.files import ORGS, csv_bytes
from ui import workshop_view as wv

ROOT = Path(__file__).resolve().parents[2]
FACILITATOR = str(ROOT / "pages" / "workshop.py")
PARTICIPANT = str(ROOT / "pages" / "join.py")
LOCAL = Viewer.local()
CLOSED = "This workshop is closed: answers can no longer be given or changed."


@pytest.fixture
def db(tmp_path, monkeypatch) -> Database:
    url = f"sqlite:///{tmp_path / 'impact.db'}"
    monkeypatch.setenv("IMPACT_DATABASE_URL", url)
    monkeypatch.delenv(wv.PUBLIC_URL_ENV, raising=False)
    monkeypatch.chdir(ROOT)
    db = Database(url)
    yield db
    db.dispose()


def run(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def facilitator(**params: str) -> AppTest:
    at = AppTest.from_file(FACILITATOR, default_timeout=60)
    at.query_params.update(params)
    return run(at)


def participant(**params: str) -> AppTest:
    at = AppTest.from_file(PARTICIPANT, default_timeout=60)
    at.query_params.update(params)
    return run(at)


def texts(elements) -> list[str]:
    return [e.value for e in elements]


def submit(at: AppTest) -> AppTest:
    next(b for b in at.button if b.label == "Send my answers").click()
    return run(at)


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


# --- facilitator ------------------------------------------------------------------------------


def test_facilitator_opens_a_session_and_sees_the_code(db):
    at = facilitator()
    at.radio(key="ws_activity").set_value("readiness")
    at.text_input(key="ws_title").input("Ward 7 readiness")
    at.button(key="ws_create").click()
    run(at)
    listed = sessions(db, LOCAL)
    assert listed["title"].tolist() == ["Ward 7 readiness"]
    code = listed["code"].iloc[0]
    assert at.query_params["session"] == code
    assert any(f"code **{code}**" in m for m in texts(at.markdown))
    assert any(f"join?code={code}" in c for c in texts(at.code))  # the join link
    assert len(at.get("image")) == 1  # the QR code
    assert metric(at, "Joined") == "0" and metric(at, "Answered") == "0"


def test_culture_pulse_asks_the_chosen_questions(db):
    at = facilitator()
    at.radio(key="ws_activity").set_value("culture_pulse")
    run(at)
    at.multiselect(key="ws_questions").set_value(["q3f", "q9f"])
    at.button(key="ws_create").click()
    run(at)
    session = get_session(db, at.query_params["session"])
    assert [i["code"] for i in session.items] == ["q3f", "q9f"]


def test_live_view_counts_and_charts(db):
    session = create_session(db, LOCAL, "readiness", "Live")
    for value in (1, 4, 5):
        submit_answers(db, session.code, join(db, session.code), {"c1": value})
    join(db, session.code)  # joined, not answered yet
    at = facilitator(session=session.code)
    assert metric(at, "Joined") == "4" and metric(at, "Answered") == "3"
    assert len(at.get("vega_lite_chart")) == 1
    summary = texts(at.text)
    assert any(s.startswith("1. ") and "3 answers, average 3.3" in s for s in summary)


def test_close_reopen_and_share_results(db):
    session = create_session(db, LOCAL, "impact_rating", "Rate")
    at = facilitator(session=session.code)
    at.button(key="ws_close").click()
    run(at)
    assert get_session(db, session.code).status == "closed"
    assert any("closed: no more answers" in m for m in texts(at.markdown))
    at.button(key="ws_reopen").click()
    run(at)
    assert get_session(db, session.code).is_open
    at.toggle(key=f"ws_share_{session.code}").set_value(True)
    run(at)
    assert get_session(db, session.code).show_results is True


def test_save_a_readiness_session_as_a_round(db):
    commit_upload(db, prepare_upload(db, csv_bytes(ORGS), "orgs.csv", "organisations"))
    session = create_session(db, LOCAL, "readiness", "Ward 7")
    for _ in range(11):
        answers = {f"c{k}": 4 for k in range(1, 6)} | {f"e{k}": 3 for k in range(1, 8)}
        submit_answers(db, session.code, join(db, session.code), answers)
    at = facilitator(session=session.code)
    assert at.button(key="ws_save").disabled  # still open: close first
    at.button(key="ws_close").click()
    run(at)
    at.selectbox(key="ws_org").set_value("ZA1")
    at.text_input(key="ws_team").input("Ward 7")
    at.button(key="ws_save").click()
    run(at)
    assert any("11 people's answers" in s for s in texts(at.success))
    assert get_session(db, session.code).saved_upload_id is not None


def test_presentation_mode_one_slide_at_a_time(db):
    session = create_session(db, LOCAL, "impact_rating", "Big screen")
    for _ in range(3):
        submit_answers(db, session.code, join(db, session.code), {"component_1": 4})
    at = facilitator(session=session.code, present="1")
    assert "1 of 8" in texts(at.markdown)  # join slide, 5 components, all together (2 slides)
    assert any(session.code in h.proto.body for h in at.get("html"))
    assert not at.get("vega_lite_chart")
    at.button(key="ws_next").click()
    run(at)
    assert "2 of 8" in texts(at.markdown)
    assert len(at.get("vega_lite_chart")) == 1
    assert metric(at, "Joined") == "3"
    at.button(key="ws_next").click()
    run(at)  # component 2: nobody answered it, so no breakdown of it
    assert not at.get("vega_lite_chart")
    assert any("Fewer than 3 people answered this question" in m for m in texts(at.markdown))
    at.button(key="ws_prev").click()
    run(at)
    at.button(key="ws_prev").click()
    run(at)
    at.button(key="ws_prev").click()
    run(at)
    assert "8 of 8" in texts(at.markdown)  # wraps round
    at.button(key="ws_leave").click()
    run(at)
    assert "present" not in at.query_params


def test_ideas_board_for_the_facilitator(db):
    session = create_session(db, LOCAL, "ideas", "Ideas")
    a, b, c = join(db, session.code), join(db, session.code), join(db, session.code)
    idea = post_idea(db, session.code, a, "Huddle at 9am")
    other = post_idea(db, session.code, b, "Discharge lounge")
    toggle_vote(db, session.code, b, idea)
    at = facilitator(session=session.code)
    assert metric(at, "Posted or voted") == "2"
    # One voter so far: the votes are not shown (they would be that person's), the ideas are.
    assert at.dataframe[0].value.values.tolist() == [["Huddle at 9am"], ["Discharge lounge"]]
    assert any("at least 3 people" in i for i in texts(at.info))
    toggle_vote(db, session.code, a, idea)
    toggle_vote(db, session.code, c, other)
    run(at)
    table = at.dataframe[0].value  # the live board, before the list of sessions
    assert table.values.tolist() == [["Huddle at 9am", 2], ["Discharge lounge", 1]]


def test_ideas_on_the_big_screen(db):
    session = create_session(db, LOCAL, "ideas", "Ideas")
    idea = post_idea(db, session.code, join(db, session.code), "Huddle at 9am")
    for _ in range(3):
        toggle_vote(db, session.code, join(db, session.code), idea)
    at = facilitator(session=session.code, present="1")
    assert "1 of 2" in texts(at.markdown)
    at.button(key="ws_next").click()
    run(at)
    assert "2 of 2" in texts(at.markdown) and len(at.get("vega_lite_chart")) == 1


def test_an_unknown_session_code_is_said_plainly(db):
    at = facilitator(session="ZZZZZZ")
    assert texts(at.warning) == ["There is no workshop with the code ZZZZZZ."]


# --- participants -----------------------------------------------------------------------------


def test_join_by_link_answer_and_thank_you(db):
    session = create_session(db, LOCAL, "impact_rating", "Rate us")
    at = participant(code=session.code.lower())
    token = at.query_params["p"]
    assert at.query_params["code"] == session.code
    assert at.session_state[f"workshop_token_{session.code}"] == token
    assert counts(db, LOCAL, session.code) == {"joined": 1, "answered": 0}
    assert len(at.radio) == 5
    assert at.radio[0].options == ["Level 1", "Level 2", "Level 3", "Level 4", "Level 5"]
    for radio, value in zip(at.radio, (1, 2, 3, 4, 5), strict=True):
        radio.set_value(value)
    submit(at)
    assert texts(at.success) == ["Thank you, your answers are in."]
    assert my_answers(db, session.code, token) == {f"component_{k}": k for k in range(1, 6)}
    assert counts(db, LOCAL, session.code) == {"joined": 1, "answered": 1}


def test_likert_labels_and_partial_answers(db):
    session = create_session(db, LOCAL, "readiness", "ORIC")
    at = participant(code=session.code)
    assert at.radio[0].options == [
        "Strongly disagree",
        "Disagree",
        "Neither agree nor disagree",
        "Agree",
        "Strongly agree",
    ]
    submit(at)  # nothing chosen
    assert texts(at.warning) == ["Choose at least one answer, then send."]
    at.radio[0].set_value(5)
    submit(at)
    assert "You answered 1 of 12 questions." in texts(at.markdown)


def test_a_reload_keeps_the_token_and_answers_can_change(db):
    session = create_session(db, LOCAL, "readiness", "ORIC")
    first = participant(code=session.code)
    first.radio[0].set_value(2)
    submit(first)
    params = dict(first.query_params)
    again = participant(**params)  # the same URL in a fresh browser session
    assert texts(again.success) == ["Thank you, your answers are in."]
    assert counts(db, LOCAL, session.code) == {"joined": 1, "answered": 1}
    again.button(key="change_answers").click()
    run(again)
    assert again.radio[0].value == 2  # the previous answer, ready to change
    again.radio[0].set_value(4)
    again.radio[1].set_value(3)
    submit(again)
    assert my_answers(db, session.code, params["p"]) == {"c1": 4, "c2": 3}
    assert counts(db, LOCAL, session.code) == {"joined": 1, "answered": 1}  # replaced, not added


def test_the_token_goes_back_into_the_url(db):
    session = create_session(db, LOCAL, "impact_rating", "")
    at = participant(code=session.code)
    token = at.query_params["p"]
    del at.query_params["p"]  # e.g. the address bar edited by hand
    run(at)
    assert at.query_params["p"] == token
    assert counts(db, LOCAL, session.code)["joined"] == 1


def test_wrong_code_is_said_plainly(db):
    at = participant(code="ZZZZZZ")
    assert texts(at.error) == [
        "There is no workshop with the code ZZZZZZ. Check the code on the screen and try again."
    ]
    assert len(at.text_input) == 1  # and they can type it again


def test_typing_the_code(db):
    session = create_session(db, LOCAL, "impact_rating", "")
    at = participant()
    at.text_input(key="join_code_input").input(f" {session.code.lower()[:3]}-{session.code[3:]} ")
    at.button[0].click()
    run(at)
    assert at.query_params["code"] == session.code and at.query_params["p"]
    assert counts(db, LOCAL, session.code)["joined"] == 1


def test_closed_session_says_so(db):
    session = create_session(db, LOCAL, "readiness", "Done")
    answered = participant(code=session.code)
    answered.radio[0].set_value(3)
    submit(answered)
    set_status(db, LOCAL, session.code, "closed")
    newcomer = participant(code=session.code)
    assert texts(newcomer.warning) == [CLOSED]
    assert counts(db, LOCAL, session.code)["joined"] == 1  # nobody joins a closed session
    run(answered)
    assert texts(answered.success) == ["Thank you, your answers are in."]
    assert CLOSED in texts(answered.info)
    assert not [b for b in answered.button if b.key == "change_answers"]


def test_answers_sent_after_closing_are_refused(db):
    session = create_session(db, LOCAL, "readiness", "Late")
    at = participant(code=session.code)
    at.radio[0].set_value(3)
    set_status(db, LOCAL, session.code, "closed")
    submit(at)
    assert CLOSED in texts(at.info) and not at.radio  # the form is gone, the reason given
    assert counts(db, LOCAL, session.code)["answered"] == 0


def test_results_only_when_shared_and_never_individual(db):
    session = create_session(db, LOCAL, "readiness", "Shared")
    for value in (1, 5):
        submit_answers(db, session.code, join(db, session.code), {"c1": value})
    at = participant(code=session.code)
    assert not at.get("vega_lite_chart") and "Results so far" not in texts(at.subheader)
    set_show_results(db, LOCAL, session.code, True)
    run(at)
    # Shared, but only two have answered: a third person would read the other two's answers.
    assert "Results so far" in texts(at.subheader) and not at.get("vega_lite_chart")
    assert any("at least 3 people have answered (2 so far)" in i for i in texts(at.info))
    submit_answers(db, session.code, join(db, session.code), {"c1": 3})
    run(at)
    assert len(at.get("vega_lite_chart")) == 1
    assert not at.get("arrow_data_frame") and not at.dataframe  # totals only, no table


def test_ideas_post_vote_and_take_back(db):
    session = create_session(db, LOCAL, "ideas", "What next?")
    other = join(db, session.code)
    post_idea(db, session.code, other, "Discharge lounge")
    at = participant(code=session.code)
    at.text_area(key=f"idea_text_{session.code}").input("Huddle <b>at</b> 9am [x](http://x.y)")
    at.button[0].click()
    run(at)
    assert texts(at.success) == ["Thank you, your idea is on the board."]
    # Ideas are plain text (never Markdown or HTML), in the order posted while votes are hidden.
    assert texts(at.text) == ["Discharge lounge", "Huddle <b>at</b> 9am [x](http://x.y)"]
    assert not any("vote" in m and "**" in m for m in texts(at.markdown))
    first = results(db, LOCAL, session.code).sort_values("idea_id")["idea_id"].iloc[0]
    at.button(key=f"vote_{first}").click()
    run(at)
    assert at.button(key=f"vote_{first}").label == "Voted (tap to take back)"
    mine = ideas_board(db, session.code, at.query_params["p"]).set_index("idea_id")["mine"]
    assert mine[first]
    at.button(key=f"vote_{first}").click()
    run(at)
    assert at.button(key=f"vote_{first}").label == "Vote"
    assert (
        not ideas_board(db, session.code, at.query_params["p"])
        .set_index("idea_id")
        .at[first, "mine"]
    )
    set_show_results(db, LOCAL, session.code, True)
    run(at)
    assert not any("vote" in m for m in texts(at.markdown))  # nobody has voted: nothing shown
    for token in (other, join(db, session.code), join(db, session.code)):
        toggle_vote(db, session.code, token, int(first))
    run(at)
    assert "**3** votes" in texts(at.markdown) and "**0** votes" in texts(at.markdown)


# --- helpers ----------------------------------------------------------------------------------


def test_join_url_from_the_facilitator_page_url():
    assert (
        wv.join_url("https://impact.example.nhs.uk/workshop", "ABC234")
        == "https://impact.example.nhs.uk/join?code=ABC234"
    )
    assert (
        wv.join_url("https://host/impact/workshop/", "ABC234")
        == "https://host/impact/join?code=ABC234"
    )
    assert wv.join_url("http://10.0.0.5:8501", "ABC234") == "http://10.0.0.5:8501/join?code=ABC234"
    # A browser URL a phone cannot reach gives way to the configured public address.
    assert (
        wv.join_url("http://localhost:8501/workshop", "ABC234", "https://impact.nhs.uk/")
        == "https://impact.nhs.uk/join?code=ABC234"
    )
    assert wv.join_url(None, "ABC234", "https://impact.nhs.uk") == (
        "https://impact.nhs.uk/join?code=ABC234"
    )
    assert wv.join_url("http://localhost:8501/workshop", "ABC234") == (
        "http://localhost:8501/join?code=ABC234"
    )
    assert wv.is_loopback("http://127.0.0.1:8501/join") and not wv.is_loopback("https://a.b/join")


def test_qr_code_is_a_local_png():
    png = wv.qr_png("https://impact.example.nhs.uk/join?code=ABC234")
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    stream = io.BytesIO(png)
    stream.seek(33)
    # The image data decompresses: a real PNG, made here with segno.
    chunks = []
    while True:
        length = int.from_bytes(stream.read(4), "big")
        kind = stream.read(4)
        data = stream.read(length)
        stream.read(4)
        if kind == b"IDAT":
            chunks.append(data)
        if kind == b"IEND" or not kind:
            break
    assert zlib.decompress(b"".join(chunks))


def test_workshop_screens_escape_through_the_one_path():
    """Titles and questions go through ui.safe.md like every other page (no second escaper)."""
    assert not hasattr(wv, "plain")
    source = (ROOT / "pages" / "join.py").read_text() + (ROOT / "pages" / "workshop.py").read_text()
    assert "from ui.safe import md" in source


def test_another_facilitators_session_does_not_open(db, monkeypatch):
    session = create_session(db, Viewer("alice@nhs.net", "facilitator"), "readiness", "Alice's")
    monkeypatch.setattr("ui.state.viewer", lambda: Viewer("ben@nhs.net", "facilitator"))
    at = facilitator(session=session.code)
    assert any("opened by another facilitator" in w for w in texts(at.warning))
    assert not [b for b in at.button if b.key in ("ws_close", "ws_reopen", "ws_save")]
    assert not at.metric and get_session(db, session.code).is_open
