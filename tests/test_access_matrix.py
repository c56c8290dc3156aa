"""Every query and write function of the data layer, called as each role.

Queries: someone without a role is refused; a team member sees team-level detail
(teams, staff groups, respondents, projects) only for their own organisation; a facilitator
sees no team-level detail. Writes: each is allowed or refused as the role matrix says.
"""

from __future__ import annotations

import datetime as dt
import importlib
import inspect

import pandas as pd
import pytest

from impact_data.access import AccessDenied, Viewer
from impact_data.demo import load_demo
from impact_data.ingest import DeleteRefused, commit_upload, delete_upload, prepare_upload
from tests.files import csv_bytes

QUERY_MODULES = [
    "impact_data.measures.queries",
    "impact_data.measures.culture",
    "impact_data.measures.readiness",
    "impact_data.measures.pdsa",
    "impact_data.measures.national",
    "impact_data.measures.capability",
    "impact_data.views.overview",
    "impact_data.views.readiness",
    "impact_data.views.culture",
    "impact_data.views.pdsa",
    "impact_data.views.compare",
    "impact_data.views.capability",
]
WRITES = {
    "save_version",
    "save_instrument",
    "set_level_labels",
    "log_cycle",
    "log_measure",
    "record_visit",
    "set_role",
    "set_suppression_threshold",
    "set_capability_level_labels",
}
ROLES = {
    "admin": Viewer("ada@nhs.net", "admin"),
    "executive": Viewer("eve@nhs.net", "executive"),
    "team_member": Viewer("tom@nhs.net", "team_member", frozenset({"ZA1"})),
    "facilitator": Viewer("fay@nhs.net", "facilitator"),
    "none": Viewer("new@nhs.net", "none"),
}
# Values for required arguments, by parameter name.
ARGUMENTS = {
    "org_code": "ZA1",
    "project_id": "ZA1-001",
    "project_ids": ["ZA1-001"],
    "question_codes": ["q3f"],
    "metric_codes": ["PP1"],
    "dimension": None,
    "until": dt.date(2025, 11, 30),  # the sample system's default reporting period's end
}
DETAIL_COLUMNS = ("team", "staff_group", "respondent_id", "respondent_ref", "project_id")


def _query_functions():
    found = []
    for name in QUERY_MODULES:
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        for attr, fn in vars(module).items():
            if attr.startswith("_") or attr in WRITES or not inspect.isfunction(fn):
                continue
            if getattr(fn, "__module__", None) != module.__name__:
                continue
            signature = inspect.signature(fn).parameters
            params = list(signature)
            # A viewer with a default (None) marks a utility that returns no people's data.
            if (
                params[:2] == ["db", "viewer"]
                and signature["viewer"].default is inspect.Parameter.empty
            ):
                found.append((name.rsplit(".", 1)[1], attr, fn))
    return found


FUNCTIONS = _query_functions()


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    from impact_data.store.db import Database

    db = Database(f"sqlite:///{tmp_path_factory.mktemp('matrix') / 'matrix.db'}")
    load_demo(db)
    yield db
    db.dispose()


def _call(fn, db, viewer):
    kwargs = {}
    for name, param in list(inspect.signature(fn).parameters.items())[2:]:
        if param.default is inspect.Parameter.empty and param.kind in (
            param.POSITIONAL_OR_KEYWORD,
            param.KEYWORD_ONLY,
        ):
            if name not in ARGUMENTS:
                pytest.skip(f"no test value for required argument {name!r}")
            kwargs[name] = ARGUMENTS[name]
    return fn(db, viewer, **kwargs)


def _frames(result):
    if isinstance(result, pd.DataFrame):
        yield result
    elif isinstance(result, dict):
        for value in result.values():
            yield from _frames(value)
    elif isinstance(result, (list, tuple)):
        for value in result:
            yield from _frames(value)
    elif hasattr(result, "__dataclass_fields__"):
        for field in result.__dataclass_fields__:
            yield from _frames(getattr(result, field))


def test_the_matrix_covers_the_data_layer():
    modules = {m for m, _, _ in FUNCTIONS}
    assert {"queries", "culture", "readiness", "national"} <= modules
    assert len(FUNCTIONS) >= 30


@pytest.mark.parametrize("module,name,fn", FUNCTIONS, ids=[f"{m}.{n}" for m, n, _ in FUNCTIONS])
def test_no_role_means_no_data(sample, module, name, fn):
    with pytest.raises(AccessDenied):
        _call(fn, sample, ROLES["none"])


@pytest.mark.parametrize("module,name,fn", FUNCTIONS, ids=[f"{m}.{n}" for m, n, _ in FUNCTIONS])
@pytest.mark.parametrize("role", ["team_member", "facilitator"])
def test_detail_only_for_own_organisations(sample, module, name, fn, role):
    viewer = ROLES[role]
    try:
        result = _call(fn, sample, viewer)
    except AccessDenied:
        return
    except ValueError as exc:
        # "no project ... that you can see": refused without saying whether it exists.
        assert "can see" in str(exc), exc
        return
    allowed = viewer.detail_orgs()
    for frame in _frames(result):
        org_col = next((c for c in ("org_code", "from_org") if c in frame.columns), None)
        for col in DETAIL_COLUMNS:
            if col not in frame.columns or org_col is None or frame.empty:
                continue
            detail_rows = frame[frame[col].notna() & (frame[col].astype(str) != "")]
            leaked = set(detail_rows[org_col]) - set(allowed)
            assert not leaked, f"{module}.{name}: {col} rows of {sorted(leaked)} shown to a {role}"


def test_full_access_roles_see_other_organisations_detail(sample):
    from impact_data.measures import queries

    for role in ("admin", "executive"):
        teams = queries.staff_survey_results(sample, ROLES[role], level="team")
        assert teams["org_code"].nunique() > 1


def test_write_matrix(sample):
    from impact_data.measures.culture import DEFAULT_DEFINITION, save_version
    from impact_data.measures.readiness import InstrumentItemSpec, save_instrument, set_level_labels
    from impact_data.store.settings import set_capability_level_labels, set_suppression_threshold
    from impact_data.users import set_role
    from impact_data.workshop import create_session

    items = [InstrumentItemSpec("m1", "Values", "We share values")]
    writes = {
        "save culture measure": lambda v: save_version(
            sample, v, DEFAULT_DEFINITION, "matrix test"
        ),
        "save instrument": lambda v: save_instrument(
            sample, v, code="matrix", name="Matrix", scale_min=1, scale_max=5, items=items
        ),
        "level labels": lambda v: set_level_labels(sample, v, ["a", "b", "c", "d", "e"]),
        "suppression threshold": lambda v: set_suppression_threshold(sample, v, 11),
        "capability levels": lambda v: set_capability_level_labels(
            sample, v, ["Awareness", "Foundation", "Practitioner", "Coach", "Expert"]
        ),
        "set a role": lambda v: set_role(sample, v, "someone@nhs.net", "executive"),
        "open a workshop": lambda v: create_session(sample, v, "ideas", "matrix"),
    }
    allowed = {
        "admin": set(writes),
        "executive": set(),
        "team_member": set(),
        "facilitator": {"open a workshop"},
        "none": set(),
    }
    for role, viewer in ROLES.items():
        for what, write in writes.items():
            if what in allowed[role]:
                write(viewer)
            else:
                with pytest.raises(AccessDenied):
                    write(viewer)


def test_upload_and_delete_matrix(sample):
    rows = [
        ["org_code", "assessment_date", "component", "level"],
        ["ZA1", dt.date(2026, 1, 1).isoformat(), 1, 3],
    ]
    for role, viewer in ROLES.items():
        prepared = prepare_upload(sample, csv_bytes(rows), f"{role}.csv", "impact_self_assessment")
        if role in ("admin", "team_member"):
            result = commit_upload(sample, prepared, viewer=viewer)
            other = ROLES["facilitator"]
            with pytest.raises(AccessDenied):
                delete_upload(sample, result.upload_id, viewer=other)
            delete_upload(sample, result.upload_id, viewer=viewer)
        else:
            with pytest.raises(AccessDenied):
                commit_upload(sample, prepared, viewer=viewer)
    organisations_upload = 1  # made by the sample loader: ZA1..ZK1
    with pytest.raises(AccessDenied):
        delete_upload(sample, organisations_upload, viewer=ROLES["team_member"])
    with pytest.raises(DeleteRefused):
        delete_upload(sample, organisations_upload, viewer=ROLES["admin"])
