"""Case studies: published stories from across the system, your organisation's drafts, the
editor, publishing and the one-page PDF."""

from __future__ import annotations

import streamlit as st

from impact_data import AccessDenied
from impact_data.learning import case_studies as cs
from impact_data.learning.library import CASE_STUDY_PARAM
from impact_data.measures import pdsa as pdsa_measures
from impact_data.measures import queries
from impact_data.views.wording import uk_date
from ui.case_study_pdf import pdf_on_click
from ui.charts import spc as spc_charts
from ui.guide import guide_link
from ui.navigation import leave_pages_folder_mode
from ui.safe import md
from ui.state import clear_caches, database, query, viewer

leave_pages_folder_mode()  # a deep link opened before anyone opened / (ui.navigation)

who = viewer()
db = database()

st.title("Case studies")
st.write(
    "Short stories of improvement work: the problem, who was involved, the changes tested "
    "cycle by cycle, the before-and-after chart and what was learned. Drafts are seen only by "
    "their organisation's team; published case studies are read across the system."
)
st.caption(guide_link("case studies", "How case studies work"))


def open_case(case_id: int | None) -> None:
    if case_id is None:
        st.query_params.pop(CASE_STUDY_PARAM, None)
    else:
        st.query_params[CASE_STUDY_PARAM] = str(case_id)


def show_story(story: dict) -> None:
    status = (
        "Published" if story["status"] == "published" else "Draft: only your organisation sees it"
    )
    st.header(md(story["title"]), anchor=False)
    when = story["published_at"] or story["updated_at"]
    project = f" · PDSA project {md(story['project_ref'])}" if story["project_ref"] else ""
    st.caption(f"{md(story['org_name'])} · {status} · {uk_date(when)}{project}")
    chart = cs.case_study_chart(db, who, story["id"])
    for name, label in cs.FIELDS.items():
        if name == "title" or not story.get(name):
            continue
        st.subheader(label, anchor=False)
        st.markdown("  \n".join(md(line) for line in str(story[name]).splitlines() if line.strip()))
        if name == "changes_tested" and chart is not None:
            show_chart(chart)
    if chart is not None and not story.get("changes_tested"):
        show_chart(chart)
    st.download_button(
        "Download as a one-page PDF",
        # Built only when clicked (rendering the chart takes about a second), from the case
        # study as it is then.
        data=pdf_on_click(db, who, story["id"]),
        file_name=f"Case study {story['id']}.pdf",
        mime="application/pdf",
        icon=":material/picture_as_pdf:",
        key=f"pdf-{story['id']}",
        on_click="ignore",
    )


def show_chart(chart) -> None:
    point = chart.attrs.get("change_point")
    subtitle = [f"Limits rebased at the change on {uk_date(point)}"] if point else []
    st.altair_chart(
        spc_charts.xmr_chart(
            chart, title=str(chart.attrs.get("measure_name") or "Measure"), subtitle=subtitle
        ),
        use_container_width=True,
    )
    st.caption(
        "Before and after: the measure's limits are worked out afresh from the change point. "
        + guide_link("spc", "How to read this chart")
    )


def editor(story: dict) -> None:
    with st.form(f"edit-{story['id']}"):
        values = {}
        for name, label in cs.FIELDS.items():
            if name in ("title", "contact"):
                values[name] = st.text_input(label, value=story.get(name) or "", max_chars=300)
            else:
                values[name] = st.text_area(label, value=story.get(name) or "", height=110)
        point = st.date_input(
            "Change point (the chart's limits are rebased from this date)",
            value=story.get("change_point"),
            format="DD/MM/YYYY",
        )
        if st.form_submit_button("Save changes", type="primary"):
            try:
                changed = cs.update_case_study(db, who, story["id"], change_point=point, **values)
            except (cs.CaseStudyError, AccessDenied) as exc:
                st.error(md(str(exc)))
            else:
                clear_caches()
                st.success("Saved: " + md(", ".join(changed)) if changed else "Nothing changed.")
    cols = st.columns(3)
    if story["status"] == "draft":
        if cols[0].button("Publish to the system", type="primary", key=f"pub-{story['id']}"):
            cs.publish(db, who, story["id"])
            clear_caches()
            st.rerun()
    elif cols[0].button("Unpublish (back to a draft)", key=f"unpub-{story['id']}"):
        cs.unpublish(db, who, story["id"])
        clear_caches()
        st.rerun()
    confirm = cols[2].checkbox("Confirm delete", key=f"confirm-{story['id']}")
    if cols[1].button("Delete", disabled=not confirm, key=f"del-{story['id']}"):
        cs.delete_case_study(db, who, story["id"])
        clear_caches()
        open_case(None)
        st.rerun()


def start_form() -> None:
    """A new draft, from one of your organisation's PDSA projects or from a blank page."""
    projects = query(pdsa_measures.pdsa_projects)
    mine = (
        projects[[cs.can_edit(who, code) for code in projects["org_code"]]]
        if len(projects)
        else projects
    )
    refs = mine["project_id"].tolist() if len(mine) else []
    titles = dict(zip(refs, mine["title"], strict=True)) if refs else {}
    with st.form("start-case-study"):
        ref = st.selectbox(
            "Start from a PDSA project (its aim, cycles and chart are filled in)",
            [None, *refs],
            format_func=lambda r: (
                "No project: a blank case study" if r is None else f"{r} · {titles[r]}"
            ),
        )
        title = st.text_input("Title", max_chars=300)
        org = st.selectbox(
            "Organisation (for a blank case study)",
            sorted(who.org_codes)
            if not who.is_admin
            else query(queries.organisations)["org_code"].tolist(),
        )
        if st.form_submit_button("Start a draft"):
            try:
                if ref is not None:
                    draft = cs.draft_from_project(db, who, ref)
                    fields = {k: draft[k] for k in cs.FIELDS if draft.get(k)}
                    if title.strip():
                        fields["title"] = title
                    new_id = cs.create_case_study(
                        db, who, project_ref=ref, change_point=draft["change_point"], **fields
                    )
                else:
                    new_id = cs.create_case_study(db, who, org_code=org, title=title)
            except (cs.CaseStudyError, AccessDenied) as exc:
                st.error(md(str(exc)))
            else:
                clear_caches()
                open_case(new_id)
                st.rerun()


listing = query(cs.case_studies)
asked = st.query_params.get(CASE_STUDY_PARAM)
chosen = int(asked) if asked and str(asked).isdigit() else None

if chosen is not None:
    try:
        story = cs.case_study(db, who, chosen)
    except cs.CaseStudyError as exc:
        st.warning(md(str(exc)))
    else:
        if st.button("← All case studies"):
            open_case(None)
            st.rerun()
        show_story(story)
        if story["can_edit"]:
            with st.expander("Edit, publish or delete", expanded=story["status"] == "draft"):
                editor(story)
        st.divider()

st.header("Published across the system", anchor=False)
published = listing[listing["status"] == "published"]
if published.empty:
    st.info("No case studies have been published yet.")
for row in published.itertuples():
    if st.button(
        f"{row.title} · {row.org_name} · {uk_date(row.published_at)}",
        key=f"open-{row.id}",
        icon=":material/article:",
    ):
        open_case(row.id)
        st.rerun()

drafts = listing[listing["status"] == "draft"]
if who.is_admin or who.role == "team_member":
    st.header("Drafts of your organisations", anchor=False)
    if drafts.empty:
        st.caption("No drafts.")
    for row in drafts.itertuples():
        if st.button(f"{row.title} · {row.org_name} (draft)", key=f"open-{row.id}"):
            open_case(row.id)
            st.rerun()
    st.header("Start a case study", anchor=False)
    start_form()
