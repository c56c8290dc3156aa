"""Shared pieces of the workshop screens: which view the URL asks for, the join link and its
QR code, the participant's token, answer labels, the results, and the phone and projector
styles.

URL contract (the join page is registered with `url_path="join"`):
- participants: `/join?code=ABC234`, and once joined `/join?code=ABC234&p=<token>`;
- facilitators: `/workshop?session=ABC234`, and on the projector `...&present=1`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import math
import os
import threading
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit

import pandas as pd
import segno
import streamlit as st

from impact_data.views.readiness import answer_label
from impact_data.workshop import Live, Session
from impact_data.workshop import live as workshop_live
from ui.charts import workshop as charts
from ui.safe import html_text, md, plain_text

JOIN_PATH = "join"
WORKSHOP_PATH = "workshop"
CODE_PARAM = "code"
TOKEN_PARAM = "p"
SESSION_PARAM = "session"
PRESENT_PARAM = "present"
PUBLIC_URL_ENV = "IMPACT_PUBLIC_URL"
# The facilitator's screen and the projector: a refresh that finds nothing new reads two small
# queries and rebuilds no figure (`refresh`), so it can run often (issue 20: answers on screen
# within a second: a submit, at most one period's wait, then one refresh, so the slowest answer
# appears within 1.5 s even on a busy server; measured by benchmarks/workshop_load.py).
LIVE_REFRESH_SECONDS = 0.5
PARTICIPANT_REFRESH_SECONDS = 5
LOOPBACK_HOSTS = {"localhost", "127.0.0.1", "::1", "0.0.0.0"}
IDEAS_PER_PAGE = 20
DEVICE_KEY = "impact-workshop-device"

# The browser's device id: made once per browser (random, 128 bits) and kept in its
# localStorage, so that joining again from this browser finds its own ballot. getRandomValues,
# not randomUUID: phones often open the app over plain http on the local network.
DEVICE_JS = f"""
export default function (component) {{
  const {{ setStateValue }} = component;
  let id = null;
  try {{ id = window.localStorage.getItem("{DEVICE_KEY}"); }} catch (e) {{}}
  if (!id) {{
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    id = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    try {{ window.localStorage.setItem("{DEVICE_KEY}", id); }} catch (e) {{}}
  }}
  setStateValue("device", id);
}}
"""
_device_component = None

# Participants' phones: no menu, big touch targets, type large enough that phones do not zoom.
# The page starts below Streamlit's header (3.75rem), so the title is never under it, and long
# words wrap, so nothing is wider than a 360 px screen.
PHONE_CSS = """
<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"],
[data-testid="stSidebarNav"], [data-testid="stExpandSidebarButton"] { display: none !important; }
[data-testid="stMainBlockContainer"] {
  max-width: 44rem; padding: 4.5rem 1rem 4rem 1rem; overflow-wrap: anywhere;
}
[data-testid="stMainBlockContainer"] h1 {
  font-size: clamp(1.6rem, 7vw, 2.4rem); line-height: 1.2; padding-top: 0;
}
[data-testid="stMainBlockContainer"] h3 { font-size: clamp(1.3rem, 5.5vw, 1.6rem); }
[data-testid="stMarkdownContainer"] p, [data-testid="stText"] { font-size: 1.1rem; }
[data-testid="stRadioGroup"] { gap: 0.5rem; }
[data-testid="stRadioOption"] {
  min-height: 48px; padding: 0.55rem 0.9rem; margin: 0 0.4rem 0.4rem 0; max-width: 100%;
  border: 2px solid #425563; border-radius: 10px; background: #FFFFFF; color: #000000;
  align-items: center; cursor: pointer;
}
[data-testid="stRadioOption"] p { font-size: 1.1rem; }
[data-testid="stRadioOption"]:has(input:checked) {
  border-color: #005EB8; background: #E8F1FA; outline: 3px solid #005EB8;
}
.stButton button, .stFormSubmitButton button {
  min-height: 52px; font-size: 1.15rem; padding: 0.5rem 1.2rem; max-width: 100%;
}
input, textarea { font-size: 1.2rem !important; }
</style>
"""

# The projector: no menu or toolbar, black on white, type sized to the screen's height (vh), so
# one slide fits 1280x720 and 1920x1080 alike without scrolling and reads from the back of a
# room. The chart's stage takes the height that the code, counts and buttons leave.
PRESENTATION_CSS = """
<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"],
[data-testid="stSidebarNav"], [data-testid="stExpandSidebarButton"], [data-testid="stHeader"],
[data-testid="stToolbar"], [data-testid="stDecoration"] { display: none !important; }
[data-testid="stAppViewContainer"], [data-testid="stMain"] { background: #FFFFFF; color: #000000; }
[data-testid="stMainBlockContainer"] {
  max-width: 100%; padding: 2vh 2.5rem 1vh 2.5rem; overflow-wrap: anywhere;
}
[data-testid="stMainBlockContainer"] [data-testid="stVerticalBlock"] { gap: 1.2vh; }
[data-testid="stMarkdownContainer"] p { font-size: 3.6vh; line-height: 1.25; color: #000000; }
[data-testid="stMarkdownContainer"] h1, [data-testid="stHeading"] h1 {
  font-size: 6.4vh; line-height: 1.2; color: #000000; padding: 0; max-height: 2.45em;
  overflow: hidden;
}
[data-testid="stMetricLabel"] p { font-size: 3.2vh !important; color: #000000; }
[data-testid="stMetricValue"], [data-testid="stMetricValue"] p {
  font-size: 8vh !important; line-height: 1.05; font-weight: 700; color: #000000;
}
.st-key-ws-counts { gap: 4vw; }
.st-key-ws-qr img { height: 50vh !important; width: auto !important; max-width: 100%; }
.st-key-ws-stage { height: 66vh !important; min-height: 0; flex: 0 0 auto; }
.st-key-ws-nav { gap: 1.5vw; }
.st-key-ws-nav .stButton button { min-height: 7vh; padding: 0.3vh 2vw; }
.st-key-ws-nav .stButton button p, .st-key-ws-nav [data-testid="stMarkdownContainer"] p {
  font-size: 3.4vh;
}
.ws-code { font-family: ui-monospace, Menlo, Consolas, monospace; font-weight: 800;
  letter-spacing: 0.12em; color: #000000; line-height: 1; }
.ws-code-huge { font-size: 17vh; }
.ws-code-big { font-size: 9vh; }
.ws-link { font-size: 3.4vh; color: #000000; word-break: break-all; }
.ws-link-small { font-size: 2.6vh; }
</style>
"""

FACILITATOR_CSS = """
<style>
.ws-code { font-family: ui-monospace, Menlo, Consolas, monospace; font-weight: 800;
  letter-spacing: 0.12em; color: #000000; font-size: 3.6rem; line-height: 1.1; }
</style>
"""


# --- which view -------------------------------------------------------------------------------


def _path_is(page: str) -> bool:
    try:
        url = st.context.url or ""
    except Exception:  # noqa: BLE001 - no browser context (scripts, AppTest): not that page
        return False
    return urlsplit(url).path.rstrip("/").endswith(f"/{page}")


def is_participant_view() -> bool:
    """True for a participant's phone (the join page, or any URL with ?code=): app.py shows it
    with no navigation, no sidebar notice and no sign-in."""
    return bool(st.query_params.get(CODE_PARAM)) or _path_is(JOIN_PATH)


def is_presentation_view() -> bool:
    """True when the facilitator page is on the projector (?present=1): no navigation."""
    return st.query_params.get(PRESENT_PARAM) == "1"


# --- the join link and QR code ----------------------------------------------------------------


def app_base_url(page_url: str | None) -> str:
    """The app's root URL from a page URL (the workshop page's own path removed)."""
    if not page_url:
        return ""
    parts = urlsplit(page_url)
    path = parts.path.rstrip("/")
    for page in (WORKSHOP_PATH, JOIN_PATH):
        if path.endswith(f"/{page}") or path == page:
            path = path[: -len(page)].rstrip("/")
            break
    return f"{parts.scheme}://{parts.netloc}{path}"


def is_loopback(url: str) -> bool:
    """True when a URL only works on this computer (a phone cannot open it)."""
    return (urlsplit(url).hostname or "") in LOOPBACK_HOSTS


def join_url(page_url: str | None, code: str, public_url: str | None = None) -> str:
    """The link participants open: the app's URL as the browser sees it, falling back to
    `public_url` (IMPACT_PUBLIC_URL) when there is none or it only works on this computer."""
    base = app_base_url(page_url)
    public = (public_url or "").strip().rstrip("/")
    if public and (not base or is_loopback(base)):
        base = public
    return f"{base}/{JOIN_PATH}?{urlencode({CODE_PARAM: code})}"


def current_join_url(code: str) -> str:
    """The join link for this session, from the facilitator's own browser URL."""
    try:
        page_url = st.context.url
    except Exception:  # noqa: BLE001 - no browser context (scripts, AppTest)
        page_url = None
    return join_url(page_url, code, os.environ.get(PUBLIC_URL_ENV))


def qr_png(url: str, *, scale: int = 10) -> bytes:
    """A QR code of `url` as PNG bytes, made here (nothing is fetched from the internet)."""
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="png", scale=scale, border=3, dark="#000000")
    return buffer.getvalue()


def show_code(code: str, size: str = "") -> None:
    """The join code in very large letters (the code's alphabet is letters and digits only)."""
    st.html(f'<div class="ws-code {size}" aria-label="Join code">{html_text(code)}</div>')


def show_link(url: str, *, small: bool = False) -> None:
    """The join link in large type for the projector."""
    size = " ws-link-small" if small else ""
    st.html(f'<div class="ws-link{size}">{html_text(url)}</div>')


# --- the participant's token ------------------------------------------------------------------


def _token_key(code: str) -> str:
    return f"workshop_token_{code}"


def remembered_token(code: str) -> str | None:
    """The participant's token for this session: from the URL (survives a reload) or the
    browser session."""
    return st.query_params.get(TOKEN_PARAM) or st.session_state.get(_token_key(code))


def remember_token(code: str, token: str) -> None:
    """Keep the token in the URL and in the browser session."""
    st.session_state[_token_key(code)] = token
    st.query_params[CODE_PARAM] = code
    st.query_params[TOKEN_PARAM] = token


def device_id() -> str | None:
    """This browser's device id (None on the very first run, before the browser has sent it,
    and where no JavaScript runs)."""
    global _device_component
    if _device_component is None:
        _device_component = st.components.v2.component("impact_workshop_device", js=DEVICE_JS)
    result = _device_component(key="workshop_device", on_device_change=lambda: None)
    device = getattr(result, "device", None)
    return str(device) if device else None


def in_browser() -> bool:
    """True when a browser runs this page (its JavaScript can send the device id); False for
    scripts and AppTest."""
    try:
        return bool(st.context.url)
    except Exception:  # noqa: BLE001 - no browser context
        return False


def forget_token(code: str) -> None:
    st.session_state.pop(_token_key(code), None)
    if TOKEN_PARAM in st.query_params:
        del st.query_params[TOKEN_PARAM]


# --- words ------------------------------------------------------------------------------------


def sentence(error: Exception) -> str:
    """A data-layer message as a sentence for the screen (capital letter, full stop)."""
    text = str(error).strip()
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


def answer_labels(session: Session, level_labels: list[str] | None = None) -> dict[int, str]:
    """Each answer value and its words: Likert words on 1-5, maturity levels for an NHS IMPACT
    rating, else the number with its end of the scale."""
    lo, hi = session.scale_min, session.scale_max
    if session.activity == "impact_rating" and level_labels and len(level_labels) == hi - lo + 1:
        return {v: str(level_labels[v - lo]) for v in range(lo, hi + 1)}
    return {v: answer_label(v, lo, hi) for v in range(lo, hi + 1)}


def instructions(session: Session, labels: dict[int, str]) -> str:
    """What a participant is asked to do, in one sentence."""
    if session.activity == "ideas":
        return "Post your ideas for a change to try, then vote for the ideas you would back."
    lo, hi = min(labels), max(labels)
    if session.activity == "impact_rating":
        return (
            f"Rate how far each part of improvement is in place here, from "
            f"{labels[lo]} (lowest) to {labels[hi]} (highest)."
        )
    return f"Choose one answer for each statement, from {labels[lo]} to {labels[hi]}."


# --- results ----------------------------------------------------------------------------------


def sorted_ideas(ideas: pd.DataFrame, *, by_votes: bool) -> pd.DataFrame:
    """Ideas by votes (when results are shown) or in the order posted (so the order gives
    nothing away)."""
    if ideas.empty:
        return ideas
    if by_votes and ideas["votes"].notna().all():
        return ideas.sort_values(["votes", "idea_id"], ascending=[False, True])
    return ideas.sort_values("idea_id")


def waiting_note(results: pd.DataFrame) -> str | None:
    """Why results are not shown yet (too few people), or None when they are."""
    if not results.attrs.get("hidden"):
        return None
    need, have = results.attrs.get("min_answers", 3), results.attrs.get("took_part", 0)
    return (
        f"Results appear once at least {need} people have answered ({have} so far), so that "
        "nobody's own answers can be read off the totals."
    )


def shown_items(results: pd.DataFrame) -> pd.DataFrame:
    """The questions with enough answers to show (each one's breakdown covers at least the
    session's minimum of people)."""
    if results.empty or "suppressed" not in results.columns:
        return results
    shown = results[~results["suppressed"].astype(bool)].copy()
    shown.attrs.update(results.attrs)
    return shown


@dataclass
class Figures:
    """Everything the results part of a workshop screen shows, built once per change: a note
    (too few people, no answers yet), a caption, the chart as a Vega-Lite spec (Altair builds
    and validates it here, once, not on every refresh), its text alternative and a table."""

    note: str | None = None
    icon: str | None = None
    caption: str | None = None
    spec: dict | None = None
    alt: str = ""
    sentences: list[str] = field(default_factory=list)
    table: pd.DataFrame | None = None
    columns: dict = field(default_factory=dict)


def results_figures(session: Session, results: pd.DataFrame, labels: dict[int, str]) -> Figures:
    """The figures of `draw_results` (aggregated results, never anyone's own answers). The
    Vega-Lite spec is not validated again here: the chart builders' tests validate every
    shape of chart, and a live screen rebuilds it whenever an answer arrives."""
    if session.activity == "ideas":
        if results.empty:
            return Figures(note="No ideas posted yet.")
        if note := waiting_note(results):
            return Figures(
                note=f"{len(results)} ideas posted. Votes: {note}",
                icon=":material/groups:",
                table=results[["text"]],
                columns={"text": st.column_config.TextColumn("Idea", width="large")},
            )
        summary = charts.ideas_summary(results)
        return Figures(
            spec=charts.ideas_ranked(results, top=IDEAS_PER_PAGE).to_dict(validate=False),
            alt=plain_text(summary),
            caption=md(summary),
            table=sorted_ideas(results, by_votes=True)[["text", "votes"]],
            columns={
                "text": st.column_config.TextColumn("Idea", width="large"),
                "votes": st.column_config.NumberColumn("Votes", format="%d"),
            },
        )
    if note := waiting_note(results):
        return Figures(note=note, icon=":material/groups:")
    hidden_items = int(results["suppressed"].sum()) if "suppressed" in results.columns else 0
    results = shown_items(results)
    caption = (
        f"{hidden_items} question{'s' if hidden_items != 1 else ''} with fewer than "
        f"{results.attrs.get('min_answers', 3)} answers not shown."
        if hidden_items
        else None
    )
    if results.empty or int(results["n"].sum()) == 0:
        return Figures(note="No answers yet.", caption=caption)
    sentences = [plain_text(s) for s in charts.distribution_summary(results, labels)]
    shown = results[["item_code", "text", "n", "mean"]].copy()
    for value, label in labels.items():
        shown[label] = results[f"answer_{value}"]
    return Figures(
        caption=caption,
        spec=charts.answer_distribution_spec(
            results, labels, levels=session.activity == "impact_rating"
        ),
        alt=" ".join(sentences),
        sentences=sentences,
        table=shown,
        columns={
            "item_code": "Item",
            "text": st.column_config.TextColumn("Question", width="large"),
            "n": st.column_config.NumberColumn("Answers", format="%d"),
            "mean": st.column_config.NumberColumn("Average", format="%.2f"),
        },
    )


def show_figures(session: Session, figures: Figures, *, key: str, table: bool = True) -> None:
    """Draw `results_figures` (the same elements each time for the same figures, so a
    refresh with nothing new changes nothing on screen)."""
    ideas = session.activity == "ideas"
    if figures.spec is None:
        if figures.caption:
            st.caption(figures.caption)
        if figures.note:
            st.info(figures.note, icon=figures.icon)
        if ideas and table and figures.table is not None:
            st.dataframe(
                figures.table,
                hide_index=True,
                width="stretch",
                column_config=figures.columns,
                key=f"{key}-table",
            )
        return
    if not ideas and figures.caption:
        st.caption(figures.caption)
    st.vega_lite_chart(spec=figures.spec, width="stretch", key=f"{key}-chart", alt=figures.alt)
    if ideas:
        if figures.caption:
            st.caption(figures.caption)
        if table and figures.table is not None:
            st.dataframe(
                figures.table,
                hide_index=True,
                width="stretch",
                column_config=figures.columns,
                key=f"{key}-table",
            )
        return
    with st.expander("The same results as text"):
        for sentence in figures.sentences:
            st.text(sentence)
        if table and figures.table is not None:
            st.dataframe(
                figures.table,
                hide_index=True,
                width="stretch",
                column_config=figures.columns,
                key=f"{key}-table",
            )


def draw_results(
    session: Session,
    results: pd.DataFrame,
    labels: dict[int, str],
    *,
    key: str,
    table: bool = True,
) -> None:
    """The aggregated results (never anyone's own answers) as a chart with a text alternative;
    nothing but a note while too few people have answered. Phones showing the same shared
    results share one build of them (`shared_figures`)."""
    show_figures(session, shared_figures(session, results, labels), key=key, table=table)


_FIGURES: dict[str, Figures] = {}
_FIGURES_KEPT = 64
_FIGURES_LOCK = threading.Lock()


def shared_figures(session: Session, results: pd.DataFrame, labels: dict[int, str]) -> Figures:
    """`results_figures`, built once per distinct results in this process: 80 phones
    refreshing the same shared totals build the chart once, not 80 times."""
    key = hashlib.sha256(
        repr(
            (session, sorted(labels.items()), results.to_json(), sorted(results.attrs.items()))
        ).encode("utf-8")
    ).hexdigest()
    figures = _FIGURES.get(key)
    if figures is None:
        figures = results_figures(session, results, labels)
        with _FIGURES_LOCK:
            while len(_FIGURES) >= _FIGURES_KEPT:
                _FIGURES.pop(next(iter(_FIGURES)))
            _FIGURES[key] = figures
    return figures


ALL_PER_SLIDE = 4  # questions per "all answers" slide: two-line labels fit a 720 px screen


def all_pages(items: int) -> list[int]:
    """The "answers to each question" slides, a few questions each (at least one slide)."""
    return list(range(max(1, math.ceil(items / ALL_PER_SLIDE))))


def all_page(results: pd.DataFrame, session: Session, page: int) -> pd.DataFrame:
    """The shown results of the questions on one "all answers" slide (questions in order,
    split as evenly as the slides allow)."""
    codes = [item["code"] for item in session.items]
    size = math.ceil(len(codes) / len(all_pages(len(codes)))) if codes else 1
    chosen = codes[page * size : (page + 1) * size]
    if results.empty:
        return results
    part = results[results["item_code"].isin(chosen)].copy()
    part.attrs.update(results.attrs)
    return part


# --- the facilitator's live screen --------------------------------------------------------------


@dataclass
class Screen:
    """What a live screen drew last: the data read (`workshop.live`), when it last changed,
    and the figures built from it (by name), rebuilt only when the data changed."""

    live: Live
    changed_at: dt.datetime
    built: dict = field(default_factory=dict)

    def figure(self, name: str, build):
        if name not in self.built:
            self.built[name] = build()
        return self.built[name]


def refresh(db, viewer, code: str, memo: dict) -> Screen | None:
    """Read the live data for a screen whose last drawing is kept in `memo` (the browser
    session's own dict): the same `Screen`, figures and all, when nothing changed."""
    before: Screen | None = memo.get(code)
    now = workshop_live(db, viewer, code, since=before.live if before else None)
    if now is None:
        return None
    if before is not None and now is before.live:
        return before
    memo[code] = Screen(now, dt.datetime.now())
    return memo[code]


def live_panel(db, viewer, code: str, labels: dict[int, str], memo: dict) -> Screen | None:
    """The facilitator's live view: how many joined and answered, then the results. Run by
    the page's fragment every LIVE_REFRESH_SECONDS (and by benchmarks/workshop_load.py)."""
    screen = refresh(db, viewer, code, memo)
    if screen is None:
        return None
    live, session = screen.live, screen.live.session
    c1, c2 = st.columns(2)
    c1.metric("Joined", live.joined, border=True)
    c2.metric(
        "Answered" if session.activity != "ideas" else "Posted or voted",
        live.answered,
        border=True,
    )
    figures = screen.figure("live", lambda: results_figures(session, live.results, labels))
    show_figures(session, figures, key="live")
    st.caption(
        f"Last change at {screen.changed_at:%H:%M:%S}; this view refreshes by itself "
        f"every {LIVE_REFRESH_SECONDS:g} seconds."
    )
    return screen
