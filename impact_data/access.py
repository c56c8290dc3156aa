"""Who is looking: the viewer passed to every query and write.

Local mode (no sign-in configured) is one user with full access. Deployed roles: admin and
executive see every organisation's detail; a team member sees detail only for their own
organisations and the rest as organisation-level aggregates; a facilitator runs workshops.
"""

from __future__ import annotations

from dataclasses import dataclass, field

ROLES = ("admin", "executive", "team_member", "facilitator")
FULL_ACCESS_ROLES = ("local", "admin", "executive")


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
    def sees_all_detail(self) -> bool:
        return self.role in FULL_ACCESS_ROLES

    def detail_orgs(self) -> frozenset[str] | None:
        """Organisations whose team-level detail this viewer may see (None: all)."""
        return None if self.sees_all_detail else self.org_codes

    def can_see_detail(self, org_code: str) -> bool:
        return self.sees_all_detail or org_code in self.org_codes

    def can_upload_for(self, org_codes: set[str] | frozenset[str]) -> bool:
        if self.role in ("local", "admin"):
            return True
        if self.role in ("team_member", "executive"):
            return bool(org_codes) and set(org_codes) <= self.org_codes
        return False
