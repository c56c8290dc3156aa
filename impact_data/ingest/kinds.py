"""Upload kinds: the contract between users' spreadsheets and the data layer.

Each kind is one or more tables (sheets); each table is a list of fields with a type,
the header synonyms users actually write, and the range a value must fall in.
Templates, header matching, validation and the Upload page all read these specs.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from impact_data.stats import spc

__all__ = [
    "AGREE_LABELS",
    "CAPABILITY_LEVELS",
    "IMPACT_COMPONENTS",
    "IMPROVEMENT_DIRECTIONS",
    "KINDS",
    "LIKERT_WORDS",
    "NATIONAL_KINDS",
    "ORGANISATIONS_TABLE",
    "ORG_CODE",
    "ORG_TYPES",
    "ORG_TYPE_SYNONYMS",
    "PDSA_DECISIONS",
    "PDSA_STATUSES",
    "QUESTION_CODE",
    "SOMEWHAT_LABELS",
    "STAFF_GROUP",
    "TEAM",
    "UPLOAD_KINDS",
    "WORD_VARIANTS",
    "AnswerLabels",
    "Field",
    "TableSpec",
    "UploadKind",
    "get_kind",
    "normalise_header",
    "question_code_from_header",
]

ORG_TYPES: dict[str, str] = {
    "acute": "Acute trust (including acute and community)",
    "community": "Community trust",
    "mental_health": "Mental health and learning disability trust",
    "ambulance": "Ambulance trust",
    "primary_care": "Primary care (GP practice or network)",
    "specialist": "Acute specialist trust",
    "icb": "Integrated care board",
    "other": "Other organisation (e.g. social enterprise, local authority)",
}

# Words users write for org types, normalised (see normalise_header), mapped to the canonical type.
ORG_TYPE_SYNONYMS: dict[str, str] = {
    "acute": "acute",
    "acutetrust": "acute",
    "acuteandcommunity": "acute",
    "acuteacutecommunity": "acute",
    "hospital": "acute",
    "community": "community",
    "communitytrust": "community",
    "mentalhealth": "mental_health",
    "mh": "mental_health",
    "mhld": "mental_health",
    "mentalhealthandlearningdisability": "mental_health",
    "mentalhealthtrust": "mental_health",
    "ambulance": "ambulance",
    "ambulancetrust": "ambulance",
    "primarycare": "primary_care",
    "gp": "primary_care",
    "gppractice": "primary_care",
    "pcn": "primary_care",
    "primarycarenetwork": "primary_care",
    "specialist": "specialist",
    "acutespecialist": "specialist",
    "specialisttrust": "specialist",
    "icb": "icb",
    "integratedcareboard": "icb",
    "other": "other",
    "socialenterprise": "other",
    "localauthority": "other",
}

IMPACT_COMPONENTS: dict[int, str] = {
    1: "Building a shared purpose and vision",
    2: "Investing in people and culture",
    3: "Developing leadership behaviours",
    4: "Building improvement capability and capacity",
    5: "Embedding improvement into management systems and processes",
}


PDSA_DECISIONS = ("adopt", "adapt", "abandon")
PDSA_STATUSES = ("active", "completed", "paused", "stopped")
# The directions a PDSA measure may be uploaded with: SPC's own directions, less "neutral"
# (a project's measure always has a direction to improve in).
IMPROVEMENT_DIRECTIONS = tuple(d for d in spc.IMPROVEMENT_DIRECTIONS if d != "neutral")


def normalise_header(text: object) -> str:
    """Lower-case a header and drop everything but letters and digits."""
    if text is None:
        return ""
    return re.sub(r"[^a-z0-9]", "", str(text).lower())


@dataclass(frozen=True)
class AnswerLabels:
    """The words of each point of an answer scale, lowest first (one label set of a scale)."""

    name: str
    words: tuple[str, ...]

    def values(self, scale_min: int = 1) -> dict[str, int]:
        """Normalised word (and its usual variants) -> the scale point it stands for."""
        out: dict[str, int] = {}
        for value, word in enumerate(self.words, start=scale_min):
            key = normalise_header(word)
            out[key] = value
            for variant in WORD_VARIANTS.get(key, ()):
                out[variant] = value
        return out

    def as_json(self) -> dict[str, object]:
        """{"name", "words"} as stored on an instrument."""
        return {"name": self.name, "words": list(self.words)}

    @classmethod
    def from_json(cls, data: dict) -> AnswerLabels:
        """A label set as stored on an instrument."""
        return cls(str(data["name"]), tuple(str(w) for w in data["words"]))


# Other spellings people write for a scale point (normalised).
WORD_VARIANTS: dict[str, tuple[str, ...]] = {
    "neitheragreenordisagree": ("neither", "neitheragreeordisagree", "neutral"),
}

# The agreement scale of the NHS Staff Survey and the templates (Strongly disagree = 1).
AGREE_LABELS = AnswerLabels(
    "Strongly disagree ... Strongly agree",
    ("Strongly disagree", "Disagree", "Neither agree nor disagree", "Agree", "Strongly agree"),
)
# ORIC as published (Shea et al. 2014): Disagree = 1 ... Agree = 5, with "Somewhat".
SOMEWHAT_LABELS = AnswerLabels(
    "Disagree ... Somewhat agree ... Agree",
    ("Disagree", "Somewhat disagree", "Neither agree nor disagree", "Somewhat agree", "Agree"),
)

# Kept for callers that read the standard agreement words; answers are read by the label
# sets of their instrument or kind (see convert.choose_labels), never by this table alone.
LIKERT_WORDS: dict[str, int] = AGREE_LABELS.values()


@dataclass(frozen=True)
class Field:
    """One column of an upload table."""

    name: str
    type: (
        str  # code | question | text | int | float | date | year | likert | enum | bool | component
        # | capability_level (a level's number, or its name among `choices`)
    )
    required: bool = False
    synonyms: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    choice_synonyms: dict[str, str] = field(default_factory=dict)
    description: str = ""
    example: object = None

    def header_keys(self) -> set[str]:
        """Normalised header spellings that map to this field."""
        return {normalise_header(self.name)} | {normalise_header(s) for s in self.synonyms}


@dataclass(frozen=True)
class TableSpec:
    """One sheet of an upload: its fields and how rows are told apart."""

    name: str
    label: str
    fields: tuple[Field, ...]
    sheet_names: tuple[str, ...] = ()
    unique_key: tuple[str, ...] = ()
    # "questions": other columns whose header looks like a question code are answers (1-5).
    # "items": other columns are instrument items (validated against the instrument's scale).
    item_columns: str | None = None

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)

    @property
    def required(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if f.required)


@dataclass(frozen=True)
class UploadKind:
    """An upload kind: what one file of this kind holds."""

    name: str
    label: str
    description: str
    tables: tuple[TableSpec, ...]
    shown_on: str = ""

    def table(self, name: str) -> TableSpec:
        for t in self.tables:
            if t.name == name:
                return t
        raise KeyError(name)


ORG_CODE = Field(
    "org_code",
    "code",
    required=True,
    synonyms=(
        "org",
        "ods code",
        "ods",
        "organisation code",
        "organization code",
        "org id",
        "orgid",
        "trust code",
        "provider code",
        "site code",
    ),
    description="The organisation's ODS code, e.g. RXX.",
    example="ZA1",
)
TEAM = Field(
    "team",
    "text",
    synonyms=("team name", "ward", "department", "directorate", "service", "unit"),
    description="Team, ward or directorate (optional).",
)
STAFF_GROUP = Field(
    "staff_group",
    "text",
    synonyms=(
        "staff group",
        "occupational group",
        "professional group",
        "staffgroup",
        "role group",
    ),
    description="Staff group, e.g. Nursing, Medical (optional).",
)

ORGANISATIONS_TABLE = TableSpec(
    "organisations",
    "Organisations",
    (
        ORG_CODE,
        Field(
            "org_name",
            "text",
            required=True,
            synonyms=(
                "name",
                "organisation name",
                "organization name",
                "trust name",
                "organisation",
                "organization",
            ),
            description="The organisation's name.",
            example="Northmoor Hospitals NHS Foundation Trust",
        ),
        Field(
            "org_type",
            "enum",
            required=True,
            synonyms=("type", "organisation type", "organization type", "sector", "trust type"),
            choices=tuple(ORG_TYPES),
            choice_synonyms=ORG_TYPE_SYNONYMS,
            description="One of: " + ", ".join(ORG_TYPES) + ".",
            example="acute",
        ),
        Field(
            "system",
            "text",
            synonyms=("ics", "integrated care system", "stp", "ics stp", "icb"),
            description="Integrated care system the organisation belongs to (optional).",
        ),
        Field("region", "text", synonyms=("nhs region",), description="NHS region (optional)."),
        Field(
            "staff_count",
            "int",
            synonyms=(
                "staff",
                "headcount",
                "staff headcount",
                "number of staff",
                "staff numbers",
                "workforce",
            ),
            minimum=0,
            description="Number of staff (headcount), for people trained per 1,000 staff (optional).",
        ),
    ),
    sheet_names=("organisations", "organizations", "orgs", "organisation list"),
    unique_key=("org_code",),
)

KINDS: dict[str, UploadKind] = {}


def _register(kind: UploadKind) -> UploadKind:
    KINDS[kind.name] = kind
    return kind


_register(
    UploadKind(
        "organisations",
        "Organisations",
        "The organisations of your system: code, name and type. Load this first.",
        (ORGANISATIONS_TABLE,),
        shown_on="Overview",
    )
)

_register(
    UploadKind(
        "staff_survey",
        "NHS Staff Survey results",
        "One question's result for one organisation (and optionally team or staff group) in one "
        "year. Your survey contractor's positive-scoring export (Year, QuestionNumber, DimName, "
        "DimValue, BaseSize, Score) loads as it is: you choose the organisation at upload.",
        (
            TableSpec(
                "staff_survey",
                "Staff survey results",
                (
                    ORG_CODE,
                    Field(
                        "year",
                        "year",
                        required=True,
                        synonyms=("survey year", "yr", "period"),
                        minimum=2000,
                        maximum=2100,
                        description="Survey year, e.g. 2024.",
                        example=2024,
                    ),
                    Field(
                        "question_code",
                        "question",
                        required=True,
                        synonyms=(
                            "question",
                            "question number",
                            "questionnumber",
                            "q",
                            "item",
                            "qnum",
                        ),
                        description="Question code as in the survey, e.g. q3f.",
                        example="q3f",
                    ),
                    Field(
                        "responses",
                        "int",
                        required=True,
                        synonyms=(
                            "n",
                            "base",
                            "base size",
                            "basesize",
                            "number of responses",
                            "respondents",
                            "count",
                        ),
                        minimum=0,
                        description="Number of people who answered the question.",
                        example=412,
                    ),
                    Field(
                        "question_text",
                        "text",
                        synonyms=("question wording", "wording", "text", "description"),
                        description="Question wording (optional).",
                    ),
                    Field(
                        "positive_pct",
                        "float",
                        synonyms=(
                            "positive",
                            "percent positive",
                            "positive score",
                            "pct positive",
                            "positive %",
                            "% positive",
                        ),
                        minimum=0,
                        maximum=100,
                        description="Positive score, 0-100: % Agree + % Strongly agree.",
                        example=61.5,
                    ),
                    Field(
                        "score",
                        "float",
                        synonyms=("mean score", "score 0 10", "theme score"),
                        minimum=0,
                        maximum=10,
                        description="Score on the 0-10 scale (optional).",
                    ),
                    TEAM,
                    STAFF_GROUP,
                ),
                sheet_names=("staff survey", "results", "staff_survey", "nss"),
                unique_key=("org_code", "year", "question_code", "team", "staff_group"),
            ),
        ),
        shown_on="Culture",
    )
)

_register(
    UploadKind(
        "pulse_survey",
        "Pulse survey responses",
        "One row per respondent: organisation, date, then one column per question (1-5 or Likert words).",
        (
            TableSpec(
                "pulse_survey",
                "Pulse survey responses",
                (
                    ORG_CODE,
                    Field(
                        "response_date",
                        "date",
                        required=True,
                        synonyms=(
                            "date",
                            "response date",
                            "submitted",
                            "completed",
                            "timestamp",
                            "survey date",
                        ),
                        description="Date of the response (dd/mm/yyyy or yyyy-mm-dd).",
                        example="2025-03-14",
                    ),
                    TEAM,
                    STAFF_GROUP,
                    Field(
                        "respondent_id",
                        "text",
                        synonyms=("respondent", "response id", "id", "respondentid"),
                        description="Anonymous respondent reference (optional).",
                    ),
                ),
                sheet_names=("pulse", "pulse survey", "responses"),
                unique_key=("respondent_id",),
                item_columns="questions",
            ),
        ),
        shown_on="Culture",
    )
)

_register(
    UploadKind(
        "readiness",
        "Readiness check responses",
        "One respondent's readiness check per row: e.g. ORIC items c1-c5 and e1-e7, or OR1-OR12 "
        "as published, answered 1-5 or in words (Strongly disagree ... Strongly agree, or "
        "Disagree ... Somewhat agree ... Agree).",
        (
            TableSpec(
                "readiness",
                "Readiness responses",
                (
                    ORG_CODE,
                    Field(
                        "assessment_date",
                        "date",
                        required=True,
                        synonyms=(
                            "date",
                            "assessment date",
                            "completed",
                            "round date",
                            "survey date",
                        ),
                        description="Date the check was completed.",
                        example="2025-02-01",
                    ),
                    TEAM,
                    Field(
                        "role",
                        "text",
                        synonyms=("job role", "job title", "position"),
                        description="Role (optional).",
                    ),
                    Field(
                        "programme",
                        "text",
                        synonyms=("program", "improvement programme", "project", "change"),
                        description="The improvement programme the check is about (optional).",
                    ),
                    Field(
                        "instrument",
                        "text",
                        synonyms=("tool", "questionnaire", "measure"),
                        description="Instrument code, e.g. oric (optional: inferred from the item columns).",
                    ),
                    Field(
                        "respondent_id",
                        "text",
                        synonyms=("respondent", "response id", "id"),
                        description="Anonymous respondent reference (optional).",
                    ),
                ),
                sheet_names=("readiness", "responses", "oric"),
                unique_key=("respondent_id", "assessment_date", "programme"),
                item_columns="items",
            ),
        ),
        shown_on="Readiness",
    )
)

_register(
    UploadKind(
        "impact_self_assessment",
        "NHS IMPACT self-assessment",
        "One organisation's rating of one NHS IMPACT component (1-5) on one date.",
        (
            TableSpec(
                "impact_self_assessment",
                "NHS IMPACT self-assessment",
                (
                    ORG_CODE,
                    Field(
                        "assessment_date",
                        "date",
                        required=True,
                        synonyms=("date", "assessment date", "rated on"),
                        description="Date of the self-assessment.",
                        example="2025-04-01",
                    ),
                    Field(
                        "component",
                        "component",
                        required=True,
                        synonyms=(
                            "impact component",
                            "nhs impact component",
                            "domain",
                            "component number",
                        ),
                        minimum=1,
                        maximum=5,
                        description="NHS IMPACT component: its number 1-5 or its name.",
                        example=2,
                    ),
                    Field(
                        "level",
                        "int",
                        required=True,
                        synonyms=("maturity", "maturity level", "rating", "score"),
                        minimum=1,
                        maximum=5,
                        description="Self-assessed maturity level, 1-5.",
                        example=3,
                    ),
                    Field(
                        "evidence",
                        "text",
                        synonyms=("evidence summary", "rationale"),
                        description="Evidence (optional).",
                    ),
                    Field(
                        "next_step",
                        "text",
                        synonyms=("next steps", "actions", "action"),
                        description="Next step (optional).",
                    ),
                ),
                sheet_names=("self assessment", "impact", "self-assessment"),
                unique_key=("org_code", "assessment_date", "component"),
            ),
        ),
        shown_on="Readiness",
    )
)

_register(
    UploadKind(
        "pdsa",
        "PDSA projects, cycles and measures",
        "A workbook with sheets Projects, Cycles and Measures (or each as its own CSV).",
        (
            TableSpec(
                "projects",
                "Projects",
                (
                    Field(
                        "project_id",
                        "text",
                        required=True,
                        synonyms=(
                            "project",
                            "project ref",
                            "project code",
                            "projectid",
                            "project no",
                        ),
                        description="Your unique reference for the project, e.g. ZA1-001.",
                        example="ZA1-001",
                    ),
                    ORG_CODE,
                    Field(
                        "title",
                        "text",
                        required=True,
                        synonyms=("project title", "name", "project name"),
                        description="Project title.",
                        example="Reducing falls on Ward 7",
                    ),
                    Field(
                        "aim",
                        "text",
                        required=True,
                        synonyms=("aim statement", "objective"),
                        description="Aim: what, by how much, by when.",
                        example="Reduce falls by 30% by March 2026",
                    ),
                    Field(
                        "start_date",
                        "date",
                        required=True,
                        synonyms=("start", "started", "date started", "project start"),
                        description="Date the project started.",
                        example="2025-01-06",
                    ),
                    TEAM,
                    Field(
                        "measure_name",
                        "text",
                        synonyms=("measure", "outcome measure", "primary measure"),
                        description="Name of the main measure.",
                    ),
                    Field(
                        "improvement_direction",
                        "enum",
                        synonyms=("direction", "better is", "improvement"),
                        choices=IMPROVEMENT_DIRECTIONS,
                        choice_synonyms={
                            "up": "increase",
                            "higher": "increase",
                            "higherisbetter": "increase",
                            "down": "decrease",
                            "lower": "decrease",
                            "lowerisbetter": "decrease",
                        },
                        description="increase or decrease: which way is better.",
                    ),
                    Field(
                        "target",
                        "float",
                        synonyms=("goal",),
                        description="Target value of the measure (optional).",
                    ),
                    Field(
                        "status",
                        "enum",
                        synonyms=("project status", "state"),
                        choices=PDSA_STATUSES,
                        choice_synonyms={
                            "complete": "completed",
                            "closed": "completed",
                            "ongoing": "active",
                            "open": "active",
                            "onhold": "paused",
                        },
                        description="active, completed, paused or stopped.",
                    ),
                    Field(
                        "lived_experience_involved",
                        "bool",
                        synonyms=(
                            "lived experience",
                            "co designed",
                            "codesigned",
                            "patient involvement",
                            "lived experience partners",
                        ),
                        description="yes or no: were people with lived experience involved?",
                    ),
                    Field(
                        "coach",
                        "text",
                        synonyms=("improvement coach", "qi coach"),
                        description="Coach (optional).",
                    ),
                    Field(
                        "change_ideas",
                        "text",
                        synonyms=("change idea", "ideas"),
                        description="Change ideas (optional).",
                    ),
                ),
                sheet_names=("projects", "project", "project register", "registry"),
                unique_key=("project_id",),
            ),
            TableSpec(
                "cycles",
                "Cycles",
                (
                    Field(
                        "project_id",
                        "text",
                        required=True,
                        synonyms=("project", "project ref", "project code", "projectid"),
                    ),
                    Field(
                        "cycle_no",
                        "int",
                        required=True,
                        synonyms=(
                            "cycle",
                            "cycle number",
                            "pdsa",
                            "pdsa number",
                            "cycle no",
                            "pdsa cycle",
                        ),
                        minimum=1,
                        description="Cycle number within the project, from 1.",
                        example=1,
                    ),
                    Field(
                        "start_date",
                        "date",
                        required=True,
                        synonyms=("start", "date", "cycle start"),
                        description="Date the cycle started.",
                    ),
                    Field(
                        "end_date",
                        "date",
                        synonyms=("end", "finished", "cycle end"),
                        description="Date the cycle ended (optional).",
                    ),
                    Field(
                        "change_tested",
                        "text",
                        synonyms=("change", "plan", "what are we testing", "test"),
                        description="The change tested.",
                    ),
                    Field(
                        "prediction",
                        "text",
                        synonyms=("predictions", "we predict"),
                        description="What we predicted.",
                    ),
                    Field(
                        "what_happened",
                        "text",
                        synonyms=("do", "results", "observations", "what happened"),
                        description="What happened.",
                    ),
                    Field(
                        "learning",
                        "text",
                        synonyms=("study", "what we learned", "learnings"),
                        description="What we learned.",
                    ),
                    Field(
                        "decision",
                        "enum",
                        synonyms=("act", "outcome", "next"),
                        choices=PDSA_DECISIONS,
                        choice_synonyms={
                            "adopted": "adopt",
                            "adapted": "adapt",
                            "abandoned": "abandon",
                        },
                        description="adopt, adapt or abandon (blank while the cycle runs).",
                    ),
                ),
                sheet_names=("cycles", "cycle", "pdsa cycles", "pdsas"),
                unique_key=("project_id", "cycle_no"),
            ),
            TableSpec(
                "measures",
                "Measures",
                (
                    Field(
                        "project_id",
                        "text",
                        required=True,
                        synonyms=("project", "project ref", "project code", "projectid"),
                    ),
                    Field(
                        "date",
                        "date",
                        required=True,
                        synonyms=(
                            "week",
                            "month",
                            "period",
                            "measure date",
                            "week ending",
                            "week commencing",
                        ),
                    ),
                    Field(
                        "value",
                        "float",
                        required=True,
                        synonyms=("result", "measure value", "rate", "count"),
                    ),
                    Field("numerator", "float", synonyms=("num",), minimum=0),
                    Field("denominator", "float", synonyms=("denom", "den"), minimum=0),
                    Field(
                        "exposure",
                        "float",
                        synonyms=(
                            "n",
                            "days",
                            "bed days",
                            "occupied bed days",
                            "patient days",
                            "exposure days",
                            "opportunities",
                        ),
                        minimum=0,
                        description="What a count is per, e.g. bed days (for a u-chart).",
                    ),
                    Field("note", "text", synonyms=("notes", "comment", "annotation")),
                ),
                sheet_names=("measures", "measure", "data", "measure data"),
                unique_key=("project_id", "date"),
            ),
        ),
        shown_on="PDSA & measures",
    )
)

_register(
    UploadKind(
        "visits",
        "Learning visits",
        "One learning visit from one organisation to another.",
        (
            TableSpec(
                "visits",
                "Learning visits",
                (
                    Field(
                        "from_org",
                        "code",
                        required=True,
                        synonyms=(
                            "visiting org",
                            "visitor",
                            "from",
                            "from org code",
                            "visiting organisation",
                        ),
                        description="ODS code of the organisation that visited.",
                        example="ZA1",
                    ),
                    Field(
                        "to_org",
                        "code",
                        required=True,
                        synonyms=(
                            "host",
                            "host org",
                            "to",
                            "visited",
                            "to org code",
                            "host organisation",
                        ),
                        description="ODS code of the organisation that hosted the visit.",
                        example="ZB1",
                    ),
                    Field(
                        "visit_date",
                        "date",
                        required=True,
                        synonyms=("date", "visit date", "when"),
                        description="Date of the visit.",
                    ),
                    Field(
                        "theme",
                        "text",
                        synonyms=("topic", "focus", "subject"),
                        description="What the visit was about.",
                    ),
                    Field(
                        "participants",
                        "int",
                        synonyms=("people", "attendees", "number of participants"),
                        minimum=0,
                    ),
                    Field(
                        "lived_experience_partners",
                        "int",
                        synonyms=(
                            "lived experience",
                            "patient partners",
                            "lived experience participants",
                        ),
                        minimum=0,
                        description="How many people with lived experience took part.",
                    ),
                    Field(
                        "learning",
                        "text",
                        synonyms=("what we learned", "notes", "key learning"),
                        description="What was learned.",
                    ),
                ),
                sheet_names=("visits", "learning visits", "visit log"),
                unique_key=("from_org", "to_org", "visit_date"),
            ),
        ),
        shown_on="Compare",
    )
)

# The improvement capability levels people are trained or developed to, lowest first, until
# an admin renames them (a setting: impact_data.store.settings.capability_level_labels).
CAPABILITY_LEVELS = ("Awareness", "Foundation", "Practitioner", "Coach", "Expert")


def level_description(labels: Sequence[str]) -> str:
    """The capability level column's description, naming the levels `labels` (level 1 first)."""
    return f"Capability level: its name ({', '.join(labels)}) or its number 1-{len(labels)}."


def with_level_labels(table: TableSpec, labels: Sequence[str]) -> TableSpec:
    """`table` with its capability level field naming `labels`, the levels' current labels (an
    admin may have renamed them): header matching, validation and templates use these."""
    if not any(f.type == "capability_level" for f in table.fields):
        return table
    names = tuple(labels)
    fields = tuple(
        replace(
            f,
            choices=names,
            description=level_description(names),
            example=names[1] if len(names) > 1 else names[0],
        )
        if f.type == "capability_level"
        else f
        for f in table.fields
    )
    return replace(table, fields=fields)


_register(
    UploadKind(
        "capability",
        "Improvement capability",
        "How many people of an organisation (and optionally a team or staff group) are trained "
        "to each improvement capability level, as at a date. Rows are added up, so give either "
        "an organisation's total or its parts for each level and date, not both.",
        (
            TableSpec(
                "capability",
                "Improvement capability",
                (
                    ORG_CODE,
                    TEAM,
                    STAFF_GROUP,
                    Field(
                        "level",
                        "capability_level",
                        required=True,
                        synonyms=(
                            "capability level",
                            "training level",
                            "development level",
                            "qi level",
                            "improvement level",
                            "training",
                            "course",
                        ),
                        choices=CAPABILITY_LEVELS,
                        description=level_description(CAPABILITY_LEVELS),
                        example="Foundation",
                    ),
                    Field(
                        "people",
                        "int",
                        required=True,
                        synonyms=(
                            "number of people",
                            "people trained",
                            "trained",
                            "number trained",
                            "staff trained",
                            "count",
                            "number",
                            "headcount trained",
                        ),
                        minimum=0,
                        description="Number of people trained to this level (0 or more).",
                        example=120,
                    ),
                    Field(
                        "as_of",
                        "date",
                        required=True,
                        synonyms=("date", "as at", "as of", "as at date", "snapshot date", "month"),
                        description="The date the numbers are as at.",
                        example="2025-03-31",
                    ),
                ),
                sheet_names=("capability", "improvement capability", "training", "qi training"),
                unique_key=("org_code", "team", "staff_group", "level", "as_of"),
            ),
        ),
        shown_on="Overview",  # its Improvement capability tab; Compare has one too
    )
)


# The national NHS Staff Survey files are read as published (no template, no column mapping).
NATIONAL_KINDS: dict[str, UploadKind] = {
    "nss_benchmark": UploadKind(
        "nss_benchmark",
        "NHS Staff Survey benchmark workbook (national)",
        "The national benchmark report Excel data as published: every organisation, five years.",
        (),
        shown_on="Culture",
    ),
    "nss_detailed": UploadKind(
        "nss_detailed",
        "NHS Staff Survey detailed spreadsheets (national)",
        "The national detailed spreadsheets of organisational results as published, one year: "
        "the workbook, or the published zip of three workbooks as downloaded.",
        (),
        shown_on="Culture",
    ),
}

# Every kind a file can be uploaded as.
UPLOAD_KINDS: dict[str, UploadKind] = {**KINDS, **NATIONAL_KINDS}


def get_kind(name: str) -> UploadKind:
    """The upload kind called `name`; KeyError listing the valid names if unknown."""
    try:
        return UPLOAD_KINDS[name]
    except KeyError:
        raise KeyError(
            f"unknown upload kind {name!r}; expected one of: {', '.join(UPLOAD_KINDS)}"
        ) from None


QUESTION_CODE = re.compile(
    r"^\s*([A-Za-z]{1,6}\d{1,3}[A-Za-z]{0,2}(?:_\d{1,2})?)(?:\s*[\.:\-)]\s*(.*)|\s+(.+))?\s*$", re.S
)


def question_code_from_header(header: object) -> tuple[str, str | None] | None:
    """`("q3f", "Able to make improvements...")` from "Q3f. Able to make...", else None."""
    if header is None:
        return None
    m = QUESTION_CODE.match(str(header))
    if not m:
        return None
    text = m.group(2) or m.group(3)
    return m.group(1).lower(), (text.strip() or None) if text else None
