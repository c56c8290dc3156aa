"""ui.safe.md: user text shown through Markdown is inert and reads exactly as written."""

from __future__ import annotations

import re
import string

import pandas as pd
import pytest

from ui.safe import WORD_JOINER, html_text, md, md_columns, md_join, md_list, plain_text

HOSTILE = [
    "![x](http://127.0.0.1:9/x.png)",
    "<img src=x onerror=alert(1)>",
    "[click](javascript:alert(1))",
    "<http://127.0.0.1:9/>",
    "<script>alert(1)</script>",
    "**bold** and __strong__ and *em* and _em_",
    "$x$ and $$\\int x$$",
    "# Heading",
    "## Heading ##",
    "> quoted",
    "- item",
    "+ item",
    "* item",
    "1. first",
    "2) second",
    "---",
    "===",
    "`code` and ```fence```",
    "~~struck~~ ~one~",
    "| a | b |",
    ":red[coloured] :blue-background[x]",
    "[ref]: http://127.0.0.1:9/x.png",
    "![x][ref]",
    "text[^1]",
    "&lt;img src=x&gt; &#60;b&#62; &#x3C;i&#x3E;",
    "line one\n# two\r\n- three\n\n    four",
    "trailing backslash \\",
    "\\*not escaped by the user\\*",
    "tab\tand\x00nul",
]

PLAIN = [
    "Vale Community Health Services NHS Trust",
    "St Mary's & St John's Hospital",
    "Café de l'Hôpital – Ward 7",
    "Smith & Jones (Paediatrics), North-East",
    "pulse_bad_dates.csv",
    "Upload 2: staff_survey.xlsx (4,312 rows, 03/04/2025 10:15)",
    "positive_pct must be between 0 and 100 — row 6 (found: 104)",
    "response_date: not a valid date: expected dd/mm/yyyy or yyyy-mm-dd — row 24",
    "'Org cde' → org_code",
    "64% favourable; 95% interval 61.2% to 66.8%.",
    "Ward 10. Theatres",
    "100% of 3 teams: r_wg 0.71",
    "Code: use 2-40 letters, digits or _ starting with a letter (e.g. musiq)",
]

PUNCTUATION = set(string.punctuation)


def _unescape(text: str) -> str:
    """What Markdown shows for text that only has backslash escapes in it (and, invisible, the
    word joiners that keep autolinks from forming)."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", text).replace(WORD_JOINER, "")


def _unescaped(text: str, char: str) -> list[int]:
    """Positions of `char` in `text` not preceded by an odd number of backslashes."""
    found = []
    for i, c in enumerate(text):
        if c != char:
            continue
        slashes = len(text[:i]) - len(text[:i].rstrip("\\"))
        if slashes % 2 == 0:
            found.append(i)
    return found


def _one_line(text: str) -> str:
    return " ".join(re.sub(r"[\x00-\x08\x0e-\x1f]", "", text).split()).strip()


@pytest.mark.parametrize("text", HOSTILE)
def test_markup_characters_are_all_escaped(text):
    out = md(text)
    assert "\n" not in out and "\r" not in out
    for char in "`*[]<>$|~":  # (backslashes are checked by the round trip below)
        assert not _unescaped(out, char), (char, out)
    for sequence in ("![", "](", "<img", "<script", "<http", "**", "$x"):
        assert not re.search(r"(?<!\\)" + re.escape(sequence), out), (sequence, out)
    assert not re.match(r"\s*([#>+=-]|\d+[.)])", out), out  # nothing that starts a block


@pytest.mark.parametrize("text", HOSTILE + PLAIN)
def test_escaped_text_reads_as_written(text):
    """Removing the escapes gives back the text (on one line): nothing is lost."""
    assert " ".join(_unescape(md(text)).split()) == _one_line(text)


@pytest.mark.parametrize("text", PLAIN)
def test_plain_text_is_unchanged(text):
    assert md(text) == text


def test_underscores_inside_words_stay_and_others_are_escaped():
    assert md("org_code_2") == "org_code_2"
    assert md("_lead") == "\\_lead"
    assert md("trail_") == "trail\\_"
    assert md("a _b_ c") == "a \\_b\\_ c"
    assert md("snake_ case") == "snake\\_ case"
    assert md("letters, digits or _ starting") == "letters, digits or _ starting"
    assert md("_ x") == "\\_ x" and md("x _") == "x \\_"


def test_entities_are_not_decoded_but_a_lone_ampersand_stays():
    assert md("&lt;b&gt;") == "\\&lt;b\\&gt;"
    assert md("A & B &co") == "A & B &co"


def test_start_of_line_markers_are_escaped_only_at_the_start():
    assert md("# x") == "\\# x"
    assert md("x # y") == "x # y"
    assert md("- x") == "\\- x"
    assert md("North-East") == "North-East"
    assert md("12. x") == "12\\. x"
    assert md("3) x") == "3\\) x"
    assert md("12.5% of staff") == "12.5% of staff"
    assert md("x 12. y") == "x 12. y"
    assert md("2025 survey") == "2025 survey"


def test_newlines_collapse_and_ends_are_trimmed():
    assert md("  a\n\n  b\r\nc\u2028d  ") == "a b c d"


@pytest.mark.parametrize("value", [None, float("nan"), pd.NA, pd.NaT])
def test_missing_values_give_nothing(value):
    assert md(value) == ""


def test_other_values_are_shown_as_text():
    assert md(12) == "12"
    assert md(2.5) == "2.5"
    assert md(ValueError("bad [x](y)")) == "bad \\[x\\]\\(y)"


def test_lists_and_joins_escape_each_item():
    assert md_list(["a", "# b", "![c](d)"]) == "- a\n- \\# b\n- !\\[c\\]\\(d)"
    assert md_list([]) == ""
    assert md_join(["q1", "*q2*"]) == "q1, \\*q2\\*"
    assert md_join(["a", "b"], " · ") == "a · b"


def test_md_columns_escapes_text_cells_of_a_copy():
    frame = pd.DataFrame({"name": ["**A**", None, "B"], "n": [1, 2, 3], "x": ["*", "*", "*"]})
    out = md_columns(frame, "name", "missing")
    assert out["name"].tolist()[0] == "\\*\\*A\\*\\*"
    assert pd.isna(out["name"].tolist()[1]) and out["name"].tolist()[2] == "B"
    assert out["n"].tolist() == [1, 2, 3] and out["x"].tolist() == ["*", "*", "*"]
    assert frame["name"].tolist()[0] == "**A**"  # the original is untouched


# --- rendered through a CommonMark parser, when one is installed -----------------------


def _parser():
    markdown_it = pytest.importorskip("markdown_it")
    return markdown_it.MarkdownIt("commonmark").enable(["table", "strikethrough"])


def _inline_kinds(tokens) -> set[str]:
    kinds = set()
    for token in tokens:
        kinds.add(token.type)
        kinds |= _inline_kinds(token.children or [])
    return kinds


def _text(tokens) -> str:
    return "".join(
        t.content if t.type in ("text", "code_inline") else _text(t.children or []) for t in tokens
    ).replace(WORD_JOINER, "")


@pytest.mark.parametrize("text", HOSTILE + PLAIN)
def test_rendered_alone_it_is_one_paragraph_of_plain_text(text):
    tokens = _parser().parse(md(text))
    blocks = [t.type for t in tokens]
    assert blocks == ["paragraph_open", "inline", "paragraph_close"], blocks
    inline = [t for t in tokens if t.type == "inline"][0]
    assert _inline_kinds(inline.children) <= {"text"}, inline.children
    assert " ".join(_text(inline.children).split()) == _one_line(text)


@pytest.mark.parametrize("text", HOSTILE)
@pytest.mark.parametrize(
    "template",
    [
        "{}",
        "**Aim:** {}",
        "- {}",
        "- **{}**: a sentence",
        "sheet *{}*, header on row 3",
        "Saved by {} on 3 March 2025. Why: {}",
        "**Current: {}**, saved",
    ],
)
def test_inside_our_own_markdown_it_adds_no_markup(text, template):
    parser = _parser()
    ours = parser.parse(template.format(*(["plain"] * template.count("{}"))))
    theirs = parser.parse(template.format(*([md(text)] * template.count("{}"))))
    assert [t.type for t in theirs] == [t.type for t in ours]
    kinds = lambda tokens: [_inline_kinds(t.children or []) for t in tokens]  # noqa: E731
    assert kinds(theirs) == kinds(ours)
    html = parser.render(template.format(*([md(text)] * template.count("{}"))))
    assert "<img" not in html and "<a " not in html and "<script" not in html


def test_the_hostile_strings_really_are_markup_when_not_escaped():
    """The parser is a fair judge: without md the same strings do make images and links."""
    parser = _parser()
    html = parser.render("\n\n".join(HOSTILE[:4]))
    assert "<img" in html and '<a href="http://127.0.0.1:9/"' in html


# --- autolinks (issue 16): bare URLs and addresses never become links ---------------------

AUTOLINKS = [
    "http://127.0.0.1:9/z",
    "see https://evil.example/x?y=1 now",
    "www.evil.example",
    "(WWW.evil.example)",
    "mail first.last@nhs.net",
    "mailto:first.last@nhs.net",
    "ftp://files.example/x",
]


@pytest.mark.parametrize("text", AUTOLINKS)
def test_bare_urls_and_addresses_get_an_invisible_word_joiner(text):
    out = md(text)
    assert WORD_JOINER in out
    assert not re.search(r"(?i)[a-z]://|(?<![a-z0-9])www\.|\w@\w", out), out
    assert _unescape(out) == text  # reads exactly as written


def test_words_next_to_www_and_at_are_left_alone():
    assert md("awww.x") == "awww.x"
    assert md("x@ y and @team") == "x@ y and @team"


def test_plain_text_is_one_clean_line_within_a_limit():
    assert plain_text("a\n# b\x00\u202e c") == "a # b c"
    assert plain_text("x" * 10, limit=5) == "xxxx…"
    assert plain_text(None) == "" and plain_text(float("nan")) == ""
    assert plain_text("![x](http://h/x.png)") == "![x](http://h/x.png)"  # shown as it is


def test_html_text_is_never_a_tag_or_an_entity():
    assert html_text('<img src=http://h/y onerror="x">') == (
        "&lt;img src=http://h/y onerror=&quot;x&quot;&gt;"
    )
    assert html_text("&lt; & 'q'") == "&amp;lt; &amp; &#x27;q&#x27;"
