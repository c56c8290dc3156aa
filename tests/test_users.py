"""Sign-in, roles, write permissions and the audit log."""

from __future__ import annotations

import pytest

from impact_data.access import AccessDenied, Viewer
from impact_data.ingest import commit_upload, delete_upload, prepare_upload
from impact_data.users import audit_log, set_role, sign_in, users, viewer_for
from tests.files import ORGS, csv_bytes


def test_first_user_is_admin_later_users_wait(db):
    first = sign_in(db, "Ada@NHS.net", "Ada")
    assert first == Viewer("ada@nhs.net", "admin")
    later = sign_in(db, "bob@nhs.net")
    assert later.role == "none" and not later.has_access
    assert sign_in(db, "ada@nhs.net").role == "admin"  # still admin on the next visit
    listed = users(db, first)
    assert listed[["email", "role"]].values.tolist() == [
        ["ada@nhs.net", "admin"],
        ["bob@nhs.net", "none"],
    ]
    with pytest.raises(AccessDenied):
        users(db, later)


def test_roles_are_set_by_admins_and_audited(db):
    admin = sign_in(db, "ada@nhs.net")
    sign_in(db, "bob@nhs.net")
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
