"""Sign-in, roles, write permissions and the audit log."""

from __future__ import annotations

import threading

import pytest

from impact_data.access import AccessDenied, Viewer
from impact_data.ingest import commit_upload, delete_upload, prepare_upload
from impact_data.users import (
    Identity,
    audit_log,
    set_role,
    sign_in,
    users,
    viewer_for,
    viewer_for_identity,
)
from tests.files import ORGS, csv_bytes

ISSUER = "https://login.example.org/tenant/v2.0"


def person(subject: str, email: str | None = None, *, verified: bool = True, **claims) -> Identity:
    """An identity as the provider's ID token gives it."""
    return Identity.from_claims(
        {"iss": ISSUER, "sub": subject, "email": email, "email_verified": verified, **claims}
    )


def test_first_user_is_admin_later_users_wait(db):
    first = sign_in(db, person("ada-1", "Ada@NHS.net", name="Ada"))
    assert first == Viewer("ada@nhs.net", "admin")
    later = sign_in(db, person("bob-2", "bob@nhs.net"))
    assert later.role == "none" and not later.has_access
    assert sign_in(db, person("ada-1", "ada@nhs.net")).role == "admin"  # still admin next time
    listed = users(db, first)
    assert listed[["email", "role"]].values.tolist() == [
        ["ada@nhs.net", "admin"],
        ["bob@nhs.net", "none"],
    ]
    assert listed["signs_in_as"].tolist() == [f"ada-1 at {ISSUER}", f"bob-2 at {ISSUER}"]
    with pytest.raises(AccessDenied):
        users(db, later)


def test_an_unverified_email_never_signs_in_as_its_owner(db):
    """Today's main signed in a token with the admin's email in another case and
    email_verified false as the admin."""
    admin = sign_in(db, person("ada-1", "ada@nhs.net"))
    forged = sign_in(db, person("mallory-9", "ADA@NHS.NET", verified=False, name="Ada"))
    assert forged.role == "none" and not forged.has_access
    assert forged.user == "mallory-9 at login.example.org"
    assert viewer_for_identity(db, ISSUER, "mallory-9").role == "none"
    assert viewer_for_identity(db, ISSUER, "ada-1") == admin
    people = users(db, admin)
    assert people["email"].fillna("").tolist() == ["ada@nhs.net", ""]  # unverified: not kept
    # Without any email_verified claim at all, the address is not trusted either.
    assert sign_in(db, person("eve-8", "ada@nhs.net", verified=None)).role == "none"
    # The same email at another provider (another issuer) is someone else too.
    other = Identity.from_claims(
        {"iss": "https://evil.example", "sub": "ada-1", "email": "ada@nhs.net"}
    )
    assert sign_in(db, other).role == "none"


def test_an_invited_address_is_taken_only_with_a_verified_email(db):
    admin = sign_in(db, person("ada-1", "ada@nhs.net"))
    commit_upload(
        db, prepare_upload(db, csv_bytes(ORGS), "orgs.csv", "organisations"), viewer=admin
    )
    set_role(db, admin, "tom@nhs.net", "team_member", ["ZA1"])  # an invitation
    assert sign_in(db, person("tom-x", "tom@nhs.net", verified=False)).role == "none"
    tom = sign_in(db, person("tom-2", "Tom@nhs.net", verified=True))
    assert tom == Viewer("tom@nhs.net", "team_member", frozenset({"ZA1"}))
    # Bound to that subject now: another subject verified for the same address gets nothing.
    assert sign_in(db, person("tom-3", "tom@nhs.net")).role == "none"
    assert viewer_for_identity(db, ISSUER, "tom-2").role == "team_member"
    # Entra ID says "verified" with xms_edov rather than email_verified.
    set_role(db, admin, "una@nhs.net", "executive")
    entra = Identity.from_claims(
        {"iss": ISSUER, "sub": "una-4", "email": "una@nhs.net", "xms_edov": True}
    )
    assert sign_in(db, entra).role == "executive"


def test_an_identity_without_a_subject_is_refused(db):
    with pytest.raises(AccessDenied, match="issuer and subject"):
        sign_in(db, Identity.from_claims({"email": "ada@nhs.net", "email_verified": True}))


def test_roles_are_set_by_admins_and_audited(db):
    admin = sign_in(db, person("ada-1", "ada@nhs.net"))
    sign_in(db, person("bob-2", "bob@nhs.net"))
    commit_upload(
        db, prepare_upload(db, csv_bytes(ORGS), "orgs.csv", "organisations"), viewer=admin
    )
    set_role(db, admin, "bob@nhs.net", "team_member", ["za1"])
    assert viewer_for(db, "bob@nhs.net") == Viewer("bob@nhs.net", "team_member", frozenset({"ZA1"}))
    with pytest.raises(ValueError, match="at least one organisation"):
        set_role(db, admin, "bob@nhs.net", "team_member", [])
    with pytest.raises(ValueError, match="unknown organisation"):
        set_role(db, admin, "bob@nhs.net", "team_member", ["QQ1"])
    with pytest.raises(ValueError, match="last admin"):
        set_role(db, admin, "ada@nhs.net", "executive")
    with pytest.raises(AccessDenied):
        set_role(db, viewer_for(db, "bob@nhs.net"), "bob@nhs.net", "admin")
    log = audit_log(db, admin)
    assert log["action"].tolist()[:2] == ["role_changed", "upload"]
    assert '"email": "bob@nhs.net"' in log["detail"].iloc[0]
    assert set(log["action"]) >= {"sign_in", "user_created", "upload", "role_changed"}


def test_uploads_and_deletions_only_for_own_organisations(db):
    admin = Viewer("ada@nhs.net", "admin")
    commit_upload(
        db, prepare_upload(db, csv_bytes(ORGS), "orgs.csv", "organisations"), viewer=admin
    )
    za1 = Viewer("bob@nhs.net", "team_member", frozenset({"ZA1"}))
    own = [["org_code", "year", "question_code", "responses"], ["ZA1", 2024, "q3f", 100]]
    other = [["org_code", "year", "question_code", "responses"], ["ZB1", 2024, "q3f", 100]]
    mine = commit_upload(
        db, prepare_upload(db, csv_bytes(own), "own.csv", "staff_survey"), viewer=za1
    )
    with pytest.raises(AccessDenied, match="own organisations"):
        commit_upload(
            db, prepare_upload(db, csv_bytes(other), "other.csv", "staff_survey"), viewer=za1
        )
    theirs = commit_upload(
        db, prepare_upload(db, csv_bytes(other), "other.csv", "staff_survey"), viewer=admin
    )
    with pytest.raises(AccessDenied):
        delete_upload(db, theirs.upload_id, viewer=za1)
    with pytest.raises(AccessDenied):
        own_2023 = [own[0], ["ZA1", 2023, "q3f", 90]]
        prepared = prepare_upload(db, csv_bytes(own_2023), "own2.csv", "staff_survey")
        commit_upload(db, prepared, viewer=Viewer("f", "facilitator"))
    assert delete_upload(db, mine.upload_id, viewer=za1) == {"staff_survey_results": 1}
    actions = audit_log(db, admin)["action"].tolist()
    assert actions[:1] == ["delete_upload"] and actions.count("upload") == 3


def test_unverified_users_get_roles_by_their_label(db):
    admin = sign_in(db, person("ada-1", "ada@nhs.net"))
    nobody = sign_in(db, person("zed-5", None))
    assert nobody.user == "zed-5 at login.example.org"
    set_role(db, admin, nobody.user, "facilitator")
    assert viewer_for_identity(db, ISSUER, "zed-5").role == "facilitator"
    with pytest.raises(ValueError, match="no user"):
        set_role(db, admin, "someone at nowhere", "facilitator")


@pytest.mark.parametrize("trial", range(10))
def test_two_admins_demoting_each_other_at_once_leave_an_admin(db, trial):
    """On today's main, PostgreSQL left no admin in 8 of 10 trials."""
    ada = sign_in(db, person("ada-1", "ada@nhs.net"))
    sign_in(db, person("bob-2", "bob@nhs.net"))
    set_role(db, ada, "bob@nhs.net", "admin")
    bob = viewer_for(db, "bob@nhs.net")
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def demote(me: Viewer, other: str) -> None:
        barrier.wait()
        try:
            set_role(db, me, other, "executive")
            outcomes.append("demoted")
        except ValueError as exc:
            outcomes.append(str(exc))

    threads = [
        threading.Thread(target=demote, args=(ada, "bob@nhs.net")),
        threading.Thread(target=demote, args=(bob, "ada@nhs.net")),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    roles = users(db, Viewer.local()).set_index("email")["role"]
    assert sorted(roles.tolist()) == ["admin", "executive"]
    assert sorted(outcomes) == [
        "demoted",
        "this is the last admin: make someone else admin first",
    ]
