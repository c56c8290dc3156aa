"""Shared pieces of the workshop screens: which view the URL asks for, the join link and its
QR code, the participant's token, answer labels, the results, and the phone and projector
styles.

URL contract (the join page is registered with `url_path="join"`):
- participants: `/join?code=ABC234`, and once joined `/join?code=ABC234&p=<token>`;
- facilitators: `/workshop?session=ABC234`, and on the projector `...&present=1`.
"""

from __future__ import annotations

import io
import os
from urllib.parse import urlencode, urlsplit

import pandas as pd
import segno
import streamlit as st

from impact_data.views.readiness import answer_label
from impact_data.workshop import Session
from ui.charts import workshop as charts
from ui.safe import html_text, md, plain_text

JOIN_PATH = "join"
WORKSHOP_PATH = "workshop"
CODE_PARAM = "code"
TOKEN_PARAM = "p"
SESSION_PARAM = "session"
PRESENT_PARAM = "present"
PUBLIC_URL_ENV = "IMPACT_PUBLIC_URL"
LIVE_REFRESH_SECONDS = 1.5
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
PHONE_CSS = """
<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"],
[data-testid="stSidebarNav"], [data-testid="stExpandSidebarButton"] { display: none !important; }
[data-testid="stMainBlockContainer"] { max-width: 44rem; padding: 1.2rem 1rem 4rem 1rem; }
[data-testid="stMarkdownContainer"] p, [data-testid="stText"] { font-size: 1.1rem; }
[data-testid="stRadioGroup"] { gap: 0.5rem; }
[data-testid="stRadioOption"] {
  min-height: 48px; padding: 0.55rem 0.9rem; margin: 0 0.4rem 0.4rem 0;
  border: 2px solid #425563; border-radius: 10px; background: #FFFFFF; color: #000000;
  align-items: center; cursor: pointer;
}
[data-testid="stRadioOption"] p { font-size: 1.1rem; }
[data-testid="stRadioOption"]:has(input:checked) {
  border-color: #005EB8; background: #E8F1FA; outline: 3px solid #005EB8;
}
.stButton button, .stFormSubmitButton button {
  min-height: 52px; font-size: 1.15rem; padding: 0.5rem 1.2rem;
}
input, textarea { font-size: 1.2rem !important; }
</style>
"""

# The projector: no menu or toolbar, black on white, very large type.
PRESENTATION_CSS = """
<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"],
[data-testid="stSidebarNav"], [data-testid="stExpandSidebarButton"], [data-testid="stHeader"],
[data-testid="stToolbar"], [data-testid="stDecoration"] { display: none !important; }
[data-testid="stAppViewContainer"], [data-testid="stMain"] { background: #FFFFFF; color: #000000; }
[data-testid="stMainBlockContainer"] { max-width: 100%; padding: 1rem 2.5rem 2rem 2.5rem; }
[data-testid="stMarkdownContainer"] p { font-size: 2rem; line-height: 1.3; color: #000000; }
[data-testid="stMarkdownContainer"] h1, [data-testid="stHeading"] h1 {
  font-size: 4rem; color: #000000;
}
[data-testid="stMarkdownContainer"] h2 { font-size: 2.8rem; color: #000000; }
[data-testid="stCaptionContainer"], [data-testid="stCaptionContainer"] p {
  font-size: 1.6rem; color: #000000;
}
[data-testid="stMetricLabel"] p { font-size: 2rem !important; color: #000000; }
[data-testid="stMetricValue"], [data-testid="stMetricValue"] p {
  font-size: 5rem !important; line-height: 1.1; font-weight: 700; color: #000000;
}
.stButton button { min-height: 4.5rem; font-size: 2rem; padding: 0.5rem 2rem; }
.stButton button p { font-size: 2rem; }
.ws-code { font-family: ui-monospace, Menlo, Consolas, monospace; font-weight: 800;
  letter-spacing: 0.12em; color: #000000; line-height: 1; }
.ws-code-huge { font-size: 11rem; }
.ws-code-big { font-size: 4.5rem; }
.ws-link { font-size: 2rem; color: #000000; word-break: break-all; }
.ws-link-small { font-size: 1.5rem; }
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


def draw_results(
    session: Session,
    results: pd.DataFrame,
    labels: dict[int, str],
    *,
    key: str,
    table: bool = True,
) -> None:
    """The aggregated results (never anyone's own answers) as a chart with a text alternative;
    nothing but a note while too few people have answered."""
    if session.activity == "ideas":
        if results.empty:
            st.info("No ideas posted yet.")
            return
        if note := waiting_note(results):
            st.info(f"{len(results)} ideas posted. Votes: {note}", icon=":material/groups:")
            if table:
                st.dataframe(
                    results[["text"]],
                    hide_index=True,
                    width="stretch",
                    column_config={"text": st.column_config.TextColumn("Idea", width="large")},
                    key=f"{key}-table",
                )
            return
        st.altair_chart(
            charts.ideas_ranked(results, top=IDEAS_PER_PAGE), width="stretch", key=f"{key}-chart"
        )
        st.caption(md(charts.ideas_summary(results)))
        if table:
            st.dataframe(
                sorted_ideas(results, by_votes=True)[["text", "votes"]],
                hide_index=True,
                width="stretch",
                column_config={
                    "text": st.column_config.TextColumn("Idea", width="large"),
                    "votes": st.column_config.NumberColumn("Votes", format="%d"),
                },
                key=f"{key}-table",
            )
        return
    if note := waiting_note(results):
        st.info(note, icon=":material/groups:")
        return
    hidden_items = int(results["suppressed"].sum()) if "suppressed" in results.columns else 0
    results = shown_items(results)
    if hidden_items:
        st.caption(
            f"{hidden_items} question{'s' if hidden_items != 1 else ''} with fewer than "
            f"{results.attrs.get('min_answers', 3)} answers not shown."
        )
    if results.empty or int(results["n"].sum()) == 0:
        st.info("No answers yet.")
        return
    st.altair_chart(
        charts.answer_distribution(results, labels, levels=session.activity == "impact_rating"),
        width="stretch",
        key=f"{key}-chart",
    )
    with st.expander("The same results as text"):
        for sentence in charts.distribution_summary(results, labels):
            st.text(plain_text(sentence))
        if table:
            shown = results[["item_code", "text", "n", "mean"]].copy()
            for value, label in labels.items():
                shown[label] = results[f"answer_{value}"]
            st.dataframe(
                shown,
                hide_index=True,
                width="stretch",
                column_config={
                    "item_code": "Item",
                    "text": st.column_config.TextColumn("Question", width="large"),
                    "n": st.column_config.NumberColumn("Answers", format="%d"),
                    "mean": st.column_config.NumberColumn("Average", format="%.2f"),
                },
                key=f"{key}-table",
            )
