"""Join a workshop: a participant's phone. Type the code (or open the link), answer, done.

No account: joining gives a token, kept in the URL (a reload keeps it) and in the browser
session; it is the only key to this person's answers. The browser's device id (kept in its
localStorage) is tied to that ballot, so opening the join link again from the same browser
finds the same ballot. Nobody's own answers are ever shown to anyone else; totals only when
the facilitator shares them, and only once enough people have answered.
"""

from __future__ import annotations

import streamlit as st

from impact_data import workshop
from impact_data.measures.readiness import level_labels
from impact_data.workshop import MAX_IDEA_LENGTH, MAX_VOTES_PER_PARTICIPANT, WorkshopError
from ui import workshop_view as wv
from ui.navigation import leave_pages_folder_mode
from ui.safe import md
from ui.state import database

leave_pages_folder_mode()  # a deep link opened before anyone opened / (ui.navigation)

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

st.title(md(session.title))
st.markdown(
    f"Workshop **{code}**. Your answers are anonymous: nobody sees them one by one, "
    "the screen shows totals only."
)

device = wv.device_id()  # None until the browser has sent it (and where no JavaScript runs)
token = wv.remembered_token(code)
if token and not workshop.is_participant(db, code, token):
    wv.forget_token(code)
    token = None
no_device_key = f"workshop_no_device_{code}"
if token is None and device is None and wv.in_browser() and not st.session_state.get(no_device_key):
    # The browser sends its device id a moment after the page first draws (which reruns this
    # script): wait for it rather than open a ballot that the device id would then orphan.
    st.info("Joining…", icon=":material/hourglass_top:")
    st.button(
        "Join now",
        key="join_without_device",
        on_click=lambda: st.session_state.update({no_device_key: True}),
        help="If this page stays on 'Joining…' (this browser does not let the page keep its "
        "device id), join anyway.",
    )
    st.stop()
if token is None:
    if not session.is_open and device is None:
        st.warning(
            "This workshop is closed: answers can no longer be given or changed.",
            icon=":material/lock:",
        )
        st.stop()
    try:
        token = workshop.join(db, code, device)
    except WorkshopError as exc:
        st.error(wv.sentence(exc), icon=":material/error:")
        st.stop()
    wv.remember_token(code, token)
elif device is not None:
    # This browser's earlier ballot, if it has one, rather than a second ballot.
    claimed = workshop.claim_device(db, code, token, device)
    if claimed != token:
        token = claimed
        wv.remember_token(code, token)
if st.query_params.get(wv.TOKEN_PARAM) != token:
    wv.remember_token(code, token)  # back in the URL, so that a reload keeps it

labels = wv.answer_labels(session, level_labels(db))
editing_key = f"workshop_editing_{code}"
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
    st.markdown(md(wv.instructions(session, labels)))
    options = list(labels)
    keys = {item["code"]: f"answer_{code}_{item['code']}" for item in session.items}
    with st.form(f"answers_{code}", border=False):
        group = None
        for position, item in enumerate(session.items):
            if item.get("group") and item["group"] != group:
                group = item["group"]
                st.subheader(md(group))
            previous = answers.get(item["code"])
            st.radio(
                md(f"{position + 1} · {item['text']}"),
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
    try:
        stands = workshop.toggle_vote(db, code, token, idea_id)
    except WorkshopError as exc:
        st.session_state[vote_note_key] = wv.sentence(exc)
        return
    st.session_state[vote_note_key] = "Your vote is in." if stands else "Your vote was taken back."


def ideas_part(now: workshop.Session) -> None:
    """The board a page at a time (a phone draws at most IDEAS_PER_PAGE ideas)."""
    page_key = f"workshop_ideas_page_{code}"
    page = st.session_state.get(page_key, 0)
    ideas = workshop.ideas_board(
        db, code, token, offset=page * wv.IDEAS_PER_PAGE, limit=wv.IDEAS_PER_PAGE
    )
    total = ideas.attrs.get("total", 0)
    st.subheader("Ideas on the board")
    if total == 0:
        st.info("No ideas yet: post the first one.")
        return
    if now.is_open:
        st.caption(
            f"Tap Vote for each idea you would back (up to {MAX_VOTES_PER_PARTICIPANT}); "
            "tap again to take it back."
        )
    if note := st.session_state.pop(vote_note_key, None):
        st.toast(md(note), icon=":material/how_to_vote:")
    for idea in ideas.itertuples():
        with st.container(border=True):
            st.text(idea.text)
            row = st.container(horizontal=True, vertical_alignment="center")
            if ideas.attrs.get("votes_shown"):
                row.markdown(f"**{int(idea.votes)}** vote{'s' if idea.votes != 1 else ''}")
            if now.is_open:
                row.button(
                    "Voted (tap to take back)" if idea.mine else "Vote",
                    key=f"vote_{idea.idea_id}",
                    on_click=vote,
                    args=(int(idea.idea_id),),
                    type="primary" if idea.mine else "secondary",
                    icon=":material/check:" if idea.mine else ":material/thumb_up:",
                )
    pages = -(-total // wv.IDEAS_PER_PAGE)
    if pages > 1:
        nav = st.container(horizontal=True, vertical_alignment="center")
        nav.button(
            "Previous ideas",
            key="ideas_prev",
            disabled=page == 0,
            on_click=lambda: st.session_state.update({page_key: max(page - 1, 0)}),
        )
        nav.markdown(f"Page {page + 1} of {pages}")
        nav.button(
            "More ideas",
            key="ideas_next",
            disabled=page >= pages - 1,
            on_click=lambda: st.session_state.update({page_key: min(page + 1, pages - 1)}),
        )


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
        ideas_part(now)
        return
    if now.show_results:
        st.subheader("Results so far")
        st.caption("Shared by the facilitator: totals for the whole room.")
        shared = workshop.shared_results(db, code, token)
        wv.draw_results(now, shared, labels, key="shared", table=False)


if session.activity == "ideas":
    idea_form()
else:
    answer_form()
live_part()
