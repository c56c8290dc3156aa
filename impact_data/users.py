"""Signed-in users, their roles, and the audit log.

Someone is identified by their sign-in provider's issuer and subject (`iss` + `sub`), which
never change and are never reused; an email address is only a way to match an address an
admin invited, and only when the provider says it is verified (`email_verified`, or Entra ID's
`xms_edov`). An unverified address is never stored and never matches anyone.

The first person to sign in on a fresh deployment becomes admin; anyone after that has no
access until an admin gives them a role. Every role change, sign-in, upload, deletion and
measure edit is written to the audit log.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from impact_data.access import ROLES, AccessDenied, Viewer, require_admin
from impact_data.store.db import Database
from impact_data.store.models import AuditEvent, Organisation, User

__all__ = [
    "Identity",
    "audit",
    "audit_log",
    "record",
    "set_role",
    "sign_in",
    "user_label",
    "users",
    "viewer_for",
    "viewer_for_identity",
]

_TRUE = (True, 1, "true", "True", "1")


def audit(session: Session, user: str, action: str, detail: dict | str) -> None:
    """Record an event in the caller's transaction (so it commits or rolls back with it)."""
    text = detail if isinstance(detail, str) else json.dumps(detail, default=str, sort_keys=True)
    session.add(AuditEvent(at=dt.datetime.now(dt.UTC), user=user, action=action, detail=text))


def record(db: Database, viewer: Viewer, action: str, detail: dict | str) -> None:
    """Record an event in its own transaction."""
    with db.session() as session:
        audit(session, viewer.user, action, detail)


@dataclass(frozen=True)
class Identity:
    """Who the sign-in provider says has signed in: issuer + subject, and what it claims."""

    issuer: str
    subject: str
    email: str | None = None
    email_verified: bool = False
    name: str | None = None

    @classmethod
    def from_claims(cls, claims: Mapping[str, object]) -> Identity:
        """The identity in an ID token's claims (as `st.user` gives them)."""
        email = str(claims.get("email") or "").strip().lower() or None
        verified = claims.get("email_verified") in _TRUE or claims.get("xms_edov") in _TRUE
        name = claims.get("name")
        return cls(
            issuer=str(claims.get("iss") or "").strip(),
            subject=str(claims.get("sub") or "").strip(),
            email=email,
            email_verified=bool(email) and verified,
            name=str(name) if name else None,
        )

    @property
    def verified_email(self) -> str | None:
        """The email address, only if the provider says it is verified."""
        return self.email if self.email_verified else None


def user_label(user: User) -> str:
    """How a user is named in the app and the audit log: their verified or invited email, else
    their subject at their provider."""
    if user.email:
        return user.email
    host = urlsplit(user.issuer or "").netloc or user.issuer or "unknown provider"
    return f"{user.subject} at {host}"


def _viewer(user: User) -> Viewer:
    return Viewer(user_label(user), user.role, frozenset(user.org_codes or []))


def sign_in(db: Database, identity: Identity) -> Viewer:
    """The viewer for someone who has just signed in (creating their user on first visit)."""
    if not identity.issuer or not identity.subject:
        raise AccessDenied("the sign-in provider gave no issuer and subject (iss, sub)")
    verified = identity.verified_email
    now = dt.datetime.now(dt.UTC)
    with db.session() as session:
        if db.dialect == "postgresql":
            # Two first sign-ins at once must not both become admin.
            session.execute(select(func.pg_advisory_xact_lock(4242002)))
        user = session.scalars(
            select(User).where(User.issuer == identity.issuer, User.subject == identity.subject)
        ).first()
        if user is None and verified:
            # An address an admin invited (or a user from before sign-in by subject), claimed
            # for the first time by a provider that vouches for it.
            user = session.scalars(
                select(User).where(User.email == verified, User.subject.is_(None))
            ).first()
            if user is not None:
                user.issuer, user.subject = identity.issuer, identity.subject
                audit(session, verified, "identity_linked", {"issuer": identity.issuer})
        if user is None:
            taken = verified and session.scalar(select(User.id).where(User.email == verified))
            first = session.scalar(select(func.count()).select_from(User)) == 0
            user = User(
                email=None if taken else verified,
                issuer=identity.issuer,
                subject=identity.subject,
                name=identity.name,
                role="admin" if first else "none",
                org_codes=[],
                created_at=now,
            )
            session.add(user)
            session.flush()
            audit(
                session,
                user_label(user),
                "user_created",
                {
                    "role": user.role,
                    "first_user": first,
                    "issuer": identity.issuer,
                    "email_verified": identity.email_verified,
                },
            )
        elif (
            verified
            and user.email != verified
            and not session.scalar(select(User.id).where(User.email == verified))
        ):
            # The provider now vouches for a new address, which nobody else has: keep it.
            user.email = verified
        user.last_sign_in = now
        if identity.name and not user.name:
            user.name = identity.name
        audit(session, user_label(user), "sign_in", {"role": user.role})
        return _viewer(user)


def viewer_for_identity(db: Database, issuer: str, subject: str) -> Viewer:
    """The current viewer for a signed-in issuer + subject (roles can change while signed in)."""
    with db.read_session() as session:
        user = session.scalars(
            select(User).where(User.issuer == issuer, User.subject == subject)
        ).first()
        if user is None:
            return Viewer(f"{subject} at {urlsplit(issuer).netloc or issuer}", "none")
        return _viewer(user)


def _find_user(session: Session, who: str) -> User | None:
    """The user with this email, or with this label (see `user_label`)."""
    key = who.strip()
    user = session.scalars(select(User).where(User.email == key.lower())).first()
    if user is not None or "@" in key and " " not in key:
        return user
    candidates = session.scalars(select(User).where(User.email.is_(None))).all()
    return next((u for u in candidates if user_label(u) == key), None)


def viewer_for(db: Database, who: str) -> Viewer:
    """The current viewer for a user's email or label."""
    with db.read_session() as session:
        user = _find_user(session, who)
        if user is None:
            return Viewer(who.strip().lower(), "none")
        return _viewer(user)


def users(db: Database, viewer: Viewer) -> pd.DataFrame:
    """Every user with role, organisations, how they sign in and last sign-in (admins only)."""
    require_admin(viewer, "see users")
    with db.read_session() as session:
        rows = session.scalars(
            select(User).order_by(User.email.is_(None), User.email, User.id)
        ).all()
        return pd.DataFrame(
            [
                {
                    "user": user_label(u),
                    "email": u.email,
                    "name": u.name,
                    "role": u.role,
                    "org_codes": ", ".join(u.org_codes or []),
                    "signs_in_as": f"{u.subject} at {u.issuer}"
                    if u.subject
                    else "invited: not signed in yet",
                    "last_sign_in": u.last_sign_in,
                }
                for u in rows
            ],
            columns=[
                "user",
                "email",
                "name",
                "role",
                "org_codes",
                "signs_in_as",
                "last_sign_in",
            ],
        )


def set_role(
    db: Database, viewer: Viewer, user: str, role: str, org_codes: Iterable[str] = ()
) -> None:
    """Give a user (by email or label) a role, and organisations for team members; admins only.

    An email nobody has signed in with yet is an invitation: the first sign-in whose provider
    verifies that address takes it. Changes that could leave no admin are serialised (the
    admins' rows are locked), so two admins demoting each other at once leave one admin.
    """
    require_admin(viewer, "change roles")
    if role not in (*ROLES, "none"):
        raise ValueError(f"role must be one of: {', '.join(ROLES)}, none")
    codes = sorted({c.strip().upper() for c in org_codes if c.strip()})
    if role == "team_member" and not codes:
        raise ValueError("a team member needs at least one organisation")
    with db.session() as session:
        # SQLite: the session's BEGIN IMMEDIATE already holds the write lock. PostgreSQL: lock
        # every admin's row before counting them, so a concurrent demotion waits for this one
        # and then counts again.
        admin_ids = session.scalars(
            select(User.id).where(User.role == "admin").order_by(User.id).with_for_update()
        ).all()
        known = set(session.scalars(select(Organisation.org_code)))
        unknown = [c for c in codes if c not in known]
        if unknown:
            raise ValueError(f"unknown organisation(s): {', '.join(unknown)}")
        target = _find_user(session, user)
        if target is None:
            email = user.strip().lower()
            if "@" not in email or " " in email:
                raise ValueError(f"there is no user {user!r}; invite someone by their email")
            target = User(
                email=email, role=role, org_codes=codes, created_at=dt.datetime.now(dt.UTC)
            )
            session.add(target)
        before = {"role": target.role, "org_codes": list(target.org_codes or [])}
        if target.role == "admin" and role != "admin" and len(admin_ids) <= 1:
            raise ValueError("this is the last admin: make someone else admin first")
        target.role = role
        target.org_codes = codes
        audit(
            session,
            viewer.user,
            "role_changed",
            {
                "email": user_label(target),
                "before": before,
                "after": {"role": role, "org_codes": codes},
            },
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
