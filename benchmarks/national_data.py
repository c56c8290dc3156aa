"""A national-scale data set for speed work: the sample system's shape, repeated across England.

`write_national(out_dir, n_orgs=220, n_systems=42)` writes one file per upload kind (CSV, and an
.xlsx workbook for PDSA) and a manifest; `load_national(db, out_dir)` loads them through the same
ingest path as the Upload page. Everything comes from numpy's default_rng with a fixed seed, so a
run always writes the same data; nothing is committed to the repository.

Shape at the defaults (issue 20): 220 organisations in 42 systems; 5 Staff Survey years with
organisation, team and staff-group rows; 24 months of pulse surveys; 3 readiness rounds; 3 NHS
IMPACT self-assessments; ~6,000 PDSA projects each with a measure; learning visits.

    python benchmarks/national_data.py OUT_DIR [--orgs 220] [--systems 42]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import zlib
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

SEED = 20261207
YEARS = (2021, 2022, 2023, 2024, 2025)
BREAKDOWN_YEARS = (2023, 2024, 2025)
QUESTIONS = {
    "q2a": "I look forward to going to work.",
    "q3c": "There are frequent opportunities for me to show initiative in my role.",
    "q3d": "I am able to make suggestions to improve the work of my team / department.",
    "q3e": "I am involved in deciding on changes introduced that affect my work area.",
    "q3f": "I am able to make improvements happen in my area of work.",
    "q4a": "The recognition I get for good work.",
    "q7a": "The team I work in has a set of shared objectives.",
    "q7b": "The team I work in often meets to discuss the team's effectiveness.",
    "q9f": "My immediate manager takes a positive interest in my health and well-being.",
    "q9h": "My immediate manager cares about my concerns.",
    "q21a": "I feel safe to speak up about anything that concerns me in this organisation.",
    "q21b": "If I spoke up about something that concerned me I am confident my "
    "organisation would address my concern.",
}
PULSE_QUESTIONS = ("q3c", "q3d", "q3e", "q3f", "q9f")
PULSE_MONTHS = [(2023 + (11 + m) // 12, (11 + m) % 12 + 1) for m in range(24)]
TEAMS = ("Ward A", "Ward B", "Outpatients", "Community team", "Corporate services")
STAFF_GROUPS = ("Nursing", "Medical", "AHP", "Admin & clerical", "Estates", "Support")
ORIC_ITEMS = ("c1", "c2", "c3", "c4", "c5", "e1", "e2", "e3", "e4", "e5", "e6", "e7")
READINESS_ROUNDS = (dt.date(2024, 3, 11), dt.date(2024, 10, 14), dt.date(2025, 6, 9))
IMPACT_ROUNDS = (dt.date(2024, 5, 13), dt.date(2024, 11, 18), dt.date(2025, 6, 16))
PROJECTS_PER_ORG = 27
MEASURE_MONTHS = 18
REFERENCE_DATE = dt.date(2025, 11, 30)
TYPES = ("acute", "acute", "community", "mental_health", "primary_care")
MANIFEST = "manifest.json"


def rng_for(name: str) -> np.random.Generator:
    """One generator per data set, so changing one leaves the others as they were."""
    return np.random.default_rng([SEED, zlib.crc32(name.encode())])


def organisations(n_orgs: int, n_systems: int) -> pd.DataFrame:
    """Each system has an ICB; the other organisations are spread over the systems."""
    rows = []
    for s in range(n_systems):
        rows.append((f"Y{s:02d}ICB", f"NHS System {s:02d} Integrated Care Board", "icb", s))
    i = 0
    while len(rows) < n_orgs:
        s = i % n_systems
        org_type = TYPES[(i // n_systems) % len(TYPES)]
        rows.append((f"Y{s:02d}{i:03d}", f"Trust {i:03d} of system {s:02d}", org_type, s))
        i += 1
    frame = pd.DataFrame(rows, columns=["org_code", "org_name", "org_type", "system_no"])
    frame["system"] = [f"System {s:02d} ICS" for s in frame["system_no"]]
    frame["region"] = [f"Region {s % 7}" for s in frame["system_no"]]
    return frame.drop(columns="system_no")


def _levels(orgs: pd.DataFrame) -> pd.Series:
    rng = rng_for("levels")
    return pd.Series(rng.normal(0.2, 0.35, len(orgs)), index=orgs["org_code"])


def staff_survey(orgs: pd.DataFrame) -> pd.DataFrame:
    """Organisation rows every year; team and staff-group rows in the latest three."""
    rng = rng_for("staff_survey")
    level = _levels(orgs)
    codes = list(QUESTIONS)
    parts = []
    for year in YEARS:
        for group_col, groups in ((None, (None,)), ("team", TEAMS), ("staff_group", STAFF_GROUPS)):
            if group_col and year not in BREAKDOWN_YEARS:
                continue
            n_rows = len(orgs) * len(groups) * len(codes)
            org_codes = np.repeat(orgs["org_code"].to_numpy(), len(groups) * len(codes))
            base = np.repeat(level.to_numpy(), len(groups) * len(codes))
            responses = (
                rng.integers(600, 3500, n_rows)
                if group_col is None
                else rng.integers(5, 180, n_rows)
            )
            logit = base + 0.05 * (year - 2021) + rng.normal(0, 0.25, n_rows)
            positive = np.round(100 / (1 + np.exp(-logit)), 1)
            frame = pd.DataFrame(
                {
                    "org_code": org_codes,
                    "year": year,
                    "question_code": np.tile(codes, len(orgs) * len(groups)),
                    "responses": responses,
                    "positive_pct": positive,
                    "score": np.round(positive / 10, 2),
                }
            )
            frame["question_text"] = frame["question_code"].map(QUESTIONS)
            frame["team"] = (
                np.tile(np.repeat(groups, len(codes)), len(orgs)) if group_col == "team" else None
            )
            frame["staff_group"] = (
                np.tile(np.repeat(groups, len(codes)), len(orgs))
                if group_col == "staff_group"
                else None
            )
            parts.append(frame)
    return pd.concat(parts, ignore_index=True)


def pulse_survey(orgs: pd.DataFrame, per_month: int = 30) -> pd.DataFrame:
    """One row per respondent: 24 monthly waves per organisation."""
    rng = rng_for("pulse")
    level = _levels(orgs)
    n_orgs = len(orgs)
    n = n_orgs * len(PULSE_MONTHS) * per_month
    org_codes = np.repeat(orgs["org_code"].to_numpy(), len(PULSE_MONTHS) * per_month)
    month_index = np.tile(np.repeat(np.arange(len(PULSE_MONTHS)), per_month), n_orgs)
    days = rng.integers(1, 28, n)
    dates = [
        dt.date(PULSE_MONTHS[m][0], PULSE_MONTHS[m][1], int(d)).isoformat()
        for m, d in zip(month_index, days, strict=True)
    ]
    latent = np.repeat(level.to_numpy(), len(PULSE_MONTHS) * per_month) + rng.normal(0, 0.9, n)
    frame = pd.DataFrame(
        {
            "org_code": org_codes,
            "response_date": dates,
            "team": np.array(TEAMS)[rng.integers(0, len(TEAMS), n)],
            "staff_group": np.array(STAFF_GROUPS)[rng.integers(0, len(STAFF_GROUPS), n)],
            "respondent_id": [f"P{i:07d}" for i in range(n)],
        }
    )
    for q in PULSE_QUESTIONS:
        value = np.clip(np.round(3.3 + latent + rng.normal(0, 0.7, n)), 1, 5).astype(float)
        value[rng.random(n) < 0.03] = np.nan
        frame[q] = value
    return frame


def readiness(orgs: pd.DataFrame) -> pd.DataFrame:
    """Three ORIC rounds per organisation, three teams of 6-16 people each."""
    rng = rng_for("readiness")
    rows = []
    rid = 0
    for org in orgs["org_code"]:
        for when in READINESS_ROUNDS:
            for team in TEAMS[:3]:
                size = int(rng.integers(6, 17))
                centre = rng.normal(3.5, 0.4)
                spread = rng.uniform(0.3, 0.9)
                answers = np.clip(
                    np.round(rng.normal(centre, spread, (size, len(ORIC_ITEMS)))), 1, 5
                )
                for person in answers:
                    rid += 1
                    rows.append(
                        [
                            org,
                            when.isoformat(),
                            team,
                            "Improvement programme",
                            "oric",
                            f"R{rid:07d}",
                        ]
                        + [int(v) for v in person]
                    )
    columns = ["org_code", "assessment_date", "team", "programme", "instrument", "respondent_id"]
    return pd.DataFrame(rows, columns=columns + list(ORIC_ITEMS))


def impact_self_assessment(orgs: pd.DataFrame) -> pd.DataFrame:
    """Five components rated 1-5 at three dates per organisation."""
    rng = rng_for("impact")
    rows = []
    for org in orgs["org_code"]:
        base = rng.integers(1, 4)
        for k, when in enumerate(IMPACT_ROUNDS):
            for component in range(1, 6):
                level = int(np.clip(base + k // 2 + rng.integers(-1, 2), 1, 5))
                rows.append(
                    [org, when.isoformat(), component, level, "Board review.", "Next round."]
                )
    return pd.DataFrame(
        rows, columns=["org_code", "assessment_date", "component", "level", "evidence", "next_step"]
    )


def pdsa(orgs: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """About 27 projects per organisation, each with one measure and up to five cycles."""
    rng = rng_for("pdsa")
    projects, cycles, measures = [], [], []
    for org in orgs["org_code"]:
        for p in range(PROJECTS_PER_ORG):
            pid = f"{org}-{p:03d}"
            start = REFERENCE_DATE - dt.timedelta(days=int(rng.integers(120, 720)))
            direction = "increase" if rng.random() < 0.7 else "decrease"
            projects.append(
                [
                    pid,
                    org,
                    f"Project {p} at {org}",
                    "Improve flow by 20%",
                    start.isoformat(),
                    TEAMS[p % len(TEAMS)],
                    "Percent on time",
                    direction,
                    80.0,
                    "active" if rng.random() < 0.7 else "completed",
                    "yes" if rng.random() < 0.4 else "no",
                    "Coach",
                    "Huddles; visual board",
                ]
            )
            day = start
            for c in range(1, int(rng.integers(1, 6)) + 1):
                end = day + dt.timedelta(days=int(rng.integers(14, 45)))
                decision = str(rng.choice(["adopt", "adapt", "abandon"]))
                cycles.append(
                    [
                        pid,
                        c,
                        day.isoformat(),
                        end.isoformat(),
                        f"Change {c}",
                        "It will help",
                        "It helped a bit",
                        "Keep going",
                        decision,
                    ]
                )
                day = end + dt.timedelta(days=int(rng.integers(3, 20)))
            level = rng.uniform(50, 80)
            step = rng.uniform(0, 8)
            for m in range(MEASURE_MONTHS):
                month = dt.date(2024 + (5 + m) // 12, (5 + m) % 12 + 1, 1)
                denominator = int(rng.integers(40, 120))
                p_true = min(0.99, (level + (step if m > 9 else 0)) / 100)
                numerator = int(rng.binomial(denominator, p_true))
                measures.append(
                    [
                        pid,
                        month.isoformat(),
                        round(100 * numerator / denominator, 1),
                        numerator,
                        denominator,
                        None,
                    ]
                )
    return {
        "Projects": pd.DataFrame(
            projects,
            columns=[
                "project_id",
                "org_code",
                "title",
                "aim",
                "start_date",
                "team",
                "measure_name",
                "improvement_direction",
                "target",
                "status",
                "lived_experience_involved",
                "coach",
                "change_ideas",
            ],
        ),
        "Cycles": pd.DataFrame(
            cycles,
            columns=[
                "project_id",
                "cycle_no",
                "start_date",
                "end_date",
                "change_tested",
                "prediction",
                "what_happened",
                "learning",
                "decision",
            ],
        ),
        "Measures": pd.DataFrame(
            measures, columns=["project_id", "date", "value", "numerator", "denominator", "note"]
        ),
    }


def visits(orgs: pd.DataFrame, per_org: int = 4) -> pd.DataFrame:
    """Mostly within a system, a few across systems."""
    rng = rng_for("visits")
    codes = orgs["org_code"].to_numpy()
    systems = orgs["system"].to_numpy()
    rows = []
    for i, org in enumerate(codes):
        same = codes[(systems == systems[i]) & (codes != org)]
        for _ in range(per_org):
            pool = same if (len(same) and rng.random() < 0.8) else codes[codes != org]
            host = str(rng.choice(pool))
            when = REFERENCE_DATE - dt.timedelta(days=int(rng.integers(1, 700)))
            rows.append(
                [
                    org,
                    host,
                    when.isoformat(),
                    "Staff voice",
                    int(rng.integers(2, 12)),
                    int(rng.integers(0, 3)),
                    "Protected time works.",
                ]
            )
    return pd.DataFrame(
        rows,
        columns=[
            "from_org",
            "to_org",
            "visit_date",
            "theme",
            "participants",
            "lived_experience_partners",
            "learning",
        ],
    )


def write_national(out: Path, n_orgs: int = 220, n_systems: int = 42) -> list[dict]:
    """Write every file and the manifest (load order) under `out`; return the manifest."""
    out.mkdir(parents=True, exist_ok=True)
    orgs = organisations(n_orgs, n_systems)
    manifest = []

    def csv(name: str, kind: str, frame: pd.DataFrame) -> None:
        frame.to_csv(out / name, index=False)
        manifest.append({"file": name, "kind": kind, "rows": len(frame)})

    csv("organisations.csv", "organisations", orgs)
    csv("staff_survey.csv", "staff_survey", staff_survey(orgs))
    csv("pulse_survey.csv", "pulse_survey", pulse_survey(orgs))
    csv("readiness.csv", "readiness", readiness(orgs))
    csv("impact_self_assessment.csv", "impact_self_assessment", impact_self_assessment(orgs))
    sheets = pdsa(orgs)
    with pd.ExcelWriter(out / "pdsa.xlsx", engine="openpyxl") as writer:
        for sheet, frame in sheets.items():
            frame.to_excel(writer, sheet_name=sheet, index=False)
    manifest.append({"file": "pdsa.xlsx", "kind": "pdsa", "rows": sum(map(len, sheets.values()))})
    csv("visits.csv", "visits", visits(orgs))
    (out / MANIFEST).write_text(json.dumps(manifest, indent=1))
    return manifest


def load_national(db, out: Path) -> dict[str, float]:
    """Load the files written by `write_national` in manifest order; seconds per file."""
    import time

    from impact_data import load_file

    timings = {}
    for entry in json.loads((out / MANIFEST).read_text()):
        start = time.perf_counter()
        prepared, result = load_file(db, out / entry["file"], entry["kind"])
        if result is None:
            problems = "; ".join(str(p) for p in prepared.problems[:5])
            raise SystemExit(f"{entry['file']} did not validate: {problems}")
        timings[entry["file"]] = time.perf_counter() - start
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--orgs", type=int, default=220)
    parser.add_argument("--systems", type=int, default=42)
    args = parser.parse_args()
    for entry in write_national(args.out, args.orgs, args.systems):
        print(f"{entry['file']:28} {entry['rows']:>9,} rows")


if __name__ == "__main__":
    main()
