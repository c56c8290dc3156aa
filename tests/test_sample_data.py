"""Sample data: regenerates identically, holds the promised facts, broken files break as stated.

A small reference checker below reads files with python-calamine / csv (not the ingestion code)
and applies the rules in kinds.py, so demo and example files can be shown to be valid and each
broken file to carry exactly the problems EXPECTED.json lists.
"""

from __future__ import annotations

import csv
import datetime as dt
import importlib.util
import io
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

import pandas as pd
import pytest
import python_calamine

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from impact_data.ingest.kinds import (  # noqa: E402
    IMPACT_COMPONENTS,
    KINDS,
    LIKERT_WORDS,
    Field,
    TableSpec,
    normalise_header,
    question_code_from_header,
)
from impact_data.ingest.templates import template_filename, template_headers  # noqa: E402

SAMPLE = ROOT / "sample_data"
DEMO = SAMPLE / "demo"
EXAMPLES = SAMPLE / "examples"
BROKEN = SAMPLE / "broken"
REFERENCE_DATE = dt.date(2025, 11, 30)
OUTPUT_DIRS = ("demo", "examples", "broken", "templates")


def load_generate() -> ModuleType:
    spec = importlib.util.spec_from_file_location("sample_data_generate", SAMPLE / "generate.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up here
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sample_data")
    load_generate().generate(out)
    return out


# --------------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------------


def read_sheets(path: Path) -> dict[str, list[list[object]]]:
    """Raw cell rows per sheet; a CSV is one sheet named after the file."""
    if path.suffix == ".csv":
        raw = path.read_bytes()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = raw.decode("cp1252")
        first = text.splitlines()[0]
        delimiter = ";" if first.count(";") > first.count(",") else ","
        return {path.stem: list(csv.reader(io.StringIO(text), delimiter=delimiter))}
    wb = python_calamine.load_workbook(path)
    return {name: wb.get_sheet_by_name(name).to_python() for name in wb.sheet_names}


def read_frames(path: Path) -> dict[str, pd.DataFrame]:
    """Every sheet as a frame, header row included as data (so nothing is interpreted)."""
    if path.suffix == ".csv":
        return {k: pd.DataFrame(v) for k, v in read_sheets(path).items()}
    return pd.read_excel(path, sheet_name=None, header=None, engine="calamine")


def demo_frame(file: str, sheet: str | None = None) -> pd.DataFrame:
    return pd.read_excel(DEMO / file, sheet_name=sheet or 0, engine="calamine")


# --------------------------------------------------------------------------------------------
# A reference checker, independent of the ingestion code
# --------------------------------------------------------------------------------------------


@dataclass
class Parsed:
    header_row: int  # as the user sees it (1-based)
    names: list[str | None]  # canonical name per column, None if ignored
    records: list[tuple[int, dict[str, object]]] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)


def blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def header_names(row: list[object], table: TableSpec) -> list[str | None]:
    """Canonical name for each header cell (field or item code), None for columns to ignore."""
    keys = {key: f.name for f in table.fields for key in sorted(f.header_keys())}
    names: list[str | None] = []
    for cell in row:
        name = keys.get(normalise_header(cell))
        if name is None and table.item_columns and not blank(cell):
            code = question_code_from_header(cell)
            name = code[0] if code else None
        names.append(name if name not in names else None)
    return names


def parse_table(rows: list[list[object]], table: TableSpec) -> Parsed:
    """Find the header row (title rows may sit above it) and map headers to canonical names."""
    fields = {f.name for f in table.fields}
    candidates = [
        i for i, row in enumerate(rows[:10]) if len(set(header_names(row, table)) & fields) >= 2
    ]
    assert candidates, "no header row found"
    index = candidates[0]
    names = header_names(rows[index], table)
    parsed = Parsed(index + 1, names)
    parsed.missing = [f.name for f in table.required if f.name not in names]
    for offset, row in enumerate(rows[index + 1 :], start=index + 2):
        if all(blank(v) for v in row):
            continue
        record = {
            n: (None if blank(v) else v.strip() if isinstance(v, str) else v)
            for n, v in zip(names, row, strict=False)
            if n is not None
        }
        parsed.records.append((offset, record))
    return parsed


def as_number(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(str(value))
    except ValueError:
        return None


def as_date(value: object) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(str(value), fmt).date()
        except ValueError:
            pass
    return None


def field_problem(f: Field, value: object, known_orgs: set[str]) -> str | None:
    """What is wrong with one value, or None."""
    if value is None:
        return "required" if f.required else None
    if f.type == "code":
        return None if str(value).upper() in known_orgs else "not a known organisation"
    if f.type in ("int", "float", "year"):
        x = as_number(value)
        if x is None:
            return "not a number"
        if f.type != "float" and not x.is_integer():
            return "not a whole number"
        if (f.minimum is not None and x < f.minimum) or (f.maximum is not None and x > f.maximum):
            return "out of range"
        return None
    if f.type == "date":
        return None if as_date(value) else "not a valid date"
    if f.type == "enum":
        key = normalise_header(value)
        ok = key in {normalise_header(c) for c in f.choices} or key in f.choice_synonyms
        return None if ok else "not an allowed value"
    if f.type == "bool":
        return (
            None
            if normalise_header(value) in {"yes", "no", "y", "n", "true", "false"}
            else "not yes/no"
        )
    if f.type == "component":
        names = {normalise_header(n) for n in IMPACT_COMPONENTS.values()}
        x = as_number(value)
        ok = (x is not None and x in {1, 2, 3, 4, 5}) or normalise_header(value) in names
        return None if ok else "not a component"
    if f.type == "capability_level":
        x = as_number(value)
        names = {normalise_header(n) for n in f.choices}
        ok = (x is not None and x in set(range(1, len(f.choices) + 1))) or (
            normalise_header(value) in names
        )
        return None if ok else "not a capability level"
    return None


def answer_problem(value: object, words: bool) -> str | None:
    if value is None:
        return None
    if words and isinstance(value, str) and normalise_header(value) in LIKERT_WORDS:
        return None
    x = as_number(value)
    return None if x is not None and x in {1, 2, 3, 4, 5} else "not 1-5"


def key_value(value: object) -> object:
    if value is None:
        return None
    if (d := as_date(value)) is not None and not isinstance(value, int | float):
        return d
    if (x := as_number(value)) is not None:
        return x
    return str(value).strip().lower()


Problem = tuple[str, int, str | None]  # table, row, column


def check(
    kind_name: str, sheets: dict[str, list[list[object]]], known_orgs: set[str]
) -> set[Problem]:
    """Every problem in one upload, as (table, row, column)."""
    kind = KINDS[kind_name]
    problems: set[Problem] = set()
    parsed: dict[str, Parsed] = {}
    for table in kind.tables:
        if len(kind.tables) == 1:
            rows = next(iter(sheets.values()))
        else:
            wanted = {normalise_header(s) for s in (*table.sheet_names, table.label, table.name)}
            matches = [r for name, r in sheets.items() if normalise_header(name) in wanted]
            if not matches:
                continue
            rows = matches[0]
        p = parsed[table.name] = parse_table(rows, table)
        problems |= {(table.name, p.header_row, name) for name in p.missing}
        fields = {f.name: f for f in table.fields}
        seen: dict[tuple, int] = {}
        for row, record in p.records:
            for name, value in record.items():
                if name in fields:
                    if field_problem(fields[name], value, known_orgs):
                        problems.add((table.name, row, name))
                elif answer_problem(value, words=table.item_columns == "questions"):
                    problems.add((table.name, row, name))
            for f in table.required:
                if f.name in p.names and record.get(f.name) is None:
                    problems.add((table.name, row, f.name))
            key = tuple(key_value(record.get(k)) for k in table.unique_key)
            if any(k is not None for k in key):
                if key in seen:
                    problems.add((table.name, row, None))
                seen.setdefault(key, row)
    if "projects" in parsed:
        ids = {str(r.get("project_id")) for _, r in parsed["projects"].records}
        for name in ("cycles", "measures"):
            for row, record in parsed.get(name, Parsed(0, [])).records:
                if record.get("project_id") is not None and str(record["project_id"]) not in ids:
                    problems.add((name, row, "project_id"))
    return problems


@pytest.fixture(scope="module")
def known_orgs() -> set[str]:
    return set(demo_frame("organisations.xlsx").org_code)


# --------------------------------------------------------------------------------------------
# Regeneration
# --------------------------------------------------------------------------------------------


def test_generate_accepts_an_output_directory(regenerated: Path) -> None:
    for name in OUTPUT_DIRS:
        assert (regenerated / name).is_dir()
    assert (regenerated / "demo" / "manifest.json").is_file()


def test_regenerated_files_match_committed_by_content(regenerated: Path) -> None:
    for name in OUTPUT_DIRS:
        committed = sorted(p.name for p in (SAMPLE / name).iterdir())
        fresh = sorted(p.name for p in (regenerated / name).iterdir())
        assert fresh == committed, name
        for file in committed:
            old, new = SAMPLE / name / file, regenerated / name / file
            if old.suffix == ".json":
                assert json.loads(new.read_text()) == json.loads(old.read_text()), file
            else:
                old_frames, new_frames = read_frames(old), read_frames(new)
                assert list(new_frames) == list(old_frames), file
                for sheet, frame in old_frames.items():
                    pd.testing.assert_frame_equal(new_frames[sheet], frame, obj=f"{file}[{sheet}]")


def test_sample_data_is_small() -> None:
    total = sum(p.stat().st_size for p in SAMPLE.rglob("*") if p.is_file())
    assert total < 3_000_000


# --------------------------------------------------------------------------------------------
# Demo files
# --------------------------------------------------------------------------------------------


def manifest() -> list[dict[str, str]]:
    return json.loads((DEMO / "manifest.json").read_text())


def test_manifest_lists_every_demo_file_in_load_order() -> None:
    entries = manifest()
    assert entries[0] == {"file": "organisations.xlsx", "kind": "organisations"}
    assert [e["kind"] for e in entries] == list(KINDS)  # one file per kind
    assert sorted(e["file"] for e in entries) == sorted(p.name for p in DEMO.glob("*.xlsx"))


@pytest.mark.parametrize("entry", manifest(), ids=lambda e: e["file"])
def test_demo_files_pass_the_reference_checks(entry: dict[str, str], known_orgs: set[str]) -> None:
    sheets = read_sheets(DEMO / entry["file"])
    assert check(entry["kind"], sheets, known_orgs) == set()
    for table in KINDS[entry["kind"]].tables:  # headers are exactly the canonical names
        rows = sheets[table.label] if len(sheets) > 1 else next(iter(sheets.values()))
        names = {f.name for f in table.fields}
        header = rows[0]
        assert [h for h in header if h in names] == header[: len([h for h in header if h in names])]
        for h in header:
            assert h in names or question_code_from_header(h) == (h, None), h


def test_demo_dates_are_real_date_cells() -> None:
    for entry in manifest():
        kind = KINDS[entry["kind"]]
        sheets = read_sheets(DEMO / entry["file"])
        for table in kind.tables:
            rows = sheets[table.label] if len(sheets) > 1 else next(iter(sheets.values()))
            header = rows[0]
            for f in table.fields:
                if f.type == "date" and f.name in header:
                    col = header.index(f.name)
                    values = [r[col] for r in rows[1:] if r[col] != ""]
                    assert values and all(isinstance(v, dt.date) for v in values), (entry, f.name)


def test_organisations() -> None:
    orgs = demo_frame("organisations.xlsx")
    assert len(orgs) == 10
    assert orgs.org_code.is_unique
    assert all(re.fullmatch(r"Z[A-K]1", c) for c in orgs.org_code)
    assert orgs.org_type.value_counts().to_dict() == {
        "acute": 3,
        "mental_health": 2,
        "specialist": 1,
        "community": 1,
        "ambulance": 1,
        "primary_care": 1,
        "icb": 1,
    }
    assert set(orgs.system) == {"Northmoor and Vale ICS"}
    assert orgs.region.notna().all()


def test_every_org_code_in_the_demo_is_known(known_orgs: set[str]) -> None:
    used: set[str] = set()
    for entry in manifest()[1:]:
        for frame in pd.read_excel(
            DEMO / entry["file"], sheet_name=None, engine="calamine"
        ).values():
            for column in ("org_code", "from_org", "to_org"):
                if column in frame:
                    used |= set(frame[column])
    assert used == known_orgs


def test_staff_survey() -> None:
    ss = demo_frame("staff_survey.xlsx")
    assert sorted(ss.year.unique()) == [2021, 2022, 2023, 2024, 2025]
    culture = {"q3c", "q3d", "q3e", "q3f", "q9f", "q9g", "q9h", "q9i"}
    assert culture <= set(ss.question_code)
    assert ss.question_text.notna().all()
    assert ss.positive_pct.between(0, 100).all() and ss.score.between(0, 10).all()
    assert (ss.responses >= 1).all()
    assert not ss.duplicated(["org_code", "year", "question_code", "team", "staff_group"]).any()

    org = ss[ss.team.isna() & ss.staff_group.isna()]
    assert len(org) == 10 * 5 * ss.question_code.nunique()  # every org, year and question
    assert org.responses.between(100, 5000).all()

    teams = ss[ss.team.notna()]
    per_org = teams.groupby("org_code").team.nunique()
    assert len(per_org) >= 8 and per_org.between(3, 6).all()
    assert (teams.responses < 11).sum() > 20  # suppression is exercised
    groups = ss[ss.staff_group.notna()]
    assert set(groups.staff_group) == {
        "Nursing",
        "Medical",
        "AHP",
        "Admin & clerical",
        "Estates",
        "Support",
    }
    assert set(groups.year) == set(teams.year) == {2023, 2024, 2025}

    autonomy = org[org.question_code.isin(["q3c", "q3d", "q3e", "q3f"])]
    by_year = autonomy.groupby(["org_code", "year"]).positive_pct.mean().unstack()
    change = by_year[2025] - by_year[2021]
    assert (change >= 8).sum() >= 2, change  # a couple of orgs improve for real
    assert (change <= -6).sum() >= 1, change  # and one declines
    assert (change.abs() < 5).sum() >= 5  # the rest hold steady


def test_pulse_survey() -> None:
    pulse = demo_frame("pulse_survey.xlsx")
    questions = ["q3c", "q3d", "q3e", "q3f", "q9f"]
    assert list(pulse.columns) == [
        "org_code",
        "response_date",
        "team",
        "staff_group",
        "respondent_id",
        *questions,
    ]
    assert 4000 <= len(pulse) <= 8000
    assert pulse.respondent_id.is_unique
    months = pulse.response_date.dt.to_period("M").astype(str)
    assert sorted(months.unique()) == ["2024-12"] + [f"2025-{m:02d}" for m in range(1, 12)]

    words = {
        "Strongly disagree": 1,
        "Disagree": 2,
        "Neither agree nor disagree": 3,
        "Agree": 4,
        "Strongly agree": 5,
    }
    answers = pulse[questions]
    is_word = answers.map(lambda v: isinstance(v, str))
    assert set(pulse.org_code[is_word.any(axis=1)]) == {"ZE1"}  # one org writes words
    assert set(answers[is_word].stack().dropna()) <= set(words)
    scores = answers.map(lambda v: words.get(v, v)).astype(float)
    assert scores.stack().dropna().isin([1, 2, 3, 4, 5]).all()
    assert 0.015 < scores.isna().mean().mean() < 0.05

    positive = (scores >= 4).where(scores.notna()).mean(axis=1)
    first = positive[pulse.response_date < "2025-06-01"].groupby(pulse.org_code).mean()
    second = positive[pulse.response_date >= "2025-08-01"].groupby(pulse.org_code).mean()
    assert ((second - first) > 0.15).sum() >= 1  # a real step change mid-year


def test_readiness() -> None:
    r = demo_frame("readiness.xlsx")
    items = [f"c{i}" for i in range(1, 6)] + [f"e{i}" for i in range(1, 8)]
    assert list(r.columns)[-12:] == items
    assert set(r.instrument) == {"oric"}
    assert r.respondent_id.is_unique
    assert r[items].stack().dropna().isin([1, 2, 3, 4, 5]).all()
    sizes = r.groupby(["org_code", "team", "assessment_date"]).size()
    assert sizes.between(4, 25).all() and (sizes < 11).sum() >= 2
    rounds = r.groupby(["org_code", "team"]).assessment_date.nunique()
    assert (rounds == 2).sum() >= 3 and r.org_code.nunique() >= 6
    # Agreement differs: some groups agree strongly (r_wg >= 0.7), some are split.
    rwg = (
        r.groupby(["org_code", "team", "assessment_date"])[items].var().mean(axis=1).rsub(2).div(2)
    )
    assert (rwg >= 0.7).sum() >= 3 and (rwg < 0.4).sum() >= 3


def test_impact_self_assessment() -> None:
    ia = demo_frame("impact_self_assessment.xlsx")
    assert set(ia.component) == {1, 2, 3, 4, 5} and ia.level.between(1, 5).all()
    assert not ia.duplicated(["org_code", "assessment_date", "component"]).any()
    dates = ia.groupby("org_code").assessment_date.nunique()
    assert len(dates) == 10 and dates.between(2, 3).all()
    assert (ia.groupby(["org_code", "assessment_date"]).size() == 5).all()
    assert ia.evidence.notna().all() and ia.next_step.notna().all()


def test_pdsa() -> None:
    sheets = pd.read_excel(DEMO / "pdsa.xlsx", sheet_name=None, engine="calamine")
    assert list(sheets) == ["Projects", "Cycles", "Measures"]
    projects, cycles, measures = sheets["Projects"], sheets["Cycles"], sheets["Measures"]
    assert len(projects) >= 40 and projects.project_id.is_unique
    assert (projects.project_id.str[:3] == projects.org_code).all()
    assert projects.org_code.nunique() == 10
    assert set(projects.improvement_direction) == {"increase", "decrease"}
    assert set(projects.status) <= {"active", "completed", "paused", "stopped"}
    assert 0.3 <= (projects.lived_experience_involved == "yes").mean() <= 0.5
    assert set(projects.lived_experience_involved) == {"yes", "no"}

    assert set(cycles.project_id) == set(projects.project_id)
    per_project = cycles.groupby("project_id").cycle_no.agg(["count", "min", "max"])
    assert per_project["count"].between(2, 8).all()
    assert (per_project["min"] == 1).all() and (per_project["max"] == per_project["count"]).all()
    assert not cycles.duplicated(["project_id", "cycle_no"]).any()
    assert (cycles.end_date.isna() | (cycles.end_date >= cycles.start_date)).all()
    assert set(cycles.decision.dropna()) == {"adopt", "adapt", "abandon"}
    recent = cycles.start_date > pd.Timestamp(REFERENCE_DATE - dt.timedelta(days=90))
    assert recent.sum() > 10
    assert cycles.start_date.max() <= pd.Timestamp(REFERENCE_DATE)
    latest = cycles.sort_values("cycle_no").groupby("project_id").tail(1).set_index("project_id")
    status = projects.set_index("project_id").status
    active = status[status == "active"].index
    assert latest.loc[active, "decision"].isna().all()
    assert latest.drop(active).decision.notna().all()

    assert set(measures.project_id) == set(projects.project_id)
    assert not measures.duplicated(["project_id", "date"]).any()
    assert measures.groupby("project_id").size().between(20, 40).all()
    assert measures.date.max() <= pd.Timestamp(REFERENCE_DATE)
    proportion = measures.numerator.notna()
    assert proportion.any() and (~proportion).any()
    assert (measures.numerator[proportion] <= measures.denominator[proportion]).all()
    assert (
        (measures.value[proportion] - 100 * measures.numerator / measures.denominator)[
            proportion
        ].abs()
        < 0.06
    ).all()
    adopted = measures.note.fillna("").str.startswith("Change adopted")
    assert measures.project_id[adopted].nunique() >= 6  # projects with a real, sustained shift


def test_pdsa_shifts_are_special_cause_and_noise_mostly_is_not() -> None:
    measures = demo_frame("pdsa.xlsx", "Measures")
    shifted = set(measures.project_id[measures.note.fillna("").str.startswith("Change adopted")])
    for project_id, g in measures.groupby("project_id"):
        values = g.value.to_numpy(dtype=float)
        mean = values.mean()
        limit = 2.66 * abs(pd.Series(values).diff()).mean()
        outside = ((values > mean + limit) | (values < mean - limit)).any()
        sides = (values > mean).astype(int) - (values < mean).astype(int)
        longest = max(len(list(run)) for run in _runs(sides))
        if project_id in shifted:
            assert outside or longest >= 7, project_id


def _runs(sides):
    run: list[int] = []
    for s in sides:
        if run and (s != run[-1] or s == 0):
            yield run
            run = []
        run.append(s)
    yield run


def test_visits(known_orgs: set[str]) -> None:
    v = demo_frame("visits.xlsx")
    assert 20 <= len(v) <= 30
    assert (v.from_org != v.to_org).all()
    assert not v.duplicated(["from_org", "to_org", "visit_date"]).any()
    assert set(v.from_org) | set(v.to_org) <= known_orgs
    assert known_orgs - set(v.to_org), "some org is never visited"
    assert known_orgs - set(v.from_org), "some org never visits"
    assert (v.lived_experience_partners <= v.participants).all()


# --------------------------------------------------------------------------------------------
# Examples
# --------------------------------------------------------------------------------------------


def example_manifest() -> list[dict[str, str]]:
    return json.loads((EXAMPLES / "manifest.json").read_text())


def test_examples_manifest_names_every_file() -> None:
    files = {e["file"] for e in example_manifest()}
    assert files == {p.name for p in EXAMPLES.iterdir() if p.name != "manifest.json"}
    assert files >= {
        "staff_survey_title_rows.xlsx",
        "pulse_cp1252_semicolon.csv",
        "pulse_utf8_bom.csv",
        "readiness.ods",
        "impact_self_assessment.xls",
        "pdsa_projects.csv",
        "pdsa_cycles.csv",
        "pdsa_measures.csv",
    }


@pytest.mark.parametrize(
    "entry", [e for e in example_manifest() if e["kind"] != "pdsa"], ids=lambda e: e["file"]
)
def test_examples_are_valid(entry: dict[str, str], known_orgs: set[str]) -> None:
    assert check(entry["kind"], read_sheets(EXAMPLES / entry["file"]), known_orgs) == set()


def test_pdsa_csv_examples_are_valid_together(known_orgs: set[str]) -> None:
    sheets = {}
    for name in ("projects", "cycles", "measures"):
        sheets[name] = read_sheets(EXAMPLES / f"pdsa_{name}.csv")[f"pdsa_{name}"]
    assert check("pdsa", sheets, known_orgs) == set()
    demo_ids = set(demo_frame("pdsa.xlsx", "Projects").project_id)
    assert not {r[0] for r in sheets["projects"][1:]} & demo_ids


def test_staff_survey_example_has_title_rows_and_contractor_headers() -> None:
    rows = read_sheets(EXAMPLES / "staff_survey_title_rows.xlsx")["Results"]
    assert rows[0][0] and rows[1][0] and all(v == "" for v in rows[2])
    assert rows[3] == ["ODS code", "Survey Year", "Question", "Base", "% Positive", "Notes"]
    assert parse_table(rows, KINDS["staff_survey"].tables[0]).header_row == 4


def test_cp1252_pulse_example() -> None:
    raw = (EXAMPLES / "pulse_cp1252_semicolon.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    text = raw.decode("cp1252")
    assert "Café" in text and text.splitlines()[0].count(";") >= 7
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    dates = [r[1] for r in rows[1:]]
    assert all(re.fullmatch(r"\d\d/\d\d/\d{4}", d) for d in dates)
    assert any(int(d[:2]) > 12 for d in dates)  # unambiguously day first
    answers = {v for r in rows[1:] for v in r[5:] if v}
    assert answers <= {
        "Strongly disagree",
        "Disagree",
        "Neither agree nor disagree",
        "Agree",
        "Strongly agree",
    }


def test_utf8_bom_pulse_example() -> None:
    raw = (EXAMPLES / "pulse_utf8_bom.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][:2] == ["org_code", "response_date"]
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\d", r[1]) for r in rows[1:])


def test_ods_and_xls_examples_hold_real_dates() -> None:
    ods = read_sheets(EXAMPLES / "readiness.ods")
    (rows,) = ods.values()
    assert all(isinstance(r[1], dt.date) for r in rows[1:])
    xls = read_sheets(EXAMPLES / "impact_self_assessment.xls")
    (rows,) = xls.values()
    assert all(isinstance(r[1], dt.date) for r in rows[1:])
    assert {r[2] for r in rows[1:]} == set(IMPACT_COMPONENTS.values())


# --------------------------------------------------------------------------------------------
# Broken files
# --------------------------------------------------------------------------------------------


def expected() -> dict[str, dict]:
    return json.loads((BROKEN / "EXPECTED.json").read_text())


def test_expected_json_describes_every_broken_file() -> None:
    exp = expected()
    assert set(exp) == {p.name for p in BROKEN.iterdir() if p.name != "EXPECTED.json"}
    for file, spec in exp.items():
        assert spec["kind"] in KINDS, file
        assert spec["problems"], file
        for problem in spec["problems"]:
            assert isinstance(problem["row"], int) and problem["row"] >= 1
            assert problem["column"] is None or isinstance(problem["column"], str)
            assert problem["contains"] and problem["contains"] == problem["contains"].lower()


@pytest.mark.parametrize("file", sorted(expected()), ids=str)
def test_broken_file_has_exactly_its_stated_problems(file: str, known_orgs: set[str]) -> None:
    spec = expected()[file]
    kind = KINDS[spec["kind"]]
    default_table = kind.tables[0].name
    wanted = {(p.get("table", default_table), p["row"], p["column"]) for p in spec["problems"]}
    assert check(spec["kind"], read_sheets(BROKEN / file), known_orgs) == wanted


def table_keys(kind_name: str, sheets: dict[str, list[list[object]]]) -> set[tuple]:
    """Unique keys of every row, tagged with the table, for one file."""
    kind = KINDS[kind_name]
    keys: set[tuple] = set()
    for table in kind.tables:
        if len(kind.tables) == 1:
            rows = next(iter(sheets.values()))
        else:
            wanted = {normalise_header(s) for s in (*table.sheet_names, table.label, table.name)}
            matches = [r for name, r in sheets.items() if normalise_header(name) in wanted]
            if not matches:
                continue
            rows = matches[0]
        for _, record in parse_table(rows, table).records:
            key = tuple(key_value(record.get(k)) for k in table.unique_key)
            if any(k is not None for k in key):
                keys.add((table.name, *key))
    return keys


def test_examples_and_broken_files_share_no_key_with_the_demo() -> None:
    """So loading any of them after the demo reports only its own problems."""
    demo_keys = {
        e["kind"]: table_keys(e["kind"], read_sheets(DEMO / e["file"])) for e in manifest()
    }
    others = [(EXAMPLES / e["file"], e["kind"]) for e in example_manifest() if e["kind"] != "pdsa"]
    others += [(BROKEN / f, spec["kind"]) for f, spec in expected().items()]
    for path, kind_name in others:
        assert not table_keys(kind_name, read_sheets(path)) & demo_keys[kind_name], path.name


def cell(file: str, row: int, column: str, sheet: str | None = None) -> object:
    sheets = read_sheets(BROKEN / file)
    rows = sheets[sheet] if sheet else next(iter(sheets.values()))
    return rows[row - 1][rows[0].index(column)]


def test_broken_files_hold_the_stated_values() -> None:
    assert cell("staff_survey_positive_over_100.xlsx", 6, "positive_pct") == 104
    assert cell("staff_survey_positive_over_100.xlsx", 13, "responses") < 0
    assert cell("impact_level_6.xlsx", 9, "level") == 6
    assert (
        read_sheets(BROKEN / "pulse_missing_org_code.csv")["pulse_missing_org_code"][0][0]
        == "Org cde"
    )
    assert {cell("readiness_unknown_org.xlsx", r, "org_code") for r in (5, 17)} == {"QQ9", "QQ8"}
    dup = read_sheets(BROKEN / "staff_survey_duplicates.xlsx")["Staff survey"]
    assert dup[13] == dup[6]
    assert [cell("pulse_bad_dates.csv", r, "response_date") for r in (7, 16, 24)] == [
        "31/02/2025",
        "12/31/2025",
        "not a date",
    ]
    assert [
        cell("pulse_bad_likert.xlsx", r, c) for r, c in ((5, "q3c"), (11, "q3e"), (19, "q9f"))
    ] == [7, 0, "Sometimes"]
    assert cell("pdsa_cycle_unknown_project.xlsx", 4, "project_id", "Cycles") == "ZB1-099"
    assert cell("visits_missing_required.csv", 8, "visit_date") == ""


# --------------------------------------------------------------------------------------------
# Templates written beside the data
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind_name", list(KINDS))
def test_committed_templates_have_canonical_headers(kind_name: str) -> None:
    path = SAMPLE / "templates" / template_filename(kind_name)
    sheets = read_sheets(path)
    assert list(sheets)[0] == "Instructions"
    for label, header in template_headers(kind_name).items():
        assert sheets[label] == [header]
