"""Showing user-provided text in Streamlit elements that render Markdown, literally.

st.markdown, st.write (strings), st.caption, st.info/warning/error/success, titles and
headers, and the labels and help of widgets, metrics, expanders and status boxes all render
Markdown: an organisation called ``![x](http://evil/x.png)`` would load a remote image,
``[click](javascript:...)`` would make a link, and ``$x$`` would be typeset. Every value that
comes from uploaded files, settings or exceptions goes through `md` before it is put into
such an element; tables (st.dataframe), st.text, st.code and charts show text safely as it is.

`md` escapes what Markdown (CommonMark, GitHub's extensions and Streamlit's own: LaTeX between
``$``, ``:color[...]`` directives) could read as markup, and leaves ordinary prose alone, so
that names such as "St Mary's & St John's – Café_2" read (and compare) exactly as written.
GitHub's autolinks are switched off too: a bare ``http://host/x``, ``www.host`` or
``name@host`` would become a link, so an invisible word joiner (U+2060) is put where the
autolink would start ("http⁠://", "www⁠.", "name@⁠host"): it reads the same, links nowhere.

This module is the one escaping path for user text on screen and on paper:
- `md` for everything that renders Markdown (see above);
- `html_text` for HTML (st.html) and for the board pack's ReportLab paragraphs, whose
  mini-markup would otherwise read ``<img src=...>`` as an image to fetch;
- `plain_text` for places that show text as it is but should get it on one line, without
  control characters and within a length: Altair titles, tooltips and labels, alt text.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Iterable

import pandas as pd

# Always escaped: each can start or end markup anywhere in a line. Brackets make links,
# images and Streamlit directives; < and > make HTML, autolinks and quotes; $ makes LaTeX.
_ALWAYS = frozenset("\\`*[]<>$|~")
# Line breaks of every kind: a value is always shown on one line, so that it cannot start a
# heading, list, quote, table or code block of its own.
_NEWLINES = re.compile(r"[ \t]*[\r\n\v\f\x85\u2028\u2029]+[ \t]*")
# Other control characters (NUL, escape, bidi overrides) are dropped.
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f\u202a-\u202e\u2066-\u2069]")
# An HTML entity or numeric character reference would be decoded: "&lt;" must stay "&lt;".
_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
# At the start of a line these begin a heading, list, thematic break or setext underline.
_LEADING_MARK = frozenset("#+-=")
_LEADING_NUMBER = re.compile(r"\d{1,9}(?=[.)](?:\s|$))")
# GitHub-flavoured autolinks (as remark-gfm finds them): a scheme's "://", "www." and an email
# address's "@". A word joiner after the scheme name, after "www" or after the "@" keeps them
# from being recognised, and shows nothing.
WORD_JOINER = "\u2060"
_AUTOLINK = re.compile(r"(?<=[A-Za-z])(?=://)|(?<=(?<![A-Za-z0-9])www)(?=\.)|(?<=\w@)(?=\w)", re.I)


def _is_missing(value: object) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


def md(text: object) -> str:
    """`text` (any value; None and NaN give "") escaped for Markdown, on one line, so that
    Streamlit shows it literally: no images, links, HTML, LaTeX, emphasis, headings or lists.

    Plain text comes back unchanged: only characters that could act as markup are escaped
    (an underscore inside a word, a full stop or a hyphen in the middle of a line cannot).
    """
    if _is_missing(text):
        return ""
    raw = _CONTROL.sub("", _NEWLINES.sub(" ", str(text))).strip()
    out: list[str] = []
    n = len(raw)
    for i, char in enumerate(raw):
        before = raw[i - 1] if i else ""
        after = raw[i + 1] if i + 1 < n else ""
        if char in _ALWAYS:
            out.append("\\" + char)
        elif char == "_":
            # Inside a word, or alone between spaces, an underscore can neither open nor
            # close emphasis (CommonMark's flanking rules).
            inert = (before.isalnum() and after.isalnum()) or (before.isspace() and after.isspace())
            out.append("_" if inert else "\\_")
        elif char == "(" and before == "]":
            out.append("\\(")  # "\](" as well as "\]": never reads as a link target
        elif char == "&" and _ENTITY.match(raw, i):
            out.append("\\&")
        elif i == 0 and char in _LEADING_MARK:
            out.append("\\" + char)
        else:
            out.append(char)
    if match := _LEADING_NUMBER.match(raw):
        # "1. Trust" or "2) Team" at the start of a line would be a numbered list.
        end = match.end()
        out.insert(end, "\\")
    return _AUTOLINK.sub(WORD_JOINER, "".join(out))


def plain_text(text: object, *, limit: int | None = None) -> str:
    """`text` (None and NaN give "") on one line, without control characters, cut to `limit`
    characters with an ellipsis: for chart titles, tooltips, labels and alt text, which show
    text as it is."""
    if _is_missing(text):
        return ""
    raw = _CONTROL.sub("", _NEWLINES.sub(" ", str(text))).strip()
    if limit is not None and len(raw) > limit:
        raw = raw[: max(limit - 1, 0)].rstrip() + "…"
    return raw


def html_text(text: object) -> str:
    """`text` (None and NaN give "") escaped for HTML and for ReportLab's paragraph markup:
    shown literally, never a tag, an entity or an attribute."""
    return html.escape(plain_text(text), quote=True)


def md_list(items: Iterable[object]) -> str:
    """A Markdown bullet list, one escaped item per line ("" for no items)."""
    return "\n".join(f"- {md(item)}" for item in items)


def md_join(items: Iterable[object], separator: str = ", ") -> str:
    """Escaped items joined on one line, e.g. codes or dimension names."""
    return separator.join(md(item) for item in items)


def md_columns(frame: pd.DataFrame, *columns: str) -> pd.DataFrame:
    """A copy of `frame` whose text `columns` are escaped, for data-layer functions that
    write Markdown sentences around those values (missing values and numbers are kept)."""
    out = frame.copy()
    for column in columns:
        if column in out.columns:
            out[column] = out[column].map(lambda v: md(v) if isinstance(v, str) else v)
    return out


__all__ = ["WORD_JOINER", "html_text", "md", "md_columns", "md_join", "md_list", "plain_text"]
