"""Join a workshop: a participant's phone. Type the code (or open the link), answer, done.

No account: joining gives a token, kept in the URL (a reload keeps it) and in the browser
session; it is the only key to this person's answers. Nobody's own answers are ever shown to
anyone else; totals only when the facilitator shares them.
"""

from __future__ import annotations

import streamlit as st

from impact_data import workshop
from impact_data.measures.readiness import level_labels
from impact_data.workshop import MAX_IDEA_LENGTH, WorkshopError
from ui import workshop_view as wv
from ui.state import database

st.html(wv.PHONE_CSS)
db = database()


def ask_for_code(problem: str | None = None) -> None:
    st.title("Join a workshop")
    if problem:
        st.error(problem, icon=":material/error:")
    with st.form("join_form", border=False):
        typed = st.text_input(
            "Join code (shown on the screen)",
            max_chars=12,
            placeholder="e.g. ABC234",
            autocomplete="off",
            key="join_code_input",
        )
        go = st.form_submit_button("Join", type="primary", width="stretch")
    if go:
        code = workshop.normalise_code(typed or "")
        if code:
            wv.forget_token(code)
            st.query_params[wv.CODE_PARAM] = code
            st.rerun()
        st.warning("Type the code shown on the screen first.")
    st.stop()


code = workshop.normalise_code(st.query_params.get(wv.CODE_PARAM, ""))
if not code:
    ask_for_code()
session = workshop.get_session(db, code)
if session is None:
    ask_for_code(
        f"There is no workshop with the code {code}. Check the code on the screen and try again."
    )

st.title(wv.plain(session.title))
st.markdown(
    f"Workshop **{code}**. Your answers are anonymous: nobody sees them one by one, "
    "the screen shows totals only."
)

token = wv.remembered_token(code)
if token and not workshop.is_participant(db, code, token):
    wv.forget_token(code)
    token = None
if token is None:
    if not session.is_open:
        st.warning(
            "This workshop is closed: answers can no longer be given or changed.",
            icon=":material/lock:",
        )
        st.stop()
    try:
        token = workshop.join(db, code)
    except WorkshopError as exc:
        st.error(wv.sentence(exc), icon=":material/error:")
        st.stop()
    wv.remember_token(code, token)
elif st.query_params.get(wv.TOKEN_PARAM) != token:
    wv.remember_token(code, token)  # back in the URL, so that a reload keeps it

labels = wv.answer_labels(session, level_labels(db))
editing_key = f"workshop_editing_{code}"
votes_key = f"workshop_votes_{code}"
vote_note_key = f"workshop_vote_note_{code}"


def start_editing() -> None:
    st.session_state[editing_key] = True


def answer_form() -> None:
    answers = workshop.my_answers(db, code, token)
    editing = st.session_state.get(editing_key, False) or not answers
    if answers and not editing:
        st.success("Thank you, your answers are in.", icon=":material/check_circle:")
        st.markdown(f"You answered {len(answers)} of {len(session.items)} questions.")
        if session.is_open:
            st.button(
                "Change my answers",
                on_click=start_editing,
                width="stretch",
                icon=":material/edit:",
                key="change_answers",
            )
        return
    if not session.is_open:
        return
    st.markdown(wv.plain(wv.instructions(session, labels)))
    options = list(labels)
    keys = {item["code"]: f"answer_{code}_{item['code']}" for item in session.items}
    with st.form(f"answers_{code}", border=False):
        group = None
        for position, item in enumerate(session.items):
            if item.get("group") and item["group"] != group:
                group = item["group"]
                st.subheader(wv.plain(group))
            previous = answers.get(item["code"])
            st.radio(
                wv.plain(f"{position + 1} · {item['text']}"),
                options,
                index=options.index(previous) if previous in options else None,
                format_func=labels.get,
                horizontal=True,
                key=keys[item["code"]],
            )
        sent = st.form_submit_button(
            "Send my answers", type="primary", width="stretch", icon=":material/send:"
        )
    if not sent:
        return
    chosen = {item: st.session_state.get(key) for item, key in keys.items()}
    if all(value is None for value in chosen.values()):
        st.warning("Choose at least one answer, then send.")
        return
    try:
        workshop.submit_answers(db, code, token, chosen)
    except WorkshopError as exc:
        st.error(wv.sentence(exc), icon=":material/error:")
        return
    st.session_state[editing_key] = False
    st.rerun()


def idea_form() -> None:
    if not session.is_open:
        return
    with st.form(f"idea_{code}", clear_on_submit=True):
        text = st.text_area(
            "Your idea for a change to try",
            max_chars=MAX_IDEA_LENGTH,
            placeholder="e.g. A 10-minute huddle at 9am to plan discharges",
            key=f"idea_text_{code}",
        )
        posted = st.form_submit_button(
            "Post my idea", type="primary", width="stretch", icon=":material/add_comment:"
        )
    if posted:
        try:
            workshop.post_idea(db, code, token, text or "")
        except WorkshopError as exc:
            st.error(wv.sentence(exc), icon=":material/error:")
        else:
            st.success("Thank you, your idea is on the board.", icon=":material/check_circle:")


def vote(idea_id: int) -> None:
    mine: set[int] = st.session_state.setdefault(votes_key, set())
    try:
        stands = workshop.toggle_vote(db, code, token, idea_id)
    except WorkshopError as exc:
        st.session_state[vote_note_key] = wv.sentence(exc)
        return
    if stands:
        mine.add(idea_id)
        st.session_state[vote_note_key] = "Your vote is in."
    else:
        mine.discard(idea_id)
        st.session_state[vote_note_key] = "Your vote was taken back."


@st.fragment(run_every=wv.PARTICIPANT_REFRESH_SECONDS)
def live_part() -> None:
    """Follows the facilitator: new ideas, shared results, and closing."""
    now = workshop.get_session(db, code)
    if now is None:
        return
    if now.status != session.status:
        st.rerun(scope="app")
    if not now.is_open:
        st.info(
            "This workshop is closed: answers can no longer be given or changed.",
            icon=":material/lock:",
        )
    if now.activity == "ideas":
        ideas = wv.sorted_ideas(workshop.results(db, code), by_votes=now.show_results)
        st.subheader("Ideas on the board")
        if ideas.empty:
            st.info("No ideas yet: post the first one.")
        elif now.is_open:
            st.caption("Tap Vote for each idea you would back; tap again to take it back.")
        if note := st.session_state.pop(vote_note_key, None):
            st.toast(note, icon=":material/how_to_vote:")
        mine: set[int] = st.session_state.get(votes_key, set())
        for idea in ideas.itertuples():
            with st.container(border=True):
                st.text(idea.text)
                row = st.container(horizontal=True, vertical_alignment="center")
                if now.show_results:
                    row.markdown(f"**{int(idea.votes)}** vote{'s' if idea.votes != 1 else ''}")
                if now.is_open:
                    voted = idea.idea_id in mine
                    row.button(
                        "Voted (tap to take back)" if voted else "Vote",
                        key=f"vote_{idea.idea_id}",
                        on_click=vote,
                        args=(int(idea.idea_id),),
                        type="primary" if voted else "secondary",
                        icon=":material/check:" if voted else ":material/thumb_up:",
                    )
        return
    if now.show_results:
        st.subheader("Results so far")
        st.caption("Shared by the facilitator: totals for the whole room.")
        wv.draw_results(now, workshop.results(db, code), labels, key="shared", table=False)


if session.activity == "ideas":
    idea_form()
else:
    answer_form()
live_part()
