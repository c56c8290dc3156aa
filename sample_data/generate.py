"""Sample data for a fictional integrated care system, "Northmoor and Vale ICS".

Writes, under the output directory (default: the folder this file is in):
  demo/       one valid workbook per upload kind, and manifest.json (what `python -m impact_data
              demo` loads, in order)
  examples/   messy but valid files as teams really produce them (title rows, cp1252 with `;`,
              UTF-8 with BOM, .ods, legacy .xls, the PDSA sheets as separate CSVs)
  broken/     files each broken in exactly one stated way, and EXPECTED.json listing the problems
  templates/  the blank upload templates, from impact_data.ingest.templates.build_template

Run: python sample_data/generate.py [OUTPUT_DIR]

Every organisation, person and project is fictional; org codes start with Z, which no real
ODS code uses in this form. All randomness comes from numpy's default_rng with fixed seeds and a
fixed reference date, so every run writes the same data.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import json
import re
import sys
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import xlwt
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script from anywhere: make impact_data importable
    sys.path.insert(0, str(ROOT))

from impact_data.ingest.kinds import IMPACT_COMPONENTS, KINDS  # noqa: E402
from impact_data.ingest.templates import ORIC_ITEMS, build_template, template_filename  # noqa: E402

SEED = 20251130
REFERENCE_DATE = dt.date(2025, 11, 30)  # "today" for the demo: cycles in the last 90 days etc.
SYSTEM = "Northmoor and Vale ICS"
REGION = "North East and Yorkshire"
ZIP_TIME = (2025, 11, 30, 0, 0, 0)
DOC_TIME = "2025-11-30T00:00:00Z"

Header = list[str]
Rows = list[list[object]]


def rng_for(name: str) -> np.random.Generator:
    """A generator per data set, so changing one data set leaves the others as they were."""
    return np.random.default_rng([SEED, zlib.crc32(name.encode())])


def expit(x: float) -> float:
    return float(1.0 / (1.0 + np.exp(-x)))


# --------------------------------------------------------------------------------------------
# The system
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Org:
    code: str
    name: str
    org_type: str
    staff_survey_n: int  # roughly how many staff answer the NHS Staff Survey each year
    culture: float  # latent improvement-culture level in 2021 (logit scale)
    trend: float  # change in that level per year
    teams: tuple[str, ...]


ORGS: tuple[Org, ...] = (
    Org(
        "ZA1",
        "Northmoor Hospitals NHS Foundation Trust",
        "acute",
        3600,
        0.15,
        0.01,
        (
            "Ward 7 Acute Medicine",
            "Emergency Department",
            "Theatres",
            "Maternity",
            "Pharmacy",
            "Estates and Facilities",
        ),
    ),
    Org(
        "ZB1",
        "Vale General Hospital NHS Trust",
        "acute",
        2700,
        -0.30,
        0.17,  # improving year on year, well beyond noise
        (
            "Emergency Department",
            "Ward 12 Care of the Elderly",
            "Theatres",
            "Maternity",
            "Outpatients",
        ),
    ),
    Org(
        "ZC1",
        "Eastbridge Hospitals NHS Trust",
        "acute",
        2200,
        0.00,
        0.00,
        ("Emergency Department", "Ward 3 Surgery", "Outpatients", "Radiology"),
    ),
    Org(
        "ZD1",
        "Northmoor Heart and Lung Centre NHS Foundation Trust",
        "specialist",
        1100,
        0.55,
        0.01,
        ("Cardiology Ward", "Cardiac Catheter Lab", "Critical Care", "Respiratory Physiology"),
    ),
    Org(
        "ZE1",
        "Vale Community Health Services NHS Trust",
        "community",
        1300,
        0.25,
        0.00,
        (
            "District Nursing North",
            "District Nursing South",
            "Community Rehabilitation",
            "Podiatry",
            "Children's Community Nursing",
        ),
    ),
    Org(
        "ZF1",
        "Northmoor Mental Health NHS Foundation Trust",
        "mental_health",
        1700,
        -0.20,
        0.14,  # improving
        (
            "Adult Acute Inpatients",
            "Community Mental Health Team East",
            "Crisis Resolution",
            "CAMHS",
            "Older Adults",
        ),
    ),
    Org(
        "ZG1",
        "Vale and Fellside Partnership NHS Trust",
        "mental_health",
        1400,
        0.05,
        -0.01,
        (
            "Community Mental Health Team West",
            "Learning Disability Service",
            "Adult Inpatients",
            "Perinatal Mental Health",
        ),
    ),
    Org(
        "ZH1",
        "Northern Fells Ambulance Service NHS Trust",
        "ambulance",
        1900,
        -0.30,
        -0.13,  # declining
        (
            "Emergency Operations Centre",
            "Northmoor Station",
            "Vale Station",
            "Patient Transport Service",
            "NHS 111",
        ),
    ),
    Org(
        "ZJ1",
        "Riverside Vale Primary Care Network",
        "primary_care",
        140,
        0.60,
        0.00,
        ("Riverside Surgery", "Fellside Medical Practice", "Vale Road Health Centre"),
    ),
    Org(
        "ZK1",
        "NHS Northmoor and Vale Integrated Care Board",
        "icb",
        320,
        0.30,
        0.01,
        ("Nursing and Quality", "Strategy and Transformation", "Finance and Contracting"),
    ),
)
ORG_BY_CODE = {org.code: org for org in ORGS}
PROVIDERS = tuple(org for org in ORGS if org.org_type not in ("primary_care", "icb"))

STAFF_GROUPS = ("Nursing", "Medical", "AHP", "Admin & clerical", "Estates", "Support")
STAFF_GROUP_SHARES = {
    "acute": (0.36, 0.13, 0.11, 0.24, 0.05, 0.11),
    "specialist": (0.38, 0.15, 0.12, 0.22, 0.04, 0.09),
    "community": (0.42, 0.03, 0.25, 0.22, 0.03, 0.05),
    "mental_health": (0.40, 0.06, 0.14, 0.24, 0.04, 0.12),
    "ambulance": (0.04, 0.01, 0.40, 0.22, 0.03, 0.30),  # paramedics are allied health professionals
    "primary_care": (0.25, 0.20, 0.05, 0.45, 0.0, 0.05),
    "icb": (0.15, 0.05, 0.02, 0.75, 0.0, 0.03),
}
STAFF_GROUP_EFFECT = {
    "Nursing": -0.12,
    "Medical": 0.15,
    "AHP": 0.10,
    "Admin & clerical": 0.05,
    "Estates": -0.30,
    "Support": -0.20,
}
# Teams small enough that some years fall under the suppression threshold of 11.
SMALL_TEAMS = {
    ("ZA1", "Pharmacy"): 10,
    ("ZC1", "Radiology"): 12,
    ("ZD1", "Respiratory Physiology"): 7,
    ("ZE1", "Podiatry"): 9,
    ("ZG1", "Perinatal Mental Health"): 11,
    ("ZH1", "Patient Transport Service"): 13,
}


def culture_level(org: Org, when: float) -> float:
    """The org's latent improvement-culture level at a (fractional) year."""
    return org.culture + org.trend * (when - 2021.0)


# --------------------------------------------------------------------------------------------
# NHS Staff Survey
# --------------------------------------------------------------------------------------------

# code: (wording, logit offset from the org's culture level, share of respondents who answer)
NSS_QUESTIONS: dict[str, tuple[str, float, float]] = {
    "q2a": ("I look forward to going to work.", -0.15, 0.99),
    "q3c": ("There are frequent opportunities for me to show initiative in my role.", 0.55, 0.98),
    "q3d": (
        "I am able to make suggestions to improve the work of my team / department.",
        0.55,
        0.98,
    ),
    "q3e": (
        "I am involved in deciding on changes introduced that affect my work area / team / department.",
        -0.35,
        0.98,
    ),
    "q3f": ("I am able to make improvements happen in my area of work.", 0.05, 0.98),
    "q4a": ("Satisfied with the recognition I get for good work.", -0.05, 0.97),
    "q4b": ("Satisfied with the extent to which my organisation values my work.", -0.65, 0.97),
    "q4c": ("Satisfied with my level of pay.", -1.45, 0.97),
    "q7a": ("The team I work in has a set of shared objectives.", 1.25, 0.96),
    "q7b": ("The team I work in often meets to discuss the team's effectiveness.", 0.05, 0.96),
    "q9f": (
        "My immediate manager works together with me to come to an understanding of problems.",
        0.55,
        0.93,
    ),
    "q9g": (
        "My immediate manager is interested in listening to me when I describe challenges I face.",
        0.65,
        0.93,
    ),
    "q9h": ("My immediate manager cares about my concerns.", 0.70, 0.93),
    "q9i": (
        "My immediate manager takes effective action to help me with any problems I face.",
        0.35,
        0.93,
    ),
}
NSS_YEARS = (2021, 2022, 2023, 2024, 2025)
NSS_BREAKDOWN_YEARS = (2023, 2024, 2025)  # team and staff-group results: the latest three years
NATIONAL_YEAR_EFFECT = {2021: 0.0, 2022: -0.12, 2023: -0.06, 2024: 0.0, 2025: 0.02}

STAFF_SURVEY_HEADER: Header = [
    "org_code",
    "year",
    "question_code",
    "responses",
    "question_text",
    "positive_pct",
    "score",
    "team",
    "staff_group",
]


def staff_survey() -> Rows:
    """NHS Staff Survey results: org level every year, team and staff group for recent years."""
    rng = rng_for("staff_survey")
    questions = list(NSS_QUESTIONS)
    org_question_effect = {(o.code, q): rng.normal(0, 0.10) for o in ORGS for q in questions}
    org_year_effect = {(o.code, y): rng.normal(0, 0.04) for o in ORGS for y in NSS_YEARS}
    team_size = {}
    team_effect = {}
    for org in PROVIDERS:
        for team in org.teams:
            team_size[org.code, team] = SMALL_TEAMS.get((org.code, team)) or int(
                rng.integers(30, 330)
            )
            team_effect[org.code, team] = rng.normal(0, 0.30)

    def result(responses: int, p: float) -> tuple[float, float]:
        positive = round(100.0 * rng.binomial(responses, p) / responses, 1)
        score = round(float(np.clip(2.6 + 6.4 * positive / 100 + rng.normal(0, 0.06), 0, 10)), 2)
        return positive, score

    rows: Rows = []
    for year in NSS_YEARS:
        for org in ORGS:
            level = (
                culture_level(org, year)
                + NATIONAL_YEAR_EFFECT[year]
                + org_year_effect[org.code, year]
            )
            n_org = round(org.staff_survey_n * float(np.exp(rng.normal(0, 0.06))))
            groups: list[tuple[str | None, str | None, int, float]] = [(None, None, n_org, 0.0)]
            if year in NSS_BREAKDOWN_YEARS and org in PROVIDERS:
                for team in org.teams:
                    n = max(
                        3, round(team_size[org.code, team] * float(np.exp(rng.normal(0, 0.12))))
                    )
                    groups.append((team, None, n, team_effect[org.code, team]))
                shares = STAFF_GROUP_SHARES[org.org_type]
                for group, share in zip(STAFF_GROUPS, shares, strict=True):
                    n = max(2, round(n_org * share * float(np.exp(rng.normal(0, 0.05)))))
                    groups.append((None, group, n, STAFF_GROUP_EFFECT[group]))
            for team, group, n, effect in groups:
                noise = 0.0 if (team, group) == (None, None) else rng.normal(0, 0.08)
                for q in questions:
                    text, offset, answer_rate = NSS_QUESTIONS[q]
                    p = expit(level + offset + org_question_effect[org.code, q] + effect + noise)
                    responses = max(1, int(rng.binomial(n, answer_rate)))
                    positive, score = result(responses, p)
                    rows.append([org.code, year, q, responses, text, positive, score, team, group])
    return rows


# --------------------------------------------------------------------------------------------
# Pulse survey
# --------------------------------------------------------------------------------------------

PULSE_QUESTIONS = {"q3c": 0.5, "q3d": 0.45, "q3e": -0.35, "q3f": 0.0, "q9f": 0.35}
PULSE_MONTHS = [(2024, 12)] + [(2025, m) for m in range(1, 12)]
PULSE_WAVE_SIZE = {
    "acute": 72,
    "specialist": 40,
    "community": 45,
    "mental_health": 44,
    "ambulance": 48,
    "primary_care": 14,
    "icb": 20,
}
# Real step changes during the pulse year: (from date, change in the latent level).
PULSE_STEPS = {"ZC1": (dt.date(2025, 6, 1), 0.75), "ZF1": (dt.date(2025, 8, 1), 0.6)}
LIKERT_WORD_ORG = "ZE1"  # this org's survey tool exports words, not numbers
LIKERT_WORDS = (
    "Strongly disagree",
    "Disagree",
    "Neither agree nor disagree",
    "Agree",
    "Strongly agree",
)
LIKERT_CUTS = (-1.9, -0.9, -0.1, 1.3)
PULSE_BLANK_RATE = 0.03
PULSE_HEADER: Header = [
    "org_code",
    "response_date",
    "team",
    "staff_group",
    "respondent_id",
    *PULSE_QUESTIONS,
]


def likert(rng: np.random.Generator, latent: float, item_sd: float = 0.75) -> int:
    """A 1-5 answer from a respondent's latent agreement."""
    return int(np.digitize(latent + rng.normal(0, item_sd), LIKERT_CUTS)) + 1


def pulse_survey() -> Rows:
    """Twelve monthly pulse waves, one row per respondent."""
    rng = rng_for("pulse_survey")
    team_effect = {(o.code, t): rng.normal(0, 0.25) for o in ORGS for t in o.teams}
    rows: Rows = []
    for year, month in PULSE_MONTHS:
        when = year + (month - 0.5) / 12
        for org in ORGS:
            level = culture_level(org, when)
            step = PULSE_STEPS.get(org.code)
            if step and dt.date(year, month, 1) >= step[0]:
                level += step[1]
            shares = np.array(STAFF_GROUP_SHARES[org.org_type])
            n = int(rng.poisson(PULSE_WAVE_SIZE[org.org_type]))
            for i in range(n):
                team = org.teams[int(rng.integers(len(org.teams)))]
                group = STAFF_GROUPS[int(rng.choice(len(STAFF_GROUPS), p=shares / shares.sum()))]
                person = (
                    level
                    + team_effect[org.code, team]
                    + STAFF_GROUP_EFFECT[group]
                    + rng.normal(0, 0.8)
                )
                answers: list[object] = []
                for offset in PULSE_QUESTIONS.values():
                    answer = likert(rng, person + offset)
                    if rng.random() < PULSE_BLANK_RATE:
                        answers.append(None)
                    elif org.code == LIKERT_WORD_ORG:
                        answers.append(LIKERT_WORDS[answer - 1])
                    else:
                        answers.append(answer)
                day = int(rng.integers(1, 22))
                respondent = f"{org.code}-{year % 100:02d}{month:02d}-{i + 1:03d}"
                rows.append(
                    [org.code, dt.date(year, month, day), team, group, respondent, *answers]
                )
    rows.sort(key=lambda r: (r[1], r[0], r[4]))
    return rows


# --------------------------------------------------------------------------------------------
# Readiness (ORIC)
# --------------------------------------------------------------------------------------------

ROLES = {
    "acute": (
        "Staff nurse",
        "Healthcare assistant",
        "Ward manager",
        "Doctor",
        "Physiotherapist",
        "Ward clerk",
    ),
    "specialist": (
        "Staff nurse",
        "Cardiac physiologist",
        "Doctor",
        "Healthcare assistant",
        "Ward manager",
    ),
    "community": (
        "Community nurse",
        "Healthcare assistant",
        "Team leader",
        "Occupational therapist",
        "Administrator",
    ),
    "mental_health": (
        "Mental health nurse",
        "Support worker",
        "Psychologist",
        "Psychiatrist",
        "Team manager",
    ),
    "ambulance": ("Call handler", "Clinical navigator", "Paramedic", "Dispatcher", "Team leader"),
    "primary_care": (
        "GP",
        "Practice nurse",
        "Receptionist",
        "Practice manager",
        "Clinical pharmacist",
    ),
    "icb": ("Programme manager", "Analyst", "Clinical lead"),
}


@dataclass(frozen=True)
class ReadinessRound:
    date: dt.date
    commitment: float  # intended mean of c1-c5
    efficacy: float  # intended mean of e1-e7
    spread: str  # agree | mixed | split


@dataclass(frozen=True)
class ReadinessGroup:
    org: str
    team: str
    programme: str
    size: int
    rounds: tuple[ReadinessRound, ...]


R = ReadinessRound
READINESS_GROUPS = (
    ReadinessGroup(
        "ZA1",
        "Ward 7 Acute Medicine",
        "Safer discharge (SAFER bundle)",
        18,
        (R(dt.date(2025, 2, 10), 3.3, 2.8, "split"), R(dt.date(2025, 7, 14), 4.3, 4.0, "agree")),
    ),
    ReadinessGroup(
        "ZA1",
        "Emergency Department",
        "Sepsis screening",
        22,
        (R(dt.date(2025, 3, 3), 4.3, 3.0, "mixed"),),
    ),
    ReadinessGroup(
        "ZB1", "Maternity", "Continuity of carer", 9, (R(dt.date(2025, 4, 7), 3.4, 3.2, "mixed"),)
    ),
    ReadinessGroup(
        "ZB1",
        "Theatres",
        "Theatre productivity",
        16,
        (R(dt.date(2024, 11, 18), 2.6, 2.4, "split"), R(dt.date(2025, 5, 19), 3.6, 3.4, "agree")),
    ),
    ReadinessGroup(
        "ZC1",
        "Outpatients",
        "Patient-initiated follow-up",
        12,
        (R(dt.date(2025, 6, 2), 4.4, 4.1, "agree"),),
    ),
    ReadinessGroup(
        "ZE1",
        "District Nursing North",
        "Pressure ulcer prevention",
        14,
        (R(dt.date(2025, 1, 20), 3.2, 3.0, "split"), R(dt.date(2025, 6, 23), 4.2, 3.9, "agree")),
    ),
    ReadinessGroup(
        "ZE1",
        "Community Rehabilitation",
        "Virtual ward",
        7,
        (R(dt.date(2025, 9, 8), 2.4, 2.2, "agree"),),
    ),
    ReadinessGroup(
        "ZF1",
        "Adult Acute Inpatients",
        "Reducing restrictive practice",
        20,
        (R(dt.date(2024, 10, 14), 3.1, 2.7, "split"), R(dt.date(2025, 4, 14), 3.9, 3.6, "agree")),
    ),
    ReadinessGroup(
        "ZF1", "CAMHS", "Waiting list validation", 5, (R(dt.date(2025, 8, 4), 3.5, 2.9, "mixed"),)
    ),
    ReadinessGroup(
        "ZG1",
        "Community Mental Health Team West",
        "Physical health checks",
        11,
        (R(dt.date(2025, 5, 12), 3.5, 3.4, "agree"),),
    ),
    ReadinessGroup(
        "ZH1",
        "Emergency Operations Centre",
        "Hear and treat",
        25,
        (R(dt.date(2025, 3, 17), 2.7, 2.3, "split"),),
    ),
    ReadinessGroup(
        "ZD1",
        "Cardiology Ward",
        "Discharge before noon",
        13,
        (R(dt.date(2025, 2, 24), 4.5, 4.2, "agree"),),
    ),
    ReadinessGroup(
        "ZJ1",
        "Riverside Surgery",
        "Annual health checks",
        4,
        (R(dt.date(2025, 10, 6), 4.4, 4.0, "agree"),),
    ),
)
READINESS_HEADER: Header = [
    "org_code",
    "assessment_date",
    "team",
    "role",
    "programme",
    "instrument",
    "respondent_id",
    *ORIC_ITEMS,
]
SPREADS = {"agree": (0.30, 0.40), "mixed": (0.80, 0.60), "split": (0.35, 0.45)}


def oric_answers(rng: np.random.Generator, n: int, rnd: ReadinessRound) -> list[list[int | None]]:
    """n respondents' answers to c1-c5 and e1-e7 for one round's profile."""
    person_sd, item_sd = SPREADS[rnd.spread]
    if rnd.spread == "split":  # two camps: sceptics and enthusiasts
        camp = np.where(np.arange(n) % 2 == 0, -1.1, 1.0)
        rng.shuffle(camp)
    else:
        camp = np.zeros(n)
    answers = []
    for i in range(n):
        person = camp[i] + rng.normal(0, person_sd)
        row: list[int | None] = []
        for code, (subscale, _) in ORIC_ITEMS.items():
            mean = rnd.commitment if subscale == "commitment" else rnd.efficacy
            value = int(np.clip(np.rint(mean + person + rng.normal(0, item_sd)), 1, 5))
            row.append(None if rng.random() < 0.01 and code != "c1" else value)
        answers.append(row)
    return answers


def readiness() -> Rows:
    """ORIC readiness checks: several teams, some assessed before and after readiness work."""
    rng = rng_for("readiness")
    rows: Rows = []
    number = 0
    for group in READINESS_GROUPS:
        roles = ROLES[ORG_BY_CODE[group.org].org_type]
        for rnd in group.rounds:
            n = int(np.clip(group.size + rng.integers(-2, 3), 4, 25))
            for answers in oric_answers(rng, n, rnd):
                number += 1
                role = roles[int(rng.integers(len(roles)))]
                rows.append(
                    [
                        group.org,
                        rnd.date,
                        group.team,
                        role,
                        group.programme,
                        "oric",
                        f"RC-{number:04d}",
                        *answers,
                    ]
                )
    return rows


# --------------------------------------------------------------------------------------------
# NHS IMPACT self-assessment
# --------------------------------------------------------------------------------------------

IMPACT_ROUNDS = (dt.date(2024, 5, 13), dt.date(2024, 11, 18), dt.date(2025, 6, 16))
# (level in the first round, steps gained per round, rounds taken part in)
IMPACT_PROFILE = {
    "ZA1": (2.2, 0.4, 3),
    "ZB1": (1.8, 0.8, 3),
    "ZC1": (2.0, 0.3, 2),
    "ZD1": (3.1, 0.3, 3),
    "ZE1": (2.7, 0.4, 2),
    "ZF1": (1.7, 0.7, 3),
    "ZG1": (2.2, 0.2, 2),
    "ZH1": (2.3, -0.3, 3),
    "ZJ1": (1.6, 0.5, 2),
    "ZK1": (2.4, 0.4, 3),
}
COMPONENT_OFFSET = {1: 0.3, 2: 0.0, 3: -0.2, 4: 0.3, 5: -0.5}
IMPACT_EVIDENCE = {
    1: (
        "Improvement is mentioned in the strategy but few staff could describe our priorities.",
        "Three improvement priorities agreed by the board and shared at staff briefings.",
        "Shared purpose co-produced with staff and patient partners; teams link their aims to it.",
        "Every team's driver diagram links to the organisation's purpose; staff survey shows it is understood.",
        "Purpose and priorities shape every plan and decision, and are renewed each year with staff and partners.",
    ),
    2: (
        "Little protected time for improvement; staff survey voice scores below peers.",
        "Listening events held; first teams given protected time for improvement.",
        "Culture and readiness checks before programmes; lived experience partners in half of projects.",
        "Staff survey autonomy scores improving for two years; learning visits to and from peers.",
        "Improvement is how everyone works; staff and people with lived experience lead much of it.",
    ),
    3: (
        "Leadership style is mostly command and control.",
        "Senior leaders attend improvement huddles monthly.",
        "Leadership programme teaches coaching behaviours; most directorate leads have attended.",
        "Leaders coach rather than direct; board walk-rounds focus on improvement.",
        "Compassionate, coaching leadership is visible at every level and assessed in appraisal.",
    ),
    4: (
        "A handful of staff trained in quality improvement.",
        "Foundation QI training offered to all staff; small central QI team.",
        "QI coaches in each division; around 10% of staff trained.",
        "Capability plan on track; every team has access to a coach and data support.",
        "Improvement capability at every level, with skills built into induction and appraisal.",
    ),
    5: (
        "Performance reports are red/amber/green tables; no SPC.",
        "Board papers use SPC for some measures.",
        "Making Data Count used throughout the integrated performance report.",
        "Tiered huddles connect ward to board; improvement work is in business planning.",
        "Management system, planning and assurance are built around continuous improvement.",
    ),
}
IMPACT_NEXT_STEPS = {
    1: (
        "Co-produce the improvement priorities with staff and patient partners.",
        "Ask each team to link its aims to the priorities.",
    ),
    2: (
        "Run readiness checks before the next programme.",
        "Involve lived experience partners in every new project.",
    ),
    3: (
        "Extend the coaching leadership programme to ward managers.",
        "Add improvement behaviours to leaders' appraisals.",
    ),
    4: ("Train ten more QI coaches this year.", "Offer data support to every project team."),
    5: (
        "Move the board report to SPC throughout.",
        "Link tiered huddles to the executive meeting.",
    ),
}
IMPACT_HEADER: Header = [
    "org_code",
    "assessment_date",
    "component",
    "level",
    "evidence",
    "next_step",
]


def impact_self_assessment() -> Rows:
    """Each org's NHS IMPACT self-assessment on two or three dates."""
    rng = rng_for("impact_self_assessment")
    rows: Rows = []
    for org in ORGS:
        start, gain, rounds = IMPACT_PROFILE[org.code]
        dates = IMPACT_ROUNDS[-rounds:]
        shift = int(rng.integers(-10, 11))  # orgs don't all meet on the same day
        for k, date in enumerate(dates):
            for component in IMPACT_COMPONENTS:
                raw = start + COMPONENT_OFFSET[component] + gain * k + rng.normal(0, 0.3)
                level = int(np.clip(np.rint(raw), 1, 5))
                steps = IMPACT_NEXT_STEPS[component]
                rows.append(
                    [
                        org.code,
                        date + dt.timedelta(days=shift),
                        component,
                        level,
                        IMPACT_EVIDENCE[component][level - 1],
                        steps[int(rng.integers(len(steps)))],
                    ]
                )
    return rows


# --------------------------------------------------------------------------------------------
# PDSA projects, cycles and measures
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProjectTemplate:
    title: str
    aim: str
    measure: str
    direction: str  # increase | decrease
    kind: str  # proportion (value = %) | count | continuous
    freq: str  # W (weekly, Mondays) | M (monthly, 1st)
    base: float  # proportion (0-1), mean count, or mean value
    spread: float  # proportion: mean denominator; continuous: SD; count: unused
    effect: float  # change after the adopted change, same units as base, signed
    target: float | None
    ideas: tuple[str, ...]
    types: tuple[str, ...]
    teams: tuple[str, ...] = ()  # teams it suits; none: any team


ACUTE = ("acute", "specialist")
ANY = ("acute", "specialist", "community", "mental_health", "ambulance", "primary_care", "icb")
P = ProjectTemplate
PROJECT_TEMPLATES = (
    P(
        "Reducing inpatient falls on {team}",
        "Reduce inpatient falls on {team} from around 5 a week to 3 a week by {by}",
        "Falls per week",
        "decrease",
        "count",
        "W",
        5.5,
        0,
        -2.6,
        3,
        (
            "Bay tagging so one member of staff is always in each bay",
            "Falls safety huddle at every handover",
            "Lying and standing blood pressure for everyone over 65",
            "Call-don't-fall signs with call bells in reach",
        ),
        ("acute", "specialist", "mental_health"),
        (
            "Ward 7 Acute Medicine",
            "Ward 12 Care of the Elderly",
            "Ward 3 Surgery",
            "Cardiology Ward",
            "Older Adults",
            "Adult Inpatients",
        ),
    ),
    P(
        "Preventing pressure ulcers in {team}",
        "Increase SSKIN bundle completion in {team} from 60% to 90% by {by}",
        "% patients with a completed SSKIN bundle",
        "increase",
        "proportion",
        "W",
        0.62,
        35,
        0.22,
        90,
        (
            "SSKIN prompt card in every patient record",
            "Pressure ulcer champion on each shift",
            "Photographs of skin checks shared at huddle",
            "Family and carers shown how to check skin",
        ),
        ("acute", "community"),
        (
            "District Nursing North",
            "District Nursing South",
            "Ward 3 Surgery",
            "Ward 12 Care of the Elderly",
            "Ward 7 Acute Medicine",
        ),
    ),
    P(
        "Discharge before noon on {team}",
        "Increase discharges before noon on {team} from 18% to 33% by {by}",
        "% discharges before 12:00",
        "increase",
        "proportion",
        "W",
        0.18,
        45,
        0.15,
        33,
        (
            "Criteria-led discharge for agreed patients",
            "Board round finished by 10:00",
            "Medicines to take home written the day before",
            "Discharge lounge by default",
        ),
        ACUTE,
        (
            "Ward 7 Acute Medicine",
            "Ward 12 Care of the Elderly",
            "Ward 3 Surgery",
            "Cardiology Ward",
        ),
    ),
    P(
        "Sepsis screening within one hour",
        "Increase the share of eligible patients screened for sepsis within one hour from 68% to 95% by {by}",
        "% eligible patients screened for sepsis within 1 hour",
        "increase",
        "proportion",
        "W",
        0.68,
        40,
        0.2,
        95,
        (
            "Sepsis screening prompt on the triage form",
            "Sepsis trolley in resus",
            "Sepsis champion on each shift",
            "Missed screens fed back at the daily huddle",
        ),
        ("acute", "ambulance"),
        ("Emergency Department", "Northmoor Station", "Vale Station"),
    ),
    P(
        "Daily improvement huddles in {team}",
        "Hold 90% of planned daily improvement huddles in {team} by {by}",
        "% of planned huddles held",
        "increase",
        "proportion",
        "W",
        0.55,
        10,
        0.3,
        90,
        (
            "Huddle board at the nurses' station",
            "Ten-minute stand-up at 09:15",
            "Rotating huddle lead",
            "Three-question huddle script",
        ),
        ANY,
    ),
    P(
        "Improving rota fill in {team}",
        "Increase shifts filled six weeks ahead in {team} from 72% to 90% by {by}",
        "% shifts filled 6 weeks ahead",
        "increase",
        "proportion",
        "W",
        0.72,
        120,
        0.1,
        90,
        (
            "Self-rostering pilot",
            "Publish the rota eight weeks ahead",
            "Bank incentives for hard-to-fill shifts",
            "Team-based rostering rules",
        ),
        ("acute", "community", "mental_health", "ambulance"),
    ),
    P(
        "Increasing appraisal completion in {team}",
        "Increase staff with an appraisal in the last 12 months in {team} from 74% to 90% by {by}",
        "% staff with an appraisal in the last 12 months",
        "increase",
        "proportion",
        "M",
        0.74,
        80,
        0.13,
        90,
        (
            "Next appraisal booked at the end of the last one",
            "Monthly appraisal tracker at the team meeting",
            "Protected time for appraisers",
            "Shorter wellbeing-conversation form",
        ),
        ANY,
    ),
    P(
        "Improving patient experience on {team}",
        "Increase positive Friends and Family Test responses on {team} from 86% to 95% by {by}",
        "% Friends and Family Test responses positive",
        "increase",
        "proportion",
        "M",
        0.86,
        90,
        0.085,
        95,
        (
            "Welcome pack on arrival",
            "Quiet hours at night",
            "'What matters to you?' conversation on admission",
            "'You said, we did' board",
        ),
        ("acute", "community", "mental_health", "primary_care"),
        (
            "Ward 7 Acute Medicine",
            "Ward 12 Care of the Elderly",
            "Ward 3 Surgery",
            "Maternity",
            "Outpatients",
            "Emergency Department",
            "District Nursing North",
            "District Nursing South",
            "Community Rehabilitation",
            "Children's Community Nursing",
            "Adult Acute Inpatients",
            "CAMHS",
            "Older Adults",
            "Perinatal Mental Health",
            "Riverside Surgery",
            "Fellside Medical Practice",
            "Vale Road Health Centre",
        ),
    ),
    P(
        "Time to initial assessment in the Emergency Department",
        "Reduce the median time to initial assessment from 24 to 15 minutes by {by}",
        "Median minutes to initial assessment",
        "decrease",
        "continuous",
        "W",
        24,
        3.5,
        -8,
        15,
        (
            "Streaming nurse at the front door",
            "Rapid assessment and treatment bay",
            "Senior clinician triage at peak times",
        ),
        ("acute",),
        ("Emergency Department",),
    ),
    P(
        "Reducing restrictive practice on {team}",
        "Reduce restrictive interventions on {team} from 7 to 3 a week by {by}",
        "Restrictive interventions per week",
        "decrease",
        "count",
        "W",
        7,
        0,
        -4.0,
        3,
        (
            "Safewards calm-down methods",
            "Positive behaviour support plans",
            "Debrief after every incident",
            "Mutual expectations agreed at the community meeting",
        ),
        ("mental_health",),
        ("Adult Acute Inpatients", "Adult Inpatients", "Learning Disability Service"),
    ),
    P(
        "Physical health checks for people with severe mental illness",
        "Increase the SMI register with all six health checks from 42% to 60% by {by}",
        "% SMI register with all six physical health checks",
        "increase",
        "proportion",
        "M",
        0.42,
        150,
        0.14,
        60,
        (
            "Text reminders",
            "Joint clinics with the community mental health team",
            "Peer support worker outreach",
            "Health checks at the depot clinic",
        ),
        ("mental_health", "primary_care"),
        (
            "Community Mental Health Team East",
            "Community Mental Health Team West",
            "Riverside Surgery",
        ),
    ),
    P(
        "Reducing missed appointments in {team}",
        "Reduce appointments not attended in {team} from 11% to 6% by {by}",
        "% appointments not attended",
        "decrease",
        "proportion",
        "W",
        0.11,
        220,
        -0.045,
        6,
        (
            "Two-way text reminders",
            "Patients choose their appointment time",
            "Phone call before a first appointment",
            "Easy-read appointment letters",
        ),
        ("community", "mental_health", "primary_care", "specialist"),
        ("Podiatry", "CAMHS", "Outpatients", "Fellside Medical Practice", "Respiratory Physiology"),
    ),
    P(
        "Ambulance handover within 30 minutes",
        "Increase handovers completed within 30 minutes from 58% to 95% by {by}",
        "% ambulance handovers within 30 minutes",
        "increase",
        "proportion",
        "W",
        0.58,
        300,
        0.12,
        95,
        (
            "Fit2Sit for patients who can walk",
            "Rapid assessment at the front door",
            "Handover coordinator on each shift",
            "Cohort area staffed by ambulance crews",
        ),
        ("acute", "ambulance"),
        ("Emergency Department", "Northmoor Station", "Vale Station"),
    ),
    P(
        "More hear and treat in the Emergency Operations Centre",
        "Increase 999 calls closed with hear and treat from 12% to 16% by {by}",
        "% 999 calls closed with hear and treat",
        "increase",
        "proportion",
        "W",
        0.12,
        1500,
        0.025,
        16,
        (
            "Clinical navigator on every shift",
            "Mental health nurse in the control room",
            "Call-back prioritisation tool",
        ),
        ("ambulance",),
        ("Emergency Operations Centre",),
    ),
    P(
        "Reducing omitted critical medicines on {team}",
        "Reduce omitted or delayed critical medicine doses on {team} from 9% to 3% by {by}",
        "% critical medicine doses omitted or delayed",
        "decrease",
        "proportion",
        "W",
        0.09,
        160,
        -0.04,
        3,
        (
            "Do-not-disturb tabards on drug rounds",
            "Critical medicines list on the ward board",
            "Pharmacy technician check at 14:00",
        ),
        ("acute", "specialist", "mental_health"),
        (
            "Ward 7 Acute Medicine",
            "Ward 12 Care of the Elderly",
            "Ward 3 Surgery",
            "Cardiology Ward",
            "Critical Care",
            "Older Adults",
            "Adult Acute Inpatients",
            "Adult Inpatients",
        ),
    ),
    P(
        "Supporting staff wellbeing in {team}",
        "Reduce sickness absence in {team} from 6.2% to 4.5% by {by}",
        "Sickness absence rate (%)",
        "decrease",
        "proportion",
        "M",
        0.062,
        1500,
        -0.013,
        4.5,
        (
            "Wellbeing check-in at team meetings",
            "Rest room refurbished with staff",
            "Flexible working requests decided within two weeks",
            "Return-to-work conversation within 48 hours",
        ),
        ANY,
    ),
    P(
        "Timely insulin visits by {team}",
        "Increase insulin visits made within the agreed time window from 80% to 95% by {by}",
        "% insulin visits within the agreed time window",
        "increase",
        "proportion",
        "W",
        0.8,
        200,
        0.1,
        95,
        (
            "Caseloads allocated by area",
            "Electronic scheduling with time windows",
            "Patients told their visit window the day before",
        ),
        ("community",),
        ("District Nursing North", "District Nursing South"),
    ),
    P(
        "Growing virtual ward step-up referrals",
        "Increase step-up referrals to the virtual ward from 14 to 25 a week by {by}",
        "Virtual ward step-up referrals per week",
        "increase",
        "count",
        "W",
        14,
        0,
        8,
        25,
        (
            "Single point of access for referrers",
            "Trusted assessor paperwork",
            "Education session for GPs",
        ),
        ("community", "icb"),
        ("Community Rehabilitation", "Strategy and Transformation"),
    ),
    P(
        "Patient-initiated follow-up in {team}",
        "Move 40 patients a week to patient-initiated follow-up by {by}",
        "Patients moved to patient-initiated follow-up per week",
        "increase",
        "count",
        "W",
        20,
        0,
        12,
        40,
        (
            "PIFU prompt in the clinic outcome form",
            "Patient leaflet explaining PIFU",
            "Consultant-agreed PIFU criteria per specialty",
        ),
        ACUTE,
        ("Outpatients", "Cardiology Ward"),
    ),
    P(
        "Cardiac rehabilitation uptake",
        "Increase eligible patients starting cardiac rehabilitation from 48% to 70% by {by}",
        "% eligible patients starting cardiac rehabilitation",
        "increase",
        "proportion",
        "M",
        0.48,
        60,
        0.17,
        70,
        (
            "Rehab nurse meets every patient before discharge",
            "Evening and virtual sessions",
            "Text reminder before the first session",
        ),
        ("specialist",),
        ("Cardiology Ward",),
    ),
    P(
        "Discharge to assess across the system",
        "Reduce median days from medically fit to discharge on pathway 1 from 3.8 to 2 by {by}",
        "Median days from medically fit to discharge (pathway 1)",
        "decrease",
        "continuous",
        "W",
        3.8,
        0.45,
        -1.3,
        2,
        (
            "Single discharge hub for the system",
            "Trusted assessment shared across providers",
            "Daily system discharge call",
        ),
        ("icb",),
        ("Strategy and Transformation",),
    ),
    P(
        "Building the system improvement coaching network",
        "Train 30 staff a month in quality improvement across the system by {by}",
        "Staff completing QI foundation training per month",
        "increase",
        "count",
        "M",
        12,
        0,
        11,
        30,
        (
            "Bite-size online QI module",
            "Coaches paired across organisations",
            "Training booked through the ICB learning hub",
        ),
        ("icb",),
        ("Nursing and Quality",),
    ),
    P(
        "Asthma reviews in {team}",
        "Complete 30 asthma reviews a week across the practice by {by}",
        "Asthma reviews completed per week",
        "increase",
        "count",
        "W",
        18,
        0,
        9,
        30,
        (
            "Review offered at the flu clinic",
            "Pharmacist-led review clinic",
            "Online pre-review questionnaire",
        ),
        ("primary_care",),
    ),
    P(
        "Reducing high-dose opioid prescribing",
        "Reduce patients on more than 120 mg morphine equivalent a day from 8.5% to 5% by {by}",
        "% patients on opioids prescribed more than 120 mg MME a day",
        "decrease",
        "proportion",
        "M",
        0.085,
        900,
        -0.022,
        5,
        (
            "Pharmacist-led tapering reviews",
            "Pain management group sessions",
            "Prescribing dashboard at the clinical meeting",
        ),
        ("primary_care",),
        ("Vale Road Health Centre",),
    ),
    P(
        "Crisis response within four hours",
        "Increase urgent referrals seen within four hours from 61% to 80% by {by}",
        "% urgent referrals seen within 4 hours",
        "increase",
        "proportion",
        "W",
        0.61,
        30,
        0.2,
        80,
        (
            "Duty clinician protected from other work",
            "Triage by phone within an hour",
            "Shared crisis plan with the ambulance service",
        ),
        ("mental_health",),
        ("Crisis Resolution",),
    ),
    P(
        "On-time starts in the {team}",
        "Increase lists starting within 15 minutes of the planned time from 45% to 80% by {by}",
        "% lists starting within 15 minutes of planned time",
        "increase",
        "proportion",
        "W",
        0.45,
        25,
        0.25,
        80,
        (
            "Team brief at 08:15",
            "First patient ready the evening before",
            "Start-time tracker on the list board",
        ),
        ACUTE,
        ("Cardiac Catheter Lab", "Theatres"),
    ),
)
PROJECTS_PER_ORG = {
    "ZA1": 7,
    "ZB1": 6,
    "ZC1": 6,
    "ZD1": 4,
    "ZE1": 5,
    "ZF1": 5,
    "ZG1": 4,
    "ZH1": 4,
    "ZJ1": 3,
    "ZK1": 2,
}
COACHES = (
    "Priya Shah",
    "Tom Ellison",
    "Grace Mensah",
    "Owen Hughes",
    "Aisha Rahman",
    "Megan Clarke",
    "Dan Okafor",
)
STATUS_POOL = ("active",) * 12 + ("completed",) * 5 + ("paused",) * 2 + ("stopped",) * 1
RAMP = (
    "on one shift",
    "for one week with one team",
    "for two weeks on days",
    "for two weeks, days and nights",
    "across the whole service for a month",
)
SNAGS = (
    "it was missed on the busiest shifts",
    "night staff had not been briefed",
    "the form took too long to fill in",
    "it depended on one enthusiastic person",
    "agency staff did not know about it",
    "the equipment was not always available",
)
FIXES = (
    "a short briefing at every handover",
    "a simpler one-page version",
    "a named deputy for when the lead is away",
    "a prompt built into the electronic record",
    "an induction slide for temporary staff",
)
PROJECTS_HEADER: Header = [
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
]
CYCLES_HEADER: Header = [
    "project_id",
    "cycle_no",
    "start_date",
    "end_date",
    "change_tested",
    "prediction",
    "what_happened",
    "learning",
    "decision",
]
MEASURES_HEADER: Header = ["project_id", "date", "value", "numerator", "denominator", "note"]


def monday_on_or_before(date: dt.date) -> dt.date:
    return date - dt.timedelta(days=date.weekday())


def add_months(date: dt.date, months: int) -> dt.date:
    index = date.year * 12 + date.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


@dataclass
class Pdsa:
    projects: Rows
    cycles: Rows
    measures: Rows


def pdsa() -> Pdsa:
    """PDSA projects, their cycles and a weekly or monthly measure for each."""
    rng = rng_for("pdsa")
    projects: Rows = []
    cycles: Rows = []
    measures: Rows = []
    for org in ORGS:
        candidates = [
            t
            for t in PROJECT_TEMPLATES
            if org.org_type in t.types and (not t.teams or set(t.teams) & set(org.teams))
        ]
        picks = rng.choice(len(candidates), size=PROJECTS_PER_ORG[org.code], replace=False)
        for number, pick in enumerate(picks, start=1):
            template = candidates[int(pick)]
            project_id = f"{org.code}-{number:03d}"
            status = STATUS_POOL[int(rng.integers(len(STATUS_POOL)))]
            suited = [t for t in org.teams if t in template.teams] or list(org.teams)
            team = suited[int(rng.integers(len(suited)))]
            p_cycles, p_measures, start = _project_cycles_and_measures(
                rng, project_id, template, status
            )
            coach = COACHES[int(rng.integers(len(COACHES)))] if rng.random() < 0.85 else None
            projects.append(
                [
                    project_id,
                    org.code,
                    template.title.format(team=team),
                    template.aim.format(team=team, by=add_months(start, 12).strftime("%B %Y")),
                    start,
                    team,
                    template.measure,
                    template.direction,
                    template.target,
                    status,
                    None,  # lived_experience_involved: set below
                    coach,
                    "; ".join(template.ideas),
                ]
            )
            cycles.extend(p_cycles)
            measures.extend(p_measures)
    # Lived experience involved in 40% of projects, spread at random.
    involved = rng.permutation(len(projects)) < round(0.4 * len(projects))
    lived_column = PROJECTS_HEADER.index("lived_experience_involved")
    for project, yes in zip(projects, involved, strict=True):
        project[lived_column] = "yes" if yes else "no"
    return Pdsa(projects, cycles, measures)


def _cycle_dates(rng: np.random.Generator, status: str) -> tuple[dt.date, list[dt.date]]:
    """Project start date and cycle start dates for a project of this status."""
    n = int(rng.integers(2, 9))
    if status == "active":
        start = REFERENCE_DATE - dt.timedelta(days=int(rng.integers(140, 460)))
        last = REFERENCE_DATE - dt.timedelta(days=int(rng.integers(3, 76)))
    else:
        start = dt.date(2024, 1, 15) + dt.timedelta(days=int(rng.integers(0, 330)))
        last = start + dt.timedelta(days=int(n * rng.integers(21, 40)))
        last = min(last, REFERENCE_DATE - dt.timedelta(days=100 if status == "completed" else 130))
    first = start + dt.timedelta(days=int(rng.integers(7, 21)))
    last = max(last, first + dt.timedelta(days=9 * (n - 1)))
    span = (last - first).days
    offsets = [round(span * k / (n - 1)) if n > 1 else 0 for k in range(n)]
    jitter = [0] + [int(rng.integers(-2, 3)) for _ in range(n - 2)] + ([0] if n > 1 else [])
    return start, [first + dt.timedelta(days=o + j) for o, j in zip(offsets, jitter, strict=True)]


def _project_cycles_and_measures(
    rng: np.random.Generator, project_id: str, t: ProjectTemplate, status: str
) -> tuple[Rows, Rows, dt.date]:
    start, starts = _cycle_dates(rng, status)
    n = len(starts)
    ends: list[dt.date | None] = []
    for k, s in enumerate(starts):
        length = dt.timedelta(days=int(rng.integers(7, 29)))
        if k + 1 < n:
            ends.append(min(s + length, starts[k + 1] - dt.timedelta(days=1)))
        else:
            ends.append(None if status == "active" else s + length)

    # Measure dates: 20-40 weekly points or 20-30 monthly points.
    last_cycle_end = ends[-1] or REFERENCE_DATE
    if t.freq == "W":
        cap = monday_on_or_before(REFERENCE_DATE)
        end = (
            cap
            if status == "active"
            else min(cap, monday_on_or_before(last_cycle_end + dt.timedelta(days=42)))
        )
        count = int(rng.integers(20, 41))
        dates = [end - dt.timedelta(weeks=count - 1 - i) for i in range(count)]
    else:
        cap = add_months(REFERENCE_DATE, -1)
        end = cap if status == "active" else min(cap, add_months(last_cycle_end, 2))
        count = int(rng.integers(20, 31))
        dates = [add_months(end, i - count + 1) for i in range(count)]

    # Decisions; an effective project has one adopted change that shifts the measure for good.
    decisions: list[str | None] = [
        str(rng.choice(["adapt", "abandon", "adopt"], p=[0.7, 0.2, 0.1])) for _ in range(n)
    ]
    decisions[-1] = {"active": None, "completed": "adopt", "paused": "adapt", "stopped": "abandon"}[
        status
    ]
    shift_date: dt.date | None = None
    shift_cycle: int | None = None
    if status in ("active", "completed") and rng.random() < 0.62:
        enough = 10 if t.freq == "W" else 7
        usable = [
            k
            for k in range(n)
            if ends[k] is not None
            and sum(d >= ends[k] for d in dates) >= enough
            and sum(d < ends[k] for d in dates) >= enough
        ]
        if usable:
            shift_cycle = usable[int(rng.integers(len(usable)))]
            shift_date = ends[shift_cycle]
            decisions[shift_cycle] = "adopt"
    elif status in ("paused", "stopped"):
        decisions = [d if d != "adopt" else "adapt" for d in decisions[:-1]] + [decisions[-1]]

    cycles: Rows = []
    idea = 0
    attempt = 0
    for k in range(n):
        change = t.ideas[idea % len(t.ideas)]
        decision = decisions[k]
        scale = RAMP[min(attempt, len(RAMP) - 1)]
        better = "rise" if t.direction == "increase" else "fall"
        prediction = f"{t.measure} will {better} within {int(rng.integers(2, 7))} weeks; staff will find it easy to do."
        snag = SNAGS[int(rng.integers(len(SNAGS)))]
        if decision is None:
            happened, learning = None, None
        elif decision == "adopt":
            happened = (
                f"Done reliably {scale}; the measure moved the way we hoped."
                if k == shift_cycle
                else f"Done reliably {scale}; no clear change in the measure yet."
            )
            learning = "Works when it is part of the routine; ready to make standard practice."
        elif decision == "adapt":
            happened = f"Partly worked: {snag}."
            learning = (
                f"Keep it, but add {FIXES[int(rng.integers(len(FIXES)))]} before the next test."
            )
        else:
            happened = f"Did not work: {snag}; no change in the measure."
            learning = "Not the right change for this team; try the next change idea instead."
        cycles.append(
            [
                project_id,
                k + 1,
                starts[k],
                ends[k],
                f"{change} {scale}",
                prediction,
                happened,
                learning,
                decision,
            ]
        )
        if decision in ("adopt", "abandon"):
            idea, attempt = idea + 1, 0
        else:
            attempt += 1

    # A real change is at least three standard deviations of the measure's common-cause noise.
    if t.kind == "proportion":
        noise = float(np.sqrt(t.base * (1 - t.base) / t.spread))
    elif t.kind == "count":
        noise = float(np.sqrt(t.base))
    else:
        noise = t.spread
    effect = float(np.sign(t.effect)) * max(abs(t.effect), 3 * noise)
    rows: Rows = []
    noted = False
    for d in dates:
        shifted = shift_date is not None and d >= shift_date
        level = t.base + (effect if shifted else 0.0)
        numerator: int | None = None
        denominator: int | None = None
        if t.kind == "proportion":
            denominator = max(3, int(rng.poisson(t.spread)))
            numerator = int(rng.binomial(denominator, float(np.clip(level, 0.005, 0.995))))
            value: float | int = round(100.0 * numerator / denominator, 1)
        elif t.kind == "count":
            value = int(rng.poisson(max(level, 0.1)))
        else:
            value = round(float(max(0.0, rng.normal(level, t.spread))), 1)
        note = None
        if shifted and not noted and shift_cycle is not None:
            note, noted = f"Change adopted (cycle {shift_cycle + 1})", True
        elif t.freq == "W" and d.month == 12 and d.day >= 22:
            note = "Christmas week"
        rows.append([project_id, d, value, numerator, denominator, note])
    return cycles, rows, start


# --------------------------------------------------------------------------------------------
# Learning visits
# --------------------------------------------------------------------------------------------

# theme, what the visitors learned, the host types where the visit makes sense
VISIT_THEMES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    (
        "Daily improvement huddles",
        "Huddles work when they are short, daily and led by whoever is on shift.",
        ("acute", "specialist", "community", "mental_health", "ambulance"),
    ),
    (
        "Making Data Count: SPC in board reports",
        "Showing SPC charts instead of RAG tables changed the board's questions.",
        ("acute", "specialist", "community", "mental_health", "icb"),
    ),
    (
        "Co-designing services with lived experience partners",
        "Pay partners for their time and involve them from the first meeting.",
        ("community", "mental_health", "icb"),
    ),
    (
        "Flow and discharge",
        "A single discharge coordinator per ward removed most of the waiting.",
        ("acute", "specialist", "community"),
    ),
    (
        "Improvement coaching",
        "Coaches paired with teams for six months, not one-off training.",
        ("acute", "specialist", "mental_health", "icb"),
    ),
    (
        "Readiness work before a big change",
        "Time spent agreeing shared values first paid back in faster adoption.",
        ("acute", "specialist", "community", "mental_health"),
    ),
    (
        "Reducing restrictive practice",
        "Safewards interventions were owned by the ward team, not imposed.",
        ("mental_health",),
    ),
    (
        "Sepsis pathway",
        "A prompt in the triage form did more than posters.",
        ("acute", "ambulance"),
    ),
    (
        "Staff voice and listening events",
        "Acting visibly on three things staff raised built trust quickly.",
        ("acute", "specialist", "community", "mental_health", "icb"),
    ),
    (
        "Tiered huddles from ward to board",
        "Issues escalate within a day; the board sees the same measures as the ward.",
        ("acute", "specialist", "mental_health"),
    ),
    (
        "Hear and treat in the control room",
        "Clinicians in the control room closed more calls safely without sending a crew.",
        ("ambulance",),
    ),
)
VISITS_HEADER: Header = [
    "from_org",
    "to_org",
    "visit_date",
    "theme",
    "participants",
    "lived_experience_partners",
    "learning",
]
NEVER_VISITING = "ZH1"  # never visits anyone (but is visited)
NEVER_VISITED = "ZJ1"  # never hosts a visit (but visits others)
HOST_WEIGHT = {"ZD1": 3.0, "ZB1": 2.5, "ZE1": 2.0, "ZF1": 2.0, "ZH1": 0.6}


def visits() -> Rows:
    """About 25 learning visits between the system's organisations, mostly to strong cultures."""
    rng = rng_for("visits")
    hosts = [o.code for o in ORGS if o.code != NEVER_VISITED]
    host_weight = np.array([HOST_WEIGHT.get(c, 1.0) for c in hosts])
    visitors = [o.code for o in ORGS if o.code != NEVER_VISITING]
    seen = set()
    rows: Rows = []
    while len(rows) < 25:
        from_org = visitors[int(rng.integers(len(visitors)))]
        to_org = hosts[int(rng.choice(len(hosts), p=host_weight / host_weight.sum()))]
        date = dt.date(2024, 3, 4) + dt.timedelta(days=int(rng.integers(0, 620)))
        date -= dt.timedelta(days=max(0, date.weekday() - 4))  # weekdays only
        if from_org == to_org or (from_org, to_org, date) in seen or date > REFERENCE_DATE:
            continue
        seen.add((from_org, to_org, date))
        themes = [t for t in VISIT_THEMES if ORG_BY_CODE[to_org].org_type in t[2]]
        theme, learning, _ = themes[int(rng.integers(len(themes)))]
        participants = int(rng.integers(2, 15))
        lived = int(rng.choice([0, 0, 0, 1, 1, 2, 3]))
        rows.append(
            [from_org, to_org, date, theme, participants, min(lived, participants), learning]
        )
    rows.sort(key=lambda r: (r[2], r[0], r[1]))
    return rows


# --------------------------------------------------------------------------------------------
# Writers
# --------------------------------------------------------------------------------------------


def _cell(value: object) -> object:
    if isinstance(value, np.generic):
        return value.item()
    return value


def write_xlsx(path: Path, sheets: dict[str, tuple[Header, Rows]], preamble: Rows = ()) -> None:
    """A workbook with one sheet per table: bold, frozen header; dates as real date cells."""
    wb = Workbook()
    for index, (title, (header, rows)) in enumerate(sheets.items()):
        ws = wb.active if index == 0 else wb.create_sheet()
        ws.title = title
        for line in preamble:
            ws.append([_cell(v) for v in line])
        ws.append(header)
        header_row = ws.max_row
        for cell in ws[header_row]:
            cell.font = Font(bold=True)
        ws.freeze_panes = f"A{header_row + 1}"
        date_columns = set()
        for row in rows:
            ws.append([_cell(v) for v in row])
            for col, value in enumerate(row, start=1):
                if isinstance(value, dt.date):
                    date_columns.add(col)
        for col in sorted(date_columns):
            for (cell,) in ws.iter_rows(min_row=header_row + 1, min_col=col, max_col=col):
                cell.number_format = "dd/mm/yyyy"
        for col, name in enumerate(header, start=1):
            longest = max(
                [len(str(name))]
                + [
                    len(str(r[col - 1]))
                    for r in rows[:200]
                    if col - 1 < len(r) and r[col - 1] is not None
                ]
            )
            ws.column_dimensions[get_column_letter(col)].width = min(60, max(10, longest + 2))
    wb.save(path)
    stabilise_zip(path)


def write_csv(
    path: Path,
    header: Header,
    rows: Rows,
    *,
    encoding: str = "utf-8",
    delimiter: str = ",",
    date_format: str = "%Y-%m-%d",
    line_end: str = "\n",
) -> None:
    """A CSV file; None is written as an empty field."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator=line_end)
    writer.writerow(header)
    for row in rows:
        writer.writerow(
            [
                "" if v is None else v.strftime(date_format) if isinstance(v, dt.date) else _cell(v)
                for v in row
            ]
        )
    path.write_bytes(buffer.getvalue().encode(encoding))


def write_ods(path: Path, sheet: str, header: Header, rows: Rows) -> None:
    frame = pd.DataFrame(rows, columns=header, dtype=object)
    with pd.ExcelWriter(path, engine="odf") as writer:
        frame.to_excel(writer, sheet_name=sheet, index=False)
    stabilise_zip(path)


def write_xls(path: Path, sheet: str, header: Header, rows: Rows) -> None:
    wb = xlwt.Workbook(encoding="utf-8")
    ws = wb.add_sheet(sheet)
    bold = xlwt.easyxf("font: bold on")
    date_style = xlwt.easyxf(num_format_str="DD/MM/YYYY")
    for col, name in enumerate(header):
        ws.write(0, col, name, bold)
        ws.col(col).width = 256 * min(60, max(12, len(name) + 2))
    for r, row in enumerate(rows, start=1):
        for col, value in enumerate(row):
            if isinstance(value, dt.date):
                ws.write(r, col, value, date_style)
            elif value is not None:
                ws.write(r, col, _cell(value))
    wb.save(str(path))


def stabilise_zip(path: Path) -> None:
    """Rewrite a zip-based workbook with fixed timestamps, so reruns give identical bytes."""
    with zipfile.ZipFile(path) as source:
        entries = [(info, source.read(info.filename)) for info in source.infolist()]
    with zipfile.ZipFile(path, "w") as target:
        for info, data in entries:
            if info.filename == "docProps/core.xml":
                data = re.sub(
                    rb"(<dcterms:(created|modified)[^>]*>)[^<]*",
                    rb"\g<1>" + DOC_TIME.encode(),
                    data,
                )
            fixed = zipfile.ZipInfo(info.filename, date_time=ZIP_TIME)
            fixed.compress_type = info.compress_type
            fixed.external_attr = info.external_attr
            target.writestr(fixed, data)


def write_bytes(path: Path, data: bytes) -> None:
    path.write_bytes(data)
    stabilise_zip(path)


# --------------------------------------------------------------------------------------------
# Demo, examples, broken files, templates
# --------------------------------------------------------------------------------------------

ORGANISATIONS_HEADER: Header = [
    "org_code",
    "org_name",
    "org_type",
    "system",
    "region",
    "staff_count",
]


def organisations() -> Rows:
    return [[o.code, o.name, o.org_type, SYSTEM, REGION, STAFF_COUNT.get(o.code)] for o in ORGS]


# --------------------------------------------------------------------------------------------
# Improvement capability: people trained per level, twice a year
# --------------------------------------------------------------------------------------------

# Staff headcount per organisation (about the Staff Survey responses / 45% response rate);
# the GP practices' network gives none, so it has no figure per 1,000 staff.
STAFF_COUNT: dict[str, int | None] = {
    o.code: (None if o.org_type == "primary_care" else int(round(o.staff_survey_n / 0.45, -1)))
    for o in ORGS
}
CAPABILITY_DATES = (
    dt.date(2024, 3, 31),
    dt.date(2024, 9, 30),
    dt.date(2025, 3, 31),
    dt.date(2025, 9, 30),
)
# Share of staff trained to each level at the first date, and the growth per half year.
CAPABILITY_SHARE = (0.15, 0.05, 0.010, 0.004, 0.0010)
CAPABILITY_GROWTH = (0.05, 0.018, 0.003, 0.001, 0.0002)
CAPABILITY_LEVEL_NAMES = ("Awareness", "Foundation", "Practitioner", "Coach", "Expert")
# This organisation reports its practitioners by team (one team small enough to be hidden).
CAPABILITY_BY_TEAM = "ZA1"
CAPABILITY_HEADER: Header = ["org_code", "team", "staff_group", "level", "people", "as_of"]


def capability() -> Rows:
    """Each organisation's people trained per level at four dates, growing over time."""
    rng = rng_for("capability")
    rows: Rows = []
    for org in ORGS:
        staff = STAFF_COUNT[org.code] or int(round(org.staff_survey_n / 0.45, -1))
        for k, date in enumerate(CAPABILITY_DATES):
            for level, name in enumerate(CAPABILITY_LEVEL_NAMES):
                share = CAPABILITY_SHARE[level] + CAPABILITY_GROWTH[level] * k
                people = int(max(0, round(staff * share * rng.uniform(0.85, 1.15))))
                if org.code == CAPABILITY_BY_TEAM and name == "Practitioner":
                    weights = rng.dirichlet(np.ones(len(org.teams)))
                    parts = np.floor(weights * people).astype(int)
                    parts[-1] = 4  # a small team: fewer than the suppression threshold
                    for team, part in zip(org.teams, parts, strict=True):
                        rows.append([org.code, team, None, name, int(part), date])
                    continue
                rows.append([org.code, None, None, name, people, date])
    return rows


@dataclass
class Demo:
    organisations: Rows
    staff_survey: Rows
    pulse_survey: Rows
    readiness: Rows
    impact_self_assessment: Rows
    pdsa: Pdsa
    visits: Rows
    capability: Rows


def build_demo() -> Demo:
    return Demo(
        organisations(),
        staff_survey(),
        pulse_survey(),
        readiness(),
        impact_self_assessment(),
        pdsa(),
        visits(),
        capability(),
    )


MANIFEST = (
    ("organisations.xlsx", "organisations"),
    ("staff_survey.xlsx", "staff_survey"),
    ("pulse_survey.xlsx", "pulse_survey"),
    ("readiness.xlsx", "readiness"),
    ("impact_self_assessment.xlsx", "impact_self_assessment"),
    ("pdsa.xlsx", "pdsa"),
    ("visits.xlsx", "visits"),
    ("capability.xlsx", "capability"),
)


def write_demo(out: Path, demo: Demo) -> None:
    out.mkdir(parents=True, exist_ok=True)
    write_xlsx(
        out / "organisations.xlsx", {"Organisations": (ORGANISATIONS_HEADER, demo.organisations)}
    )
    write_xlsx(
        out / "staff_survey.xlsx", {"Staff survey": (STAFF_SURVEY_HEADER, demo.staff_survey)}
    )
    write_xlsx(out / "pulse_survey.xlsx", {"Pulse survey": (PULSE_HEADER, demo.pulse_survey)})
    write_xlsx(out / "readiness.xlsx", {"Readiness": (READINESS_HEADER, demo.readiness)})
    write_xlsx(
        out / "impact_self_assessment.xlsx",
        {"Self assessment": (IMPACT_HEADER, demo.impact_self_assessment)},
    )
    write_xlsx(
        out / "pdsa.xlsx",
        {
            "Projects": (PROJECTS_HEADER, demo.pdsa.projects),
            "Cycles": (CYCLES_HEADER, demo.pdsa.cycles),
            "Measures": (MEASURES_HEADER, demo.pdsa.measures),
        },
    )
    write_xlsx(out / "visits.xlsx", {"Visits": (VISITS_HEADER, demo.visits)})
    write_xlsx(
        out / "capability.xlsx",
        {"Improvement capability": (CAPABILITY_HEADER, demo.capability)},
    )
    manifest = [{"file": file, "kind": kind} for file, kind in MANIFEST]
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")


def write_examples(out: Path) -> None:
    """Messy but valid files, as teams really produce them."""
    out.mkdir(parents=True, exist_ok=True)
    rng = rng_for("examples")

    # Staff survey: title rows and a blank row above the header, survey-contractor headers, a
    # Notes column. Engagement questions q2b and q2c, which the demo file does not hold.
    questions = {
        "q2b": ("I am enthusiastic about my job.", 0.3),
        "q2c": ("Time often passes quickly when I am working.", 0.6),
    }
    rows: Rows = []
    for org in ("ZA1", "ZD1", "ZG1"):
        for year in (2023, 2024, 2025):
            staff = ORG_BY_CODE[org].staff_survey_n
            for q, (_, offset) in questions.items():
                n = int(rng.binomial(staff, 0.98))
                pct = round(
                    100
                    * expit(culture_level(ORG_BY_CODE[org], year) + offset + rng.normal(0, 0.05)),
                    1,
                )
                note = "Reweighted by contractor" if year == 2023 and q == "q2b" else None
                rows.append([org, year, q, n, pct, note])
    write_xlsx(
        out / "staff_survey_title_rows.xlsx",
        {"Results": (["ODS code", "Survey Year", "Question", "Base", "% Positive", "Notes"], rows)},
        preamble=[
            ["Northmoor and Vale ICS: NHS Staff Survey, engagement questions"],
            ["Source: survey contractor local results, 2023-2025"],
            [],
        ],
    )

    # Pulse survey from an old survey tool: cp1252, semicolons, UK dates, Likert words,
    # question headers with their wording, a team name with an accent.
    header = ["Organisation code", "Survey date", "Team", "Staff group", "Respondent"] + [
        f"Q{code[1:]}. {text}"
        for code, text in (
            ("q3c", NSS_QUESTIONS["q3c"][0]),
            ("q3d", NSS_QUESTIONS["q3d"][0]),
            ("q3f", NSS_QUESTIONS["q3f"][0]),
        )
    ]
    rows = []
    teams = {"ZA1": ("Café & Retail Services", "Theatres"), "ZC1": ("Radiology", "Outpatients")}
    for i in range(40):
        org = "ZA1" if i % 2 == 0 else "ZC1"
        date = dt.date(2025, 3, 3) + dt.timedelta(days=int(rng.integers(0, 40)))
        answers = [
            None if rng.random() < 0.05 else LIKERT_WORDS[likert(rng, 0.4) - 1] for _ in range(3)
        ]
        rows.append(
            [
                org,
                date,
                teams[org][i % 4 // 2],
                STAFF_GROUPS[int(rng.integers(4))],
                f"OLD-{i + 1:03d}",
                *answers,
            ]
        )
    write_csv(
        out / "pulse_cp1252_semicolon.csv",
        header,
        rows,
        encoding="cp1252",
        delimiter=";",
        date_format="%d/%m/%Y",
        line_end="\r\n",
    )

    # Pulse survey exported from a modern tool: UTF-8 with BOM, commas, ISO dates, numbers.
    rows = []
    for i in range(40):
        org = ("ZB1", "ZH1")[i % 2]
        team = ORG_BY_CODE[org].teams[int(rng.integers(3))]
        date = dt.date(2025, 9, 1) + dt.timedelta(days=int(rng.integers(0, 30)))
        answers = [
            None if rng.random() < 0.04 else likert(rng, 0.2 + off)
            for off in (0.5, 0.45, -0.35, 0.0)
        ]
        rows.append(
            [org, date, team, STAFF_GROUPS[int(rng.integers(6))], f"WEB-{i + 1:03d}", *answers]
        )
    write_csv(
        out / "pulse_utf8_bom.csv",
        [
            "org_code",
            "response_date",
            "team",
            "staff_group",
            "respondent_id",
            "q3c",
            "q3d",
            "q3e",
            "q3f",
        ],
        sorted(rows, key=lambda r: (r[1], r[4])),
        encoding="utf-8-sig",
    )

    # Readiness check saved from LibreOffice: .ods, instrument written in capitals.
    rows = []
    rnd = ReadinessRound(dt.date(2025, 10, 13), 3.8, 3.3, "mixed")
    for i, answers in enumerate(oric_answers(rng, 12, rnd)):
        role = ROLES["mental_health"][int(rng.integers(5))]
        rows.append(
            [
                "ZG1",
                rnd.date,
                "Learning Disability Service",
                role,
                "Annual health checks",
                "ORIC",
                f"ODS-{i + 1:03d}",
                *answers,
            ]
        )
    write_ods(out / "readiness.ods", "Readiness", READINESS_HEADER, rows)

    # NHS IMPACT self-assessment in a legacy .xls, components named rather than numbered.
    rows = []
    for org, base in (("ZC1", 2.4), ("ZE1", 3.0)):
        for component, name in IMPACT_COMPONENTS.items():
            level = int(
                np.clip(np.rint(base + COMPONENT_OFFSET[component] + rng.normal(0, 0.3)), 1, 5)
            )
            rows.append(
                [
                    org,
                    dt.date(2025, 10, 20),
                    name,
                    level,
                    IMPACT_EVIDENCE[component][level - 1],
                    IMPACT_NEXT_STEPS[component][0],
                ]
            )
    write_xls(
        out / "impact_self_assessment.xls",
        "Self assessment",
        ["ODS code", "Date", "Component", "Maturity level", "Evidence", "Next steps"],
        rows,
    )

    # PDSA as three CSVs, as teams keep them in a shared drive.
    projects, cycles, measures = example_pdsa(rng)
    write_csv(out / "pdsa_projects.csv", PROJECTS_HEADER, projects)
    write_csv(out / "pdsa_cycles.csv", CYCLES_HEADER, cycles)
    write_csv(out / "pdsa_measures.csv", MEASURES_HEADER, measures)

    manifest = [
        {"file": "staff_survey_title_rows.xlsx", "kind": "staff_survey"},
        {"file": "pulse_cp1252_semicolon.csv", "kind": "pulse_survey"},
        {"file": "pulse_utf8_bom.csv", "kind": "pulse_survey"},
        {"file": "readiness.ods", "kind": "readiness"},
        {"file": "impact_self_assessment.xls", "kind": "impact_self_assessment"},
        {"file": "pdsa_projects.csv", "kind": "pdsa", "table": "projects"},
        {"file": "pdsa_cycles.csv", "kind": "pdsa", "table": "cycles"},
        {"file": "pdsa_measures.csv", "kind": "pdsa", "table": "measures"},
    ]
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")


def example_pdsa(rng: np.random.Generator) -> tuple[Rows, Rows, Rows]:
    """Two small projects (ids not in the demo) with their cycles and measures."""
    projects = [
        [
            "ZC1-101",
            "ZC1",
            "Reducing falls on Ward 3",
            "Reduce falls on Ward 3 Surgery from 4 to 2 a week by June 2026",
            dt.date(2025, 5, 5),
            "Ward 3 Surgery",
            "Falls per week",
            "decrease",
            2,
            "active",
            "yes",
            "Megan Clarke",
            "Bay tagging; falls safety huddle",
        ],
        [
            "ZG1-101",
            "ZG1",
            "Physical health checks at the depot clinic",
            "Increase health checks completed at depot clinic from 40% to 70% by March 2026",
            dt.date(2025, 3, 3),
            "Community Mental Health Team West",
            "% depot clinic patients with a health check",
            "increase",
            70,
            "completed",
            "no",
            None,
            "Health check at the depot appointment; text reminders",
        ],
    ]
    cycles = [
        [
            "ZC1-101",
            1,
            dt.date(2025, 5, 12),
            dt.date(2025, 5, 25),
            "Bay tagging on days in bay A",
            "Fewer unwitnessed falls in bay A",
            "Bay covered except at 13:00 breaks",
            "Stagger breaks",
            "adapt",
        ],
        [
            "ZC1-101",
            2,
            dt.date(2025, 6, 2),
            dt.date(2025, 6, 29),
            "Bay tagging with staggered breaks, all bays",
            "Falls fall below 3 a week",
            "Worked on days and nights",
            "Make it standard",
            "adopt",
        ],
        [
            "ZC1-101",
            3,
            dt.date(2025, 10, 6),
            None,
            "Falls safety huddle at handover",
            "Huddle takes under five minutes",
            None,
            None,
            None,
        ],
        [
            "ZG1-101",
            1,
            dt.date(2025, 3, 10),
            dt.date(2025, 4, 4),
            "Health check offered at depot appointment",
            "Half of patients accept",
            "Most accepted; bloods took too long",
            "Use point-of-care testing",
            "adapt",
        ],
        [
            "ZG1-101",
            2,
            dt.date(2025, 4, 14),
            dt.date(2025, 5, 30),
            "Health check with point-of-care testing",
            "70% complete",
            "68% complete",
            "Adopt as standard",
            "adopt",
        ],
    ]
    measures: Rows = []
    for k in range(24):
        date = dt.date(2025, 3, 3) + dt.timedelta(weeks=k)
        measures.append(
            [
                "ZC1-101",
                date,
                int(rng.poisson(4.2 if date < dt.date(2025, 6, 2) else 2.1)),
                None,
                None,
                None,
            ]
        )
    for k in range(20):
        date = dt.date(2024, 9, 1) if k == 0 else add_months(dt.date(2024, 9, 1), k)
        den = int(rng.integers(25, 40))
        num = int(rng.binomial(den, 0.4 if date < dt.date(2025, 5, 1) else 0.68))
        measures.append(
            [
                "ZG1-101",
                date,
                round(100 * num / den, 1),
                num,
                den,
                "Depot clinic checks adopted" if date == dt.date(2025, 5, 1) else None,
            ]
        )
    return projects, cycles, measures


def excel_row(index: int, header_row: int = 1) -> int:
    """The row number a user sees for data row `index` (0-based) under a header on `header_row`."""
    return header_row + 1 + index


def write_broken(out: Path, demo: Demo) -> None:
    """Files each broken in exactly one stated way, and EXPECTED.json listing every problem."""
    out.mkdir(parents=True, exist_ok=True)
    expected: dict[str, dict[str, object]] = {}

    def problem(
        row: int, column: str | None, contains: str, table: str | None = None
    ) -> dict[str, object]:
        entry: dict[str, object] = {"row": row, "column": column, "contains": contains}
        if table is not None:
            entry["table"] = table
        return entry

    # Broken files reuse demo rows but never a demo key (nor an example's), so loading one
    # after the demo shows only the stated problems, not "already loaded".
    org_level = [list(r) for r in demo.staff_survey if r[7] is None and r[8] is None][:20]
    for r in org_level:
        r[1] = 2020  # a year the demo does not hold

    rows = [list(r) for r in org_level]
    rows[4][5] = 104.0
    rows[11][3] = -12
    write_xlsx(
        out / "staff_survey_positive_over_100.xlsx", {"Staff survey": (STAFF_SURVEY_HEADER, rows)}
    )
    expected["staff_survey_positive_over_100.xlsx"] = {
        "kind": "staff_survey",
        "description": "One positive_pct of 104 and one negative responses.",
        "problems": [
            problem(excel_row(4), "positive_pct", "between 0 and 100"),
            problem(excel_row(11), "responses", "negative"),
        ],
    }

    latest = {}
    for r in demo.impact_self_assessment:
        if r[0] in ("ZA1", "ZB1", "ZD1"):
            latest[r[0], r[2]] = list(r)  # each org's latest rating of each component
    rows = list(latest.values())
    for r in rows:
        r[1] = dt.date(2025, 11, 3)
    rows[7][3] = 6
    write_xlsx(out / "impact_level_6.xlsx", {"Self assessment": (IMPACT_HEADER, rows)})
    expected["impact_level_6.xlsx"] = {
        "kind": "impact_self_assessment",
        "description": "One level of 6 (levels are 1-5).",
        "problems": [problem(excel_row(7), "level", "between 1 and 5")],
    }

    # Thirty respondents spread over the year (numeric answers), so UK dates with days over 12 occur.
    pulse = [list(r) for r in demo.pulse_survey if r[0] != LIKERT_WORD_ORG][::170][:30]

    def renumbered(prefix: str) -> Rows:
        return [[*r[:4], f"{prefix}-{i + 1:03d}", *r[5:]] for i, r in enumerate(pulse)]

    header = ["Org cde", *PULSE_HEADER[1:]]
    write_csv(out / "pulse_missing_org_code.csv", header, renumbered("MO"))
    expected["pulse_missing_org_code.csv"] = {
        "kind": "pulse_survey",
        "description": "The org_code column is missing; the closest header is 'Org cde'.",
        "problems": [problem(1, "org_code", "missing")],
    }

    rows = [[*r[:6], f"UO-{i + 1:03d}", *r[7:]] for i, r in enumerate(demo.readiness[:20])]
    rows[3][0] = "QQ9"
    rows[15][0] = "QQ8"
    write_xlsx(out / "readiness_unknown_org.xlsx", {"Readiness": (READINESS_HEADER, rows)})
    expected["readiness_unknown_org.xlsx"] = {
        "kind": "readiness",
        "description": "Two rows with org codes (QQ9, QQ8) that are not in the demo organisations.",
        "problems": [
            problem(excel_row(3), "org_code", "not a known organisation"),
            problem(excel_row(15), "org_code", "not a known organisation"),
        ],
    }

    rows = [list(r) for r in org_level]
    rows.insert(12, list(rows[5]))
    write_xlsx(out / "staff_survey_duplicates.xlsx", {"Staff survey": (STAFF_SURVEY_HEADER, rows)})
    expected["staff_survey_duplicates.xlsx"] = {
        "kind": "staff_survey",
        "description": f"Row {excel_row(12)} repeats row {excel_row(5)} (same org_code, year, question_code, team, staff_group).",
        "problems": [problem(excel_row(12), None, "duplicate")],
    }

    rows = renumbered("BD")
    bad_dates = {5: "31/02/2025", 14: "12/31/2025", 22: "not a date"}
    for index, text in bad_dates.items():
        rows[index][1] = text
    write_csv(out / "pulse_bad_dates.csv", PULSE_HEADER, rows, date_format="%d/%m/%Y")
    expected["pulse_bad_dates.csv"] = {
        "kind": "pulse_survey",
        "description": "UK dates (dd/mm/yyyy) except 31/02/2025, a US-order 12/31/2025 and 'not a date'.",
        "problems": [problem(excel_row(i), "response_date", "not a valid date") for i in bad_dates],
    }

    rows = renumbered("BL")
    bad_answers = {(3, "q3c"): 7, (9, "q3e"): 0, (17, "q9f"): "Sometimes"}
    for (index, column), value in bad_answers.items():
        rows[index][PULSE_HEADER.index(column)] = value
    write_xlsx(out / "pulse_bad_likert.xlsx", {"Pulse survey": (PULSE_HEADER, rows)})
    expected["pulse_bad_likert.xlsx"] = {
        "kind": "pulse_survey",
        "description": "Answers 7, 0 and 'Sometimes' in question columns (answers are 1-5 or Likert words).",
        "problems": [problem(excel_row(i), column, "1-5") for (i, column) in bad_answers],
    }

    new_id = {f"ZB1-{n:03d}": f"ZB1-{200 + n:03d}" for n in (1, 2, 3)}
    chosen = [[new_id[p[0]], *p[1:]] for p in demo.pdsa.projects if p[0] in new_id]
    cycles = [[new_id[c[0]], *c[1:]] for c in demo.pdsa.cycles if c[0] in new_id]
    measures = [[new_id[m[0]], *m[1:]] for m in demo.pdsa.measures if m[0] in new_id]
    bad_cycle = 2
    cycles[bad_cycle][0] = "ZB1-099"
    write_xlsx(
        out / "pdsa_cycle_unknown_project.xlsx",
        {
            "Projects": (PROJECTS_HEADER, [list(p) for p in chosen]),
            "Cycles": (CYCLES_HEADER, cycles),
            "Measures": (MEASURES_HEADER, measures),
        },
    )
    expected["pdsa_cycle_unknown_project.xlsx"] = {
        "kind": "pdsa",
        "description": "A Cycles row whose project_id (ZB1-099) is not on the Projects sheet.",
        "problems": [
            problem(excel_row(bad_cycle), "project_id", "unknown project", table="cycles")
        ],
    }

    rows = [[*r[:2], r[2] + dt.timedelta(days=2), *r[3:]] for r in demo.visits[:12]]
    rows[6][2] = None
    write_csv(out / "visits_missing_required.csv", VISITS_HEADER, rows)
    expected["visits_missing_required.csv"] = {
        "kind": "visits",
        "description": "One row with a blank visit_date (required).",
        "problems": [problem(excel_row(6), "visit_date", "required")],
    }

    (out / "EXPECTED.json").write_text(json.dumps(expected, indent=2) + "\n", encoding="utf-8")


def write_templates(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for kind in KINDS:
        write_bytes(out / template_filename(kind), build_template(kind))


def generate(out_dir: Path) -> None:
    """Write demo/, examples/, broken/ and templates/ under out_dir."""
    demo = build_demo()
    write_demo(out_dir / "demo", demo)
    write_examples(out_dir / "examples")
    write_broken(out_dir / "broken", demo)
    write_templates(out_dir / "templates")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", nargs="?", type=Path, default=Path(__file__).resolve().parent)
    args = parser.parse_args(argv)
    generate(args.out_dir)
    print(f"sample data written under {args.out_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
