"""Settings: organisations, suppression, the culture measure, readiness instruments,
NHS IMPACT level labels, users and roles, and the audit log."""

from __future__ import annotations

import streamlit as st

from impact_data.access import ROLE_LABELS, ROLES, AccessDenied
from impact_data.measures import queries
from impact_data.store.settings import (
    culture_target,
    set_culture_target,
    set_suppression_threshold,
    suppression_rule,
)
from impact_data.views.wording import audit_table
from ui.capability import level_labels_section as capability_level_labels_section
from ui.navigation import leave_pages_folder_mode
from ui.safe import md
from ui.settings_backup import backup_section
from ui.settings_culture import culture_measure_section
from ui.settings_readiness import instruments_section, level_labels_section
from ui.state import clear_caches, database, query, sign_in_configured, viewer

leave_pages_folder_mode()  # a deep link opened before anyone opened / (ui.navigation)

st.title("Settings")
db = database()
who = viewer()
if not who.is_admin:
    st.info("Only an admin can change settings. You can see the current ones below.")

tabs = st.tabs(
    [
        "Organisations",
        "Suppression",
        "Culture measure",
        "Readiness instruments",
        "NHS IMPACT levels",
        "Capability levels",
        "Users and roles",
        "Audit log",
        "Backup and restore",
    ]
)

with tabs[0]:
    st.subheader("Organisations")
    orgs = query(queries.organisations)
    if orgs.empty:
        st.write("No organisations yet. Load an organisations file on the Upload page.")
    else:
        st.caption(
            f"{len(orgs)} organisations. To add or correct them, upload an organisations file "
            "(its rows update the organisations already here)."
        )
        st.dataframe(orgs, hide_index=True, width="stretch")

with tabs[1]:
    st.subheader("Small-number suppression")
    saved = st.session_state.pop("settings_threshold_saved", None)
    if saved:
        st.success(saved)
    st.write(suppression_rule(db))
    threshold = st.number_input(
        "Suppress groups with fewer than this many responses",
        min_value=1,
        max_value=100,
        value=db.suppression_threshold(),
        step=1,
        disabled=not who.is_admin,
        help="NHS trusts commonly use 11. Lowering it risks identifying people.",
    )
    if who.is_admin and st.button("Save threshold"):
        try:
            set_suppression_threshold(db, who, int(threshold))
        except (AccessDenied, ValueError) as exc:
            st.error(md(exc))
        else:
            clear_caches()
            # Rerun so this page (its rule text above included) and every other page show the
            # new threshold at once.
            st.session_state["settings_threshold_saved"] = (
                f"Saved: groups with fewer than {int(threshold)} responses are suppressed."
            )
            st.rerun()

with tabs[2]:
    culture_measure_section()
    st.subheader("Target for the monthly culture measure")
    st.caption(
        "With a target, the Overview shows the assurance icon (will consistently be met, "
        "missed, or hit and miss) beside each organisation's monthly variation icon."
    )
    target = st.number_input(
        "Target (% favourable; leave empty for none)",
        min_value=0.0,
        max_value=100.0,
        value=culture_target(db),
        step=1.0,
        disabled=not who.is_admin,
        key="culture_target",
    )
    if who.is_admin and st.button("Save target"):
        try:
            set_culture_target(db, who, target)
        except (AccessDenied, ValueError) as exc:
            st.error(md(exc))
        else:
            clear_caches()
            st.success("Saved: no target." if target is None else f"Saved: {target:g}%.")

with tabs[3]:
    instruments_section()

with tabs[4]:
    level_labels_section()

with tabs[5]:
    capability_level_labels_section()

with tabs[6]:
    st.subheader("Users and roles")
    if not sign_in_configured():
        st.write(
            "Sign-in is not configured, so this app runs in local mode: one user with full "
            "access. Configure sign-in (see the README) to give people roles."
        )
    elif not who.is_admin:
        st.write("Only an admin can see and change users.")
    else:
        from impact_data.users import set_role, users

        people = users(db, who)
        st.dataframe(people, hide_index=True, width="stretch")
        with st.form("role"):
            email = st.selectbox("User", people["user"].tolist())
            role = st.selectbox(
                "Role", [*ROLES, "none"], format_func=lambda r: ROLE_LABELS.get(r, r)
            )
            codes = st.multiselect(
                "Organisations (for team members)",
                orgs["org_code"].tolist() if not orgs.empty else [],
            )
            if st.form_submit_button("Save role"):
                try:
                    set_role(db, who, email, role, codes)
                except (AccessDenied, ValueError) as exc:
                    st.error(md(exc))
                else:
                    clear_caches()
                    st.success(f"{md(email)} is now: {ROLE_LABELS[role]}.")

with tabs[7]:
    st.subheader("Audit log")
    if not who.is_admin:
        st.write("Only an admin can see the audit log.")
    else:
        from impact_data.users import audit_log

        log = audit_log(db, who)
        if log.empty:
            st.write("Nothing recorded yet.")
        else:
            st.caption(
                "Uploads, deletions, role changes, measure edits, settings and sign-ins "
                "(times are UK time)."
            )
            st.dataframe(audit_table(log), hide_index=True, width="stretch")

with tabs[8]:
    backup_section()
