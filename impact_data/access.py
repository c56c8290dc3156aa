"""Who is looking: the viewer passed to every query and write.

Local mode (no sign-in configured) is one user with full access. Deployed roles: admin and
executive see every organisation's detail; a team member sees detail (teams, staff groups,
respondents, PDSA projects) only for their own organisations and the rest as
organisation-level aggregates; a facilitator runs workshops and sees organisation-level
aggregates. Someone signed in without a role yet ("none") sees nothing until an admin
assigns one. Checks live here and in the data layer, never only in the pages.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

__all__ = [
    "ADMIN_ROLES",
    "FULL_ACCESS_ROLES",
    "ROLES",
    "ROLE_LABELS",
    "AccessDenied",
    "Viewer",
    "require_admin",
    "requires_access",
]

ROLES = ("admin", "executive", "team_member", "facilitator")
ROLE_LABELS = {
    "admin": "Admin: everything, including users and settings",
    "executive": "Executive: every organisation's detail",
    "team_member": "Team member: own organisations' detail, others as organisation figures",
    "facilitator": "Facilitator: runs workshops; organisation figures",
    "none": "No access yet",
}
FULL_ACCESS_ROLES = ("local", "admin", "executive")
ADMIN_ROLES = ("local", "admin")


class AccessDenied(Exception):
    """The viewer may not do this."""


@dataclass(frozen=True)
class Viewer:
    """A person using the app or a script, with their role and organisations."""

    user: str
    role: str
    org_codes: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def local(cls) -> Viewer:
        """The single local-mode user: everything is visible and editable."""
        return cls(user="local user", role="local")

    @property
    def has_access(self) -> bool:
        """False for someone signed in whom no admin has given a role yet."""
        return self.role in ("local", *ROLES)

    @property
    def scope(self) -> tuple[str, tuple[str, ...]]:
        """What this viewer may see (role and organisations), not who they are: the key two
        viewers share a cached figure by."""
        return self.role, tuple(sorted(self.org_codes))

    @property
    def is_admin(self) -> bool:
        return self.role in ADMIN_ROLES

    @property
    def sees_all_detail(self) -> bool:
        return self.role in FULL_ACCESS_ROLES

    def detail_orgs(self) -> frozenset[str] | None:
        """Organisations whose team-level detail this viewer may see (None: all)."""
        if self.sees_all_detail:
            return None
        return self.org_codes if self.role == "team_member" else frozenset()

    def can_see_detail(self, org_code: str) -> bool:
        detail = self.detail_orgs()
        return detail is None or org_code in detail

    def scoped_to(self, org_codes: set[str] | frozenset[str]) -> Viewer:
        """This person with upload rights for exactly these organisations: for a write the
        data layer composes and checks itself (a facilitator saving their own workshop as a
        readiness round), never for a file from outside."""
        return Viewer(self.user, "team_member", frozenset(org_codes))

    @property
    def can_upload(self) -> bool:
        """Whether this viewer may load any file at all (checked before a file is read)."""
        return self.is_admin or (self.role in ("team_member", "executive") and bool(self.org_codes))

    def can_upload_for(self, org_codes: set[str] | frozenset[str]) -> bool:
        """Uploads and deletions: admins any organisation, others only their own."""
        if self.is_admin:
            return True
        if self.role in ("team_member", "executive"):
            return bool(org_codes) and set(org_codes) <= self.org_codes
        return False


F = TypeVar("F", bound=Callable)


def requires_access(fn: F) -> F:
    """Refuse a `fn(db, viewer, ...)` query to viewers without a role."""

    @functools.wraps(fn)
    def wrapper(db, viewer: Viewer, *args, **kwargs):
        if not isinstance(viewer, Viewer) or not viewer.has_access:
            raise AccessDenied("you have no access yet: ask an admin to give you a role")
        return fn(db, viewer, *args, **kwargs)

    return wrapper  # type: ignore[return-value]


def require_admin(viewer: Viewer, what: str = "do this") -> None:
    if not viewer.is_admin:
        raise AccessDenied(f"only an admin can {what}")
