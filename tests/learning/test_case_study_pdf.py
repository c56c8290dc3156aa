"""A case study's one-page PDF: one page, its chart, its text, and user text kept inert."""

from __future__ import annotations

import io

from pypdf import PdfReader

from impact_data.access import Viewer
from impact_data.learning import case_studies as cs
from tests.learning.test_learning import MONDAYS, ZA1_TEAM, ZB1_TEAM, system  # noqa: F401
from ui.case_study_pdf import case_study_pdf, pdf_on_click

HOSTILE = '<img src="http://evil.test/x.png"/> <b>bold</b> & <link href="x">'


def pages(pdf: bytes):
    return PdfReader(io.BytesIO(pdf)).pages


def images_on(page) -> int:
    return len(page.images)


def test_the_pdf_is_one_page_with_its_chart_and_inert_text(system):  # noqa: F811
    story = cs.create_case_study(
        system,
        ZA1_TEAM,
        project_ref="ZA1-001",
        title="Earlier discharge",
        problem=HOSTILE,
        learning="\n".join(
            f"Lesson {i}: discharge planning starts at admission" for i in range(60)
        ),
        change_point=MONDAYS[8],
    )
    cs.publish(system, ZA1_TEAM, story)
    pdf = case_study_pdf(system, ZB1_TEAM, story)
    assert pdf.startswith(b"%PDF")
    read = pages(pdf)
    assert len(read) == 1  # sixty lines of learning are shrunk onto the one page
    assert images_on(read[0]) == 1  # the before-and-after chart
    text = read[0].extract_text()
    assert "Earlier discharge" in text and "Northmoor Hospitals" in text
    assert "Lesson 59" in text and "The problem" in text
    # The markup typed into the problem is printed as text, never read as markup.
    assert '<img src="http://evil.test/x.png"/>' in text and "<b>bold</b>" in text


def test_a_case_study_without_a_project_has_no_chart(system):  # noqa: F811
    story = cs.create_case_study(
        system, ZA1_TEAM, org_code="ZA1", title="A story", learning="Talk to patients"
    )
    read = pages(case_study_pdf(system, Viewer.local(), story))
    assert len(read) == 1 and images_on(read[0]) == 0
    assert "Talk to patients" in read[0].extract_text()


def test_the_pdf_is_built_on_click_from_the_case_study_as_edited(system):  # noqa: F811
    story = cs.create_case_study(
        system,
        ZA1_TEAM,
        project_ref="ZA1-001",
        title="Earlier discharge",
        learning="Start planning at admission",
        change_point=MONDAYS[8],
    )
    # The download's data, as the page makes it when the case study is opened.
    download = pdf_on_click(system, ZA1_TEAM, story)
    before = pages(download())[0].extract_text()
    assert "Earlier discharge" in before and "Start planning at admission" in before
    changed = cs.update_case_study(
        system, ZA1_TEAM, story, title="Discharge by noon", learning="Pharmacy rounds first"
    )
    assert changed == [cs.FIELDS["title"], cs.FIELDS["learning"]]
    # The same button clicked after the edit: the new words, none of the old.
    after = pages(download())
    text = after[0].extract_text()
    assert "Discharge by noon" in text and "Pharmacy rounds first" in text
    assert "Earlier discharge" not in text and "Start planning at admission" not in text
    assert len(after) == 1 and images_on(after[0]) == 1
