"""Settings sections for readiness: the readiness instruments (items, subscales, answer scale)
and the NHS IMPACT level labels. Called from the Settings page."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from impact_data import AccessDenied
from impact_data.measures import readiness
from impact_data.views import readiness as views
from ui.safe import md, md_list
from ui.state import clear_caches, database, query, viewer

NEW = "__new__"
FLASH = "settings_readiness_flash"
CHOICE_KEY = "readiness_instrument_choice"
PENDING_KEY = "readiness_instrument_saved"
LABEL_KEYS = [f"impact_level_label_{i}" for i in range(1, 6)]


def editor_key(choice: str) -> str:
    """The session-state key of the items editor for an instrument (or a new one)."""
    return f"readiness_instrument_items_{choice}"


def _can_edit() -> bool:
    return viewer().role in readiness.CAN_EDIT_INSTRUMENTS


def _flash() -> None:
    if message := st.session_state.pop(FLASH, None):
        st.success(message, icon=":material/check_circle:")


def instruments_section() -> None:
    """List the readiness instruments and their items; an admin adds or edits one."""
    st.subheader("Readiness instruments")
    st.markdown(
        "A readiness instrument is a list of statements (items), each belonging to a subscale, "
        "answered on one scale. ORIC ships as the default: 12 items, change commitment and "
        "change efficacy, 1-5 agreement. A readiness upload names its instrument in an "
        "`instrument` column, or is matched to the instrument whose item codes its columns "
        "carry (ORIC's are c1-c5 and e1-e7); every answer is checked against that "
        "instrument's scale, and each subscale is scored as the mean of its items."
    )
    _flash()
    listing = query(views.instrument_list)
    if listing.empty:
        st.info("There are no instruments yet.")
    else:
        st.dataframe(
            listing.rename(
                columns={
                    "code": "Code",
                    "name": "Name",
                    "scale": "Scale",
                    "items": "Items",
                    "subscales": "Subscales",
                    "description": "Description",
                }
            ),
            hide_index=True,
            width="stretch",
        )
    names = dict(zip(listing["code"], listing["name"], strict=True))
    if (saved := st.session_state.pop(PENDING_KEY, None)) in names:
        # After a save, show the saved instrument and start the next new one from blank.
        st.session_state[CHOICE_KEY] = saved
        for key in [k for k in st.session_state if str(k).endswith(f"_{NEW}")]:
            del st.session_state[key]
    if not _can_edit():
        for code in names:
            with st.expander(f"Items of {md(names[code])}"):
                st.dataframe(_readable_items(query(views.instrument_items, code)), hide_index=True)
        st.info("Only an admin can add or change readiness instruments.")
        return
    choice = st.selectbox(
        "Add or edit an instrument",
        [NEW, *names],
        format_func=lambda c: "Add a new instrument" if c == NEW else f"Edit {names[c]} ({c})",
        key=CHOICE_KEY,
    )
    _instrument_form(choice, listing)


def _readable_items(items: pd.DataFrame) -> pd.DataFrame:
    return items.rename(columns={"code": "Item code", "subscale": "Subscale", "text": "Statement"})


def _instrument_form(choice: str, listing: pd.DataFrame) -> None:
    existing = choice != NEW
    row = listing.set_index("code").loc[choice] if existing else None
    if existing:
        items = query(views.instrument_items, choice)
        low, high = (int(x) for x in row["scale"].split("-"))
    else:
        items = pd.DataFrame({c: pd.Series(dtype=object) for c in views.EDITOR_COLUMNS})
        low, high = 1, 5
    with st.form(f"readiness_instrument_form_{choice}"):
        code = st.text_input(
            "Code",
            value=choice if existing else "",
            disabled=existing,
            help="2-40 letters, digits or _, starting with a letter (e.g. musiq, values_check). "
            "Uploads name the instrument by this code in an `instrument` column.",
            key=f"readiness_instrument_code_{choice}",
        )
        name = st.text_input(
            "Name",
            value=row["name"] if existing else "",
            key=f"readiness_instrument_name_{choice}",
        )
        description = st.text_area(
            "Description (where it comes from, how to use it)",
            value=row["description"] if existing else "",
            key=f"readiness_instrument_description_{choice}",
        )
        left, right = st.columns(2)
        scale_min = left.number_input(
            "Lowest answer",
            min_value=0,
            max_value=9,
            value=low,
            step=1,
            key=f"readiness_instrument_min_{choice}",
        )
        scale_max = right.number_input(
            "Highest answer",
            min_value=0,
            max_value=9,
            value=high,
            step=1,
            help="E.g. 5 for a 1-5 agreement scale, 7 for MUSIQ's 1-7.",
            key=f"readiness_instrument_max_{choice}",
        )
        st.markdown(
            "**Items**: one row per statement. The item code is the column header in the "
            "upload (e.g. v1, v2); items with the same subscale are scored together. Add rows "
            "with the + under the table."
        )
        edited = st.data_editor(
            items,
            num_rows="dynamic",
            hide_index=True,
            width="stretch",
            key=editor_key(choice),
            column_config={
                "code": st.column_config.TextColumn("Item code", width="small"),
                "subscale": st.column_config.TextColumn("Subscale", width="medium"),
                "text": st.column_config.TextColumn("Statement", width="large"),
            },
        )
        submitted = st.form_submit_button("Save instrument", type="primary")
    if not submitted:
        return
    try:
        problems = readiness.save_instrument(
            database(),
            viewer(),
            code=choice if existing else code,
            name=name,
            scale_min=int(scale_min),
            scale_max=int(scale_max),
            items=views.item_specs(edited),
            description=description,
        )
    except AccessDenied as exc:
        st.error(f"The instrument was not saved: {md(exc)}.")
        return
    if problems:
        st.error(
            "The instrument was not saved. Please fix:\n\n"
            + md_list(views.plain_problem(p) for p in problems)
        )
        return
    clear_caches()
    saved = (choice if existing else code).strip().lower()
    st.session_state[PENDING_KEY] = saved
    st.session_state[FLASH] = (
        f"Instrument {md(saved)} saved. Readiness uploads with its item columns are now checked "
        "against it and scored by its subscales."
    )
    st.rerun()


def level_labels_section() -> None:
    """Edit the five NHS IMPACT maturity level labels."""
    st.subheader("NHS IMPACT level labels")
    st.markdown(
        "Organisations rate each of the five NHS IMPACT components at a level from 1 to 5. "
        "The number and wording of the self-assessment's levels are not fixed in any source "
        "this dashboard can rely on, so the levels are stored as numbers and their labels "
        "are a setting: use the words your system uses. The labels appear on the Readiness "
        "page, in its charts and in downloads."
    )
    if message := st.session_state.pop(f"{FLASH}_labels", None):
        st.success(message, icon=":material/check_circle:")
    labels = query(views.level_labels)
    if not _can_edit():
        st.markdown("\n".join(f"- Level {i}: {md(label)}" for i, label in enumerate(labels, 1)))
        st.info("Only an admin can change the level labels.")
        return
    with st.form("impact_level_labels_form"):
        new = [
            st.text_input(f"Level {i}", value=labels[i - 1], key=LABEL_KEYS[i - 1])
            for i in range(1, 6)
        ]
        submitted = st.form_submit_button("Save level labels", type="primary")
    if not submitted:
        return
    try:
        readiness.set_level_labels(database(), viewer(), new)
    except ValueError:
        st.error("The labels were not saved: give each of the five levels a label.")
        return
    except AccessDenied as exc:
        st.error(f"The labels were not saved: {md(exc)}.")
        return
    clear_caches()
    st.session_state[f"{FLASH}_labels"] = "Level labels saved."
    st.rerun()
