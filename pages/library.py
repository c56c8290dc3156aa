"""Learning library: one search over what people in the system have tried and learned, and the
ideas from workshops, which a team can turn into a PDSA project."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from impact_data import AccessDenied
from impact_data.learning import ideas, library
from impact_data.measures.pdsa_editing import EntryRefused
from impact_data.views.wording import plural, uk_date
from ui.guide import guide_link
from ui.navigation import leave_pages_folder_mode
from ui.safe import md
from ui.state import clear_caches, database, query, viewer

leave_pages_folder_mode()  # a deep link opened before anyone opened / (ui.navigation)

SEARCH_PARAM = "q"

who = viewer()
db = database()

st.title("Learning library")
st.write(
    "What has anyone in the system tried? Search case studies, PDSA projects and cycles, "
    "learning visits and workshop ideas at once, most relevant first."
)
st.caption(guide_link("learning library", "How the library searches"))

words = st.text_input(
    "Search",
    value=st.query_params.get(SEARCH_PARAM, ""),
    placeholder="e.g. discharge delays, falls, staff huddles",
    max_chars=200,
)
if words != st.query_params.get(SEARCH_PARAM, ""):
    if words:
        st.query_params[SEARCH_PARAM] = words
    else:
        st.query_params.pop(SEARCH_PARAM, None)

choices = query(library.library_filters)
org_names = dict(choices["organisations"])
source_names = dict(choices["sources"])
with st.expander("Filters"):
    c1, c2 = st.columns(2)
    orgs = c1.multiselect(
        "Organisations", list(org_names), format_func=lambda c: f"{org_names[c]} ({c})"
    )
    themes = c2.multiselect("Visit themes", choices["themes"])
    kinds = c1.multiselect("Kinds of item", list(source_names), format_func=source_names.get)
    outcomes = c2.multiselect(
        "Cycle decision", choices["outcomes"], format_func=lambda o: o.capitalize()
    )
    dates = st.date_input(
        "Between (leave empty for any date)", value=(), format="DD/MM/YYYY", key="lib-dates"
    )

if words.strip():
    date_from = dates[0] if len(dates) >= 1 else None
    date_to = dates[1] if len(dates) == 2 else None
    hits = query(
        library.search,
        words,
        org_codes=tuple(orgs) or None,
        themes=tuple(themes) or None,
        sources=tuple(kinds) or None,
        outcomes=tuple(outcomes) or None,
        date_from=date_from,
        date_to=date_to,
    )
    if hits.empty:
        st.info(
            "Nothing found. Try fewer or other words, or clear a filter.",
            icon=":material/search_off:",
        )
    else:
        st.caption(f"{plural(len(hits), 'result')}, most relevant first")
    for hit in hits.itertuples():
        with st.container(border=True):
            where = " · ".join(
                part
                for part in (
                    md(hit.source_label) + (" (draft)" if hit.draft else ""),
                    md(hit.org_name or ""),
                    uk_date(hit.doc_date) if not pd.isna(hit.doc_date) else "",
                    f"Decision: {md(hit.outcome)}" if hit.outcome else "",
                    f"Theme: {md(hit.theme)}" if hit.theme else "",
                )
                if part
            )
            st.markdown(f"**[{md(hit.title)}]({hit.link})**  \n{where}")
            st.caption(md(hit.snippet))

st.header("Ideas from workshops", anchor=library.IDEAS_ANCHOR)
st.write(
    "Every workshop's change ideas, most backed first. A team can start a PDSA project from "
    "an idea: the project remembers where it came from."
)
idea_list = query(ideas.ideas_list)
if idea_list.empty:
    st.info("No workshop ideas yet: run an ideas board on the Workshop page.")
else:
    shown = pd.DataFrame(
        {
            "Idea": idea_list["text"],
            "Workshop": idea_list["workshop"],
            "Posted": [uk_date(d) for d in idea_list["posted"]],
            "Votes": idea_list["votes"],
            "Projects started": [", ".join(p) for p in idea_list["projects"]],
        }
    )
    st.dataframe(
        shown,
        hide_index=True,
        use_container_width=True,
        column_config={
            "Votes": st.column_config.NumberColumn(
                "Votes", help="Shown once enough people have voted in that workshop"
            )
        },
    )
    own_orgs = sorted(who.org_codes)
    if who.can_upload and (own_orgs or who.is_admin):
        with st.form("idea-to-project"):
            st.subheader("Start a PDSA project from an idea", anchor=False)
            texts = dict(zip(idea_list["idea_id"], idea_list["text"], strict=True))
            idea_id = st.selectbox("Idea", list(texts), format_func=lambda i: texts[i][:120])
            c1, c2 = st.columns(2)
            org = (
                c1.selectbox("Organisation", own_orgs)
                if own_orgs
                else c1.text_input("Organisation code")
            )
            ref = c2.text_input("Project reference", placeholder="e.g. ZA1-014", max_chars=100)
            title = st.text_input("Title (the idea, if left empty)", max_chars=500)
            aim = st.text_area("Aim: what, by how much, by when", height=80)
            c3, c4 = st.columns(2)
            start = c3.date_input("Start date", value=dt.date.today(), format="DD/MM/YYYY")
            team = c4.text_input("Team (optional)", max_chars=200)
            if st.form_submit_button("Start the project", type="primary"):
                try:
                    ideas.idea_to_project(
                        db,
                        who,
                        idea_id,
                        project_ref=ref,
                        org_code=org,
                        title=title,
                        aim=aim,
                        start_date=start,
                        team=team or None,
                    )
                except EntryRefused as exc:
                    st.error(
                        "The project was not started:\n"
                        + "\n".join(f"- {md(m)}" for m in exc.messages())
                    )
                except (AccessDenied, LookupError) as exc:
                    st.error(md(str(exc)))
                else:
                    clear_caches()
                    st.success(
                        f"Started project {md(ref)}. "
                        f"[Open it on the PDSA page]({library.link_of('project', 0, ref)})"
                    )
