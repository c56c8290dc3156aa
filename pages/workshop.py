"""Workshop: run a live session. Open it, show the join code, link and QR code, watch the room
answer in real time, put the results on the projector, close it, and save a readiness check
as a readiness round."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st
from streamlit.errors import StreamlitAPIException

from impact_data import workshop
from impact_data.access import AccessDenied
from impact_data.ingest import UploadRefused
from impact_data.measures import queries, readiness
from impact_data.measures.culture import current_version
from impact_data.views.wording import local_time
from impact_data.workshop import ACTIVITIES, WorkshopError
from ui import workshop_view as wv
from ui.charts import workshop as charts
from ui.navigation import leave_pages_folder_mode
from ui.safe import md, plain_text
from ui.state import database, query, viewer

leave_pages_folder_mode()  # a deep link opened before anyone opened / (ui.navigation)

db = database()
who = viewer()


def open_session(code: str | None) -> None:
    st.query_params.pop(wv.PRESENT_PARAM, None)
    if code:
        st.query_params[wv.SESSION_PARAM] = code
    else:
        st.query_params.pop(wv.SESSION_PARAM, None)
    st.session_state["workshop_slide"] = 0


# --- opening a session ------------------------------------------------------------------------


def new_session_form() -> None:
    activity = st.radio(
        "What will the room do?", list(ACTIVITIES), format_func=ACTIVITIES.get, key="ws_activity"
    )
    title = st.text_input(
        "Title participants will see",
        max_chars=300,
        placeholder="e.g. Ward 7: are we ready for the discharge pilot?",
        key="ws_title",
    )
    instrument_code, question_codes = None, None
    if activity == "readiness":
        instruments = query(readiness.instruments).drop_duplicates("code")
        names = dict(zip(instruments["code"], instruments["name"], strict=True))
        instrument_code = st.selectbox(
            "Readiness instrument",
            list(names),
            format_func=lambda c: f"{names[c]} ({c})",
            key="ws_instrument",
        )
    elif activity == "culture_pulse":
        questions = current_version(db).definition.question_frame()
        texts = dict(zip(questions["question_code"], questions["question_text"], strict=False))
        question_codes = st.multiselect(
            "Questions of the culture measure (a few: each one is a question on every phone)",
            list(texts),
            default=list(texts)[:3],
            format_func=lambda c: f"{c}: {texts[c]}",
            key="ws_questions",
        )
    lo, hi = workshop.MIN_ANSWERS_RANGE
    min_answers = st.number_input(
        "Show results once at least this many people have answered",
        min_value=lo,
        max_value=hi,
        value=workshop.DEFAULT_MIN_ANSWERS,
        step=1,
        key="ws_min_answers",
        help="Until then the screen shows only how many have joined and answered, so that "
        "nobody's own answers can be read off the totals.",
    )
    if st.button(
        "Open the workshop", type="primary", icon=":material/play_arrow:", key="ws_create"
    ):
        try:
            created = workshop.create_session(
                db,
                who,
                activity,
                title or "",
                instrument_code=instrument_code,
                question_codes=question_codes,
                min_answers=int(min_answers),
            )
        except (WorkshopError, AccessDenied) as exc:
            st.error(wv.sentence(exc), icon=":material/error:")
        else:
            open_session(created.code)
            st.rerun()


def previous_sessions() -> None:
    st.subheader("Previous workshops")
    frame = workshop.sessions(db, who)
    if frame.empty:
        st.caption("None yet.")
        return
    frame["activity"] = frame["activity"].map(lambda a: ACTIVITIES.get(a, a).split(" (")[0])
    frame["created_at"] = frame["created_at"].map(local_time)
    st.dataframe(
        frame,
        hide_index=True,
        width="stretch",
        column_config={
            "code": "Code",
            "title": st.column_config.TextColumn("Title", width="large"),
            "activity": "Activity",
            "status": "Status",
            "created_by": "Opened by",
            "created_at": st.column_config.TextColumn("Opened (UK time)"),
            "joined": st.column_config.NumberColumn("Joined", format="%d"),
            "answered": st.column_config.NumberColumn("Answered", format="%d"),
        },
        key="ws_previous",
    )
    row = st.container(horizontal=True, vertical_alignment="bottom")
    titles = dict(zip(frame["code"], frame["title"], strict=True))
    chosen = row.selectbox(
        "Open a previous workshop",
        list(titles),
        format_func=lambda c: f"{c}: {titles[c]}",
        key="ws_pick",
    )
    if row.button("Open", key="ws_open", icon=":material/open_in_new:"):
        open_session(chosen)
        st.rerun()


# --- a session --------------------------------------------------------------------------------


def join_panel(session: workshop.Session, url: str) -> None:
    with st.container(border=True):
        left, right = st.columns([3, 1], vertical_alignment="center")
        with left:
            st.markdown("**Join code**")
            wv.show_code(session.code)
            st.markdown("Join on a phone with this link (or scan the QR code):")
            st.code(url, language=None, wrap_lines=True)
            if wv.is_loopback(url):
                st.warning(
                    "This link only works on this computer. Open the app by its network "
                    f"address, or set {wv.PUBLIC_URL_ENV} to the address phones can reach.",
                    icon=":material/wifi_off:",
                )
        right.image(
            wv.qr_png(url),
            width="stretch",
            caption="Scan to join",
            alt=plain_text(f"QR code that opens the join link {url}"),
        )


def screen_memo() -> dict:
    """What this browser's live screens drew last (`wv.refresh` keeps one per session)."""
    return st.session_state.setdefault("workshop_screens", {})


@st.fragment(run_every=wv.LIVE_REFRESH_SECONDS)
def live_view(code: str, labels: dict[int, str]) -> None:
    """Counts and results, read fresh every half second without anyone touching anything; a
    refresh that finds nothing new rebuilds nothing (`wv.live_panel`)."""
    wv.live_panel(db, who, code, labels, screen_memo())


def controls(session: workshop.Session) -> None:
    row = st.container(horizontal=True, vertical_alignment="center")
    if session.is_open:
        if row.button("Close the workshop", icon=":material/lock:", key="ws_close"):
            workshop.set_status(db, who, session.code, "closed")
            st.rerun()
    elif row.button("Reopen the workshop", icon=":material/lock_open:", key="ws_reopen"):
        workshop.set_status(db, who, session.code, "open")
        st.rerun()
    if row.button("Present on the big screen", icon=":material/slideshow:", key="ws_present"):
        st.query_params[wv.PRESENT_PARAM] = "1"
        st.session_state["workshop_slide"] = 0
        st.rerun()
    key = f"ws_share_{session.code}"
    st.toggle(
        "Share the totals on participants' phones",
        value=session.show_results,
        key=key,
        on_change=lambda: workshop.set_show_results(db, who, session.code, st.session_state[key]),
        help="Participants then see the same aggregated results as this screen, "
        "never anyone's own answers.",
    )
    lo, hi = workshop.MIN_ANSWERS_RANGE
    min_key = f"ws_min_{session.code}"
    st.number_input(
        "Show results once at least this many people have answered",
        min_value=lo,
        max_value=hi,
        value=session.min_answers,
        step=1,
        key=min_key,
        on_change=lambda: workshop.set_min_answers(
            db, who, session.code, int(st.session_state[min_key])
        ),
    )


def readiness_link() -> None:
    try:
        st.page_link(
            "pages/readiness.py", label="See it on the Readiness page", icon=":material/insights:"
        )
    except StreamlitAPIException:
        st.caption("Open the Readiness page from the menu to see it.")


def save_panel(session: workshop.Session) -> None:
    with st.expander(
        "Save as a readiness round", expanded=not session.is_open, icon=":material/save:"
    ):
        if session.saved_upload_id is not None:
            st.success(
                f"Saved as readiness upload {session.saved_upload_id}.",
                icon=":material/check_circle:",
            )
            readiness_link()
            return
        orgs = query(queries.organisations)
        if who.role == "facilitator" and who.org_codes:
            orgs = orgs[orgs["org_code"].isin(who.org_codes)]
        if orgs.empty:
            st.info("Add organisations first (Upload page, kind 'organisations').")
            return
        names = dict(zip(orgs["org_code"], orgs["org_name"], strict=True))
        c1, c2 = st.columns(2)
        org_code = c1.selectbox(
            "Organisation", list(names), format_func=lambda c: f"{names[c]} ({c})", key="ws_org"
        )
        assessment_date = c2.date_input(
            "Date of the check", dt.date.today(), key="ws_date", format="DD/MM/YYYY"
        )
        team = c1.text_input("Team (optional)", key="ws_team", max_chars=200)
        programme = c2.text_input("Programme (optional)", key="ws_programme", max_chars=200)
        if session.is_open:
            st.caption("Close the workshop first, so that no answers arrive after saving.")
        if st.button(
            "Save as a readiness round",
            type="primary",
            disabled=session.is_open,
            key="ws_save",
            icon=":material/save:",
        ):
            try:
                prepared, result = workshop.save_as_readiness_round(
                    db,
                    who,
                    session.code,
                    org_code=org_code,
                    team=team.strip() or None,
                    programme=programme.strip() or None,
                    assessment_date=assessment_date,
                )
            except (WorkshopError, AccessDenied, UploadRefused) as exc:
                st.error(wv.sentence(exc), icon=":material/error:")
                return
            if result is None:
                st.error(
                    "The answers could not be saved as a readiness round:", icon=":material/error:"
                )
                st.dataframe(
                    pd.DataFrame({"Problem": [str(p) for p in prepared.problems]}),
                    hide_index=True,
                    width="stretch",
                )
                return
            people = result.row_counts.get("readiness_responses", 0)
            st.success(
                f"Saved: {people} people's answers are readiness upload {result.upload_id}.",
                icon=":material/check_circle:",
            )
            readiness_link()


def session_view(session: workshop.Session, labels: dict[int, str]) -> None:
    url = wv.current_join_url(session.code)
    state = "open: people can join and answer" if session.is_open else "closed: no more answers"
    st.subheader(md(session.title))
    st.markdown(
        f"{md(ACTIVITIES[session.activity].split(' (')[0])} · code **{session.code}** · {state}"
    )
    controls(session)
    join_panel(session, url)
    live_view(session.code, labels)
    if session.activity == "readiness":
        save_panel(session)


# --- presentation mode ------------------------------------------------------------------------


def slides(session: workshop.Session) -> list[str]:
    """The deck: how to join, one slide per question, then every question a few at a time."""
    if session.activity == "ideas":
        return ["join", "ideas"]
    pages = wv.all_pages(len(session.items))
    return ["join", *[item["code"] for item in session.items], *[f"all:{p}" for p in pages]]


def move(step: int, total: int) -> None:
    st.session_state["workshop_slide"] = (st.session_state.get("workshop_slide", 0) + step) % total


def present_chart(
    screen: wv.Screen, name: str, build, alt_text: str, *, stretch: bool = True
) -> None:
    """A chart on the screen's stage, as tall as the stage (`stretch`) or as its own spec says
    (built once per change of the data)."""
    spec = screen.figure(name, lambda: build().to_dict(validate=False))
    with st.container(key="ws-stage"):
        st.vega_lite_chart(
            spec=spec,
            width="stretch",
            height="stretch" if stretch else "content",
            key=name,
            alt=plain_text(alt_text),
        )


@st.fragment(run_every=wv.LIVE_REFRESH_SECONDS)
def presentation(code: str, url: str, labels: dict[int, str]) -> None:
    """One slide at a time for the projector, with the join code always on screen; sized to
    the screen (1280x720 to 1920x1080) so nothing scrolls. A refresh that finds nothing new
    rebuilds no chart (`wv.refresh`)."""
    screen = wv.refresh(db, who, code, screen_memo())
    if screen is None:
        return
    live, session = screen.live, screen.live.session
    deck = slides(session)
    current = st.session_state.get("workshop_slide", 0) % len(deck)
    slide = deck[current]
    levels = session.activity == "impact_rating"
    answered = "Answered" if session.activity != "ideas" else "Posted or voted"
    if slide == "join":
        st.markdown(f"# {md(session.title)}")
        left, right = st.columns([3, 2], vertical_alignment="center")
        with left:
            st.markdown("Join at")
            wv.show_link(url)
            st.markdown("with the code")
            wv.show_code(code, "ws-code-huge")
            counts = st.container(horizontal=True, key="ws-counts")
            counts.metric("Joined", live.joined)
            counts.metric(answered, live.answered)
        with right, st.container(key="ws-qr"):
            st.image(
                wv.qr_png(url, scale=14),
                width="stretch",
                alt=plain_text(f"QR code that opens {url}"),
            )
    else:
        top = st.columns([2, 1, 1], vertical_alignment="center")
        with top[0]:
            wv.show_code(code, "ws-code-big")
            wv.show_link(f"Join at {url}", small=True)
        top[1].metric("Joined", live.joined)
        top[2].metric(answered, live.answered)
        results = live.results
        waiting = wv.waiting_note(results)
        if slide != "ideas":
            results = wv.shown_items(results)
        if waiting:
            st.markdown(md(waiting))
        elif slide == "ideas":
            if results.empty:
                st.markdown("No ideas posted yet.")
            else:
                present_chart(
                    screen,
                    "present-ideas",
                    lambda: charts.ideas_ranked(results, top=8, big=True, fit=True),
                    charts.ideas_summary(results),
                )
        elif slide.startswith("all:"):
            page = int(slide.split(":")[1])
            part = wv.all_page(results, session, page)
            pages = len(wv.all_pages(len(session.items)))
            title = "Answers to each question" + (f" ({page + 1} of {pages})" if pages > 1 else "")
            if part.empty:
                st.markdown(
                    f"Fewer than {session.min_answers} people answered these questions: their "
                    "answers are not shown."
                )
            else:
                present_chart(
                    screen,
                    f"present-{slide}",
                    lambda: charts.answer_distribution(
                        part, labels, title=title, levels=levels, big=True, fit=True
                    ),
                    " ".join(charts.distribution_summary(part, labels)),
                )
        elif slide not in set(results["item_code"]):
            st.markdown(
                f"Fewer than {session.min_answers} people answered this question: its answers "
                "are not shown."
            )
        else:
            present_chart(
                screen,
                f"present-{slide}",
                lambda: charts.item_answers(
                    results, slide, labels, levels=levels, big=True, fit=True
                ),
                " ".join(
                    charts.distribution_summary(results[results["item_code"] == slide], labels)
                ),
                stretch=False,
            )
    nav = st.container(
        horizontal=True,
        vertical_alignment="center",
        horizontal_alignment="center",
        key="ws-nav",
    )
    nav.button(
        "Previous", on_click=move, args=(-1, len(deck)), icon=":material/arrow_back:", key="ws_prev"
    )
    nav.markdown(f"{current + 1} of {len(deck)}")
    nav.button(
        "Next",
        on_click=move,
        args=(1, len(deck)),
        icon=":material/arrow_forward:",
        key="ws_next",
        type="primary",
    )
    if nav.button("Leave presentation", type="tertiary", icon=":material/close:", key="ws_leave"):
        st.query_params.pop(wv.PRESENT_PARAM, None)
        st.rerun(scope="app")


# --- the page ---------------------------------------------------------------------------------

if who.role not in workshop.CAN_FACILITATE:
    st.title("Workshop")
    st.info(
        "Only facilitators and admins can run workshops. Ask an admin for the facilitator role."
    )
    st.stop()

code = st.query_params.get(wv.SESSION_PARAM)
try:
    session = workshop.facilitated_session(db, who, code) if code else None
except AccessDenied as exc:
    st.title("Workshop")
    st.warning(wv.sentence(exc), icon=":material/lock:")
    st.stop()
labels = wv.answer_labels(session, readiness.level_labels(db)) if session else {}

if session is not None and wv.is_presentation_view():
    st.html(wv.PRESENTATION_CSS)
    presentation(session.code, wv.current_join_url(session.code), labels)
    st.stop()

st.html(wv.FACILITATOR_CSS)
st.title("Workshop")
st.markdown(
    "Run a live session: people join on their phones with a code, no account needed, and the "
    "results update here within seconds. Nobody's own answers are shown, only totals."
)
if code and session is None:
    st.warning(f"There is no workshop with the code {md(code)}.", icon=":material/error:")

if session is None:
    with st.container(border=True):
        st.subheader("Open a workshop")
        new_session_form()
else:
    session_view(session, labels)
    with st.expander("Open another workshop", icon=":material/add:"):
        new_session_form()
previous_sessions()
