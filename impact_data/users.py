"""Signed-in users, their roles, and the audit log.

The first person to sign in on a fresh deployment becomes admin; anyone after that has no
access until an admin gives them a role. Every role change, sign-in, upload, deletion and
measure edit is written to the audit log.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from impact_data.access import ROLES, AccessDenied, Viewer, require_admin
from impact_data.store.db import Database
from impact_data.store.models import AuditEvent, Organisation, User


def audit(session: Session, user: str, action: str, detail: dict | str) -> None:
    """Record an event in the caller's transaction (so it commits or rolls back with it)."""
    text = detail if isinstance(detail, str) else json.dumps(detail, default=str, sort_keys=True)
    session.add(AuditEvent(at=dt.datetime.now(dt.UTC), user=user, action=action, detail=text))


def record(db: Database, viewer: Viewer, action: str, detail: dict | str) -> None:
    """Record an event in its own transaction."""
    with db.session() as session:
        audit(session, viewer.user, action, detail)


def sign_in(db: Database, email: str, name: str | None = None) -> Viewer:
    """The viewer for someone who has just signed in (creating their user on first visit)."""
    email = email.strip().lower()
    if not email:
        raise AccessDenied("the sign-in provider gave no email address")
    now = dt.datetime.now(dt.UTC)
    with db.session() as session:
        if db.dialect == "postgresql":
            # Two first sign-ins at once must not both become admin.
            session.execute(select(func.pg_advisory_xact_lock(4242002)))
        user = session.scalars(select(User).where(User.email == email)).first()
        if user is None:
            first = session.scalar(select(func.count()).select_from(User)) == 0
            user = User(
                email=email,
                name=name,
                role="admin" if first else "none",
                org_codes=[],
                created_at=now,
            )
            session.add(user)
            audit(session, email, "user_created", {"role": user.role, "first_user": first})
        user.last_sign_in = now
        if name and not user.name:
            user.name = name
        audit(session, email, "sign_in", {"role": user.role})
        return Viewer(email, user.role, frozenset(user.org_codes or []))


def viewer_for(db: Database, email: str) -> Viewer:
    """The current viewer for a signed-in email (roles can change while signed in)."""
    with db.session() as session:
        user = session.scalars(select(User).where(User.email == email.strip().lower())).first()
        if user is None:
            return Viewer(email, "none")
        return Viewer(user.email, user.role, frozenset(user.org_codes or []))


def users(db: Database, viewer: Viewer) -> pd.DataFrame:
    """Every user with role, organisations and last sign-in (admins only)."""
    require_admin(viewer, "see users")
    with db.session() as session:
        rows = session.scalars(select(User).order_by(User.email)).all()
        return pd.DataFrame(
            [
                {
                    "email": u.email,
                    "name": u.name,
                    "role": u.role,
                    "org_codes": ", ".join(u.org_codes or []),
                    "last_sign_in": u.last_sign_in,
                }
                for u in rows
            ],
            columns=["email", "name", "role", "org_codes", "last_sign_in"],
        )


def set_role(
    db: Database, viewer: Viewer, email: str, role: str, org_codes: Iterable[str] = ()
) -> None:
    """Give a user a role (and organisations for team members); admins only."""
    require_admin(viewer, "change roles")
    if role not in (*ROLES, "none"):
        raise ValueError(f"role must be one of: {', '.join(ROLES)}, none")
    codes = sorted({c.strip().upper() for c in org_codes if c.strip()})
    if role == "team_member" and not codes:
        raise ValueError("a team member needs at least one organisation")
    with db.session() as session:
        known = set(session.scalars(select(Organisation.org_code)))
        unknown = [c for c in codes if c not in known]
        if unknown:
            raise ValueError(f"unknown organisation(s): {', '.join(unknown)}")
        user = session.scalars(select(User).where(User.email == email.strip().lower())).first()
        if user is None:
            user = User(
                email=email.strip().lower(),
                role=role,
                org_codes=codes,
                created_at=dt.datetime.now(dt.UTC),
            )
            session.add(user)
        before = {"role": user.role, "org_codes": list(user.org_codes or [])}
        if user.role == "admin" and role != "admin":
            admins = session.scalar(
                select(func.count()).select_from(User).where(User.role == "admin")
            )
            if admins <= 1:
                raise ValueError("this is the last admin: make someone else admin first")
        user.role = role
        user.org_codes = codes
        audit(
            session,
            viewer.user,
            "role_changed",
            {"email": user.email, "before": before, "after": {"role": role, "org_codes": codes}},
        )


def audit_log(db: Database, viewer: Viewer, *, limit: int = 500) -> pd.DataFrame:
    """The newest audit events (admins only)."""
    require_admin(viewer, "see the audit log")
    with db.connect() as conn:
        result = conn.execute(
            select(AuditEvent.at, AuditEvent.user, AuditEvent.action, AuditEvent.detail)
            .order_by(AuditEvent.id.desc())
            .limit(limit)
        )
        return pd.DataFrame(result.fetchall(), columns=list(result.keys()))
