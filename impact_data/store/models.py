"""The database schema as typed SQLAlchemy ORM models.

Every row that came from a file carries the `upload_id` of its upload, so deleting an upload
removes exactly its rows. Bulky per-answer tables (pulse and readiness answers) are keyed by
(upload_id, row_no) rather than a surrogate id so they can be bulk-loaded without a round trip.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = [
    "NAMING",
    "ORG_CODE_TYPE",
    "SEARCH_FTS_TABLE",
    "SEARCH_INDEX_NAMES",
    "SEARCH_TSV_INDEX",
    "AuditEvent",
    "Base",
    "CaseStudy",
    "CapabilityRecord",
    "ColumnMapping",
    "CultureMeasureVersion",
    "DataVersion",
    "ImpactSelfAssessment",
    "Instrument",
    "InstrumentItem",
    "NssQuestionResult",
    "NssRelease",
    "NssValue",
    "Organisation",
    "PdsaCycle",
    "PdsaMeasure",
    "PdsaProject",
    "PulseQuestion",
    "PulseRespondent",
    "PulseUploadOrg",
    "ReadinessAnswer",
    "ReadinessResponse",
    "SearchDocument",
    "Setting",
    "StaffSurveyResult",
    "Upload",
    "User",
    "Visit",
    "WorkshopAnswer",
    "WorkshopIdea",
    "WorkshopParticipant",
    "WorkshopSession",
    "WorkshopVote",
    "in_schema_comparison",
    "is_search_index_name",
]

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# Organisation codes up to 100 characters (migration 0007 widened them from 20).
ORG_CODE_TYPE = String(100).with_variant(String(20), "sqlite")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def _upload_fk(nullable: bool = False) -> Mapped[int]:
    return mapped_column(
        ForeignKey("uploads.id", ondelete="RESTRICT"), nullable=nullable, index=True
    )


class Upload(Base):
    """One file loaded into the database."""

    __tablename__ = "uploads"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    file_name: Mapped[str] = mapped_column(String(500))
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by: Mapped[str] = mapped_column(String(200))
    uploaded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    row_count: Mapped[int] = mapped_column(Integer, default=0)
    row_counts: Mapped[dict] = mapped_column(JSON, default=dict)
    notes: Mapped[list] = mapped_column(JSON, default=list)
    org_codes: Mapped[list] = mapped_column(JSON, default=list)
    replaces_upload_id: Mapped[int | None] = mapped_column(Integer, nullable=True)

    # The same file twice for the same kind is a duplicate, even under concurrent uploads,
    # and one upload is replaced at most once (two people replacing it at once: one wins).
    # AUTOINCREMENT: an upload id is never reused after a delete, so "upload 7" stays unique.
    __table_args__ = (
        UniqueConstraint("kind", "sha256"),
        Index("uq_uploads_replaces", "replaces_upload_id", unique=True),
        {"sqlite_autoincrement": True},
    )


class Organisation(Base):
    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Published codes can be long: merged CCGs are listed as e.g. 04Y/05D/05G/05Q/05V/05W.
    # SQLite does not enforce a length, so its schema keeps the 20 it was created with.
    org_code: Mapped[str] = mapped_column(ORG_CODE_TYPE, unique=True)
    org_name: Mapped[str] = mapped_column(String(300))
    org_type: Mapped[str] = mapped_column(String(40))
    system: Mapped[str | None] = mapped_column(String(200))
    region: Mapped[str | None] = mapped_column(String(200))
    benchmark_group: Mapped[str | None] = mapped_column(String(200))
    upload_id: Mapped[int | None] = _upload_fk(nullable=True)
    # Staff headcount (optional): the denominator of people trained per 1,000 staff.
    staff_count: Mapped[int | None] = mapped_column(Integer)


class StaffSurveyResult(Base):
    """One question's aggregated result for an org (optionally a team or staff group) in a year."""

    __tablename__ = "staff_survey_results"

    id: Mapped[int] = mapped_column(primary_key=True)
    upload_id: Mapped[int] = _upload_fk()
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    year: Mapped[int] = mapped_column(SmallInteger)
    question_code: Mapped[str] = mapped_column(String(40))
    question_text: Mapped[str | None] = mapped_column(Text)
    responses: Mapped[int] = mapped_column(Integer)
    positive_pct: Mapped[float | None] = mapped_column(Float)
    score: Mapped[float | None] = mapped_column(Float)
    team: Mapped[str | None] = mapped_column(String(200))
    staff_group: Mapped[str | None] = mapped_column(String(200))

    # The natural key is unique in the schema, so concurrent uploads of the same rows cannot
    # both land; a blank team or staff group is one value ("" in the key), not many NULLs.
    __table_args__ = (
        Index("ix_staff_survey_org_year_q", "org_id", "year", "question_code"),
        Index(
            "uq_staff_survey_results_key",
            "org_id",
            "year",
            "question_code",
            text("coalesce(team, '')"),
            text("coalesce(staff_group, '')"),
            unique=True,
        ),
    )


class PulseRespondent(Base):
    """One pulse-survey respondent and all their answers.

    `answers` holds one character per question of the upload, in `PulseQuestion.position`
    order: "1"-"5", or "." when not answered. Queries unpack it in SQL with substr(), so
    aggregation still happens in the database, while a 100,000-respondent file is 100,000
    rows to write rather than 3 million.
    """

    __tablename__ = "pulse_respondents"
    # One foreign key for the upload and organisation of a row, not one each: each is
    # checked row by row (on PostgreSQL a query per row and key), and a pulse file is
    # 100,000 rows. PulseUploadOrg holds the pairs and refers to both.
    __table_args__ = (
        ForeignKeyConstraint(
            ["upload_id", "org_id"],
            ["pulse_upload_orgs.upload_id", "pulse_upload_orgs.org_id"],
            ondelete="RESTRICT",
        ),
    )

    upload_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    row_no: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_id: Mapped[int] = mapped_column(Integer, index=True)
    response_date: Mapped[dt.date] = mapped_column(Date)
    team: Mapped[str | None] = mapped_column(String(200))
    staff_group: Mapped[str | None] = mapped_column(String(200))
    respondent_ref: Mapped[str | None] = mapped_column(String(100))
    answers: Mapped[str] = mapped_column(String(400))


class PulseUploadOrg(Base):
    """The organisations a pulse upload holds respondents of: what each respondent's row
    refers to (see PulseRespondent), itself referring to the upload and the organisation."""

    __tablename__ = "pulse_upload_orgs"

    upload_id: Mapped[int] = mapped_column(
        ForeignKey("uploads.id", ondelete="RESTRICT"), primary_key=True
    )
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), primary_key=True)


class PulseQuestion(Base):
    """The question columns of one pulse upload: code, wording, and place in `answers`."""

    __tablename__ = "pulse_questions"

    upload_id: Mapped[int] = mapped_column(
        ForeignKey("uploads.id", ondelete="RESTRICT"), primary_key=True
    )
    question_code: Mapped[str] = mapped_column(String(40), primary_key=True)
    position: Mapped[int] = mapped_column(SmallInteger)
    question_text: Mapped[str | None] = mapped_column(Text)


class Instrument(Base):
    """A readiness instrument: a named list of items on one answer scale."""

    __tablename__ = "instruments"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    scale_min: Mapped[int] = mapped_column(SmallInteger, default=1)
    scale_max: Mapped[int] = mapped_column(SmallInteger, default=5)
    description: Mapped[str | None] = mapped_column(Text)
    # The words of each scale point, one list per accepted label set:
    # [{"name": "Strongly disagree ... Strongly agree", "words": [lowest, ..., highest]}].
    labels: Mapped[list | None] = mapped_column(JSON)


class InstrumentItem(Base):
    __tablename__ = "instrument_items"

    instrument_code: Mapped[str] = mapped_column(
        ForeignKey("instruments.code", ondelete="CASCADE"), primary_key=True
    )
    item_code: Mapped[str] = mapped_column(String(40), primary_key=True)
    subscale: Mapped[str] = mapped_column(String(100))
    text: Mapped[str] = mapped_column(Text)
    position: Mapped[int] = mapped_column(SmallInteger)
    # The item's code in another published numbering (ORIC's c1 is OR2 in Shea et al. 2014).
    alias: Mapped[str | None] = mapped_column(String(40))


class ReadinessResponse(Base):
    __tablename__ = "readiness_responses"

    upload_id: Mapped[int] = mapped_column(
        ForeignKey("uploads.id", ondelete="RESTRICT"), primary_key=True
    )
    row_no: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    assessment_date: Mapped[dt.date] = mapped_column(Date)
    instrument_code: Mapped[str] = mapped_column(ForeignKey("instruments.code"))
    team: Mapped[str | None] = mapped_column(String(200))
    role: Mapped[str | None] = mapped_column(String(200))
    programme: Mapped[str | None] = mapped_column(String(200))
    respondent_ref: Mapped[str | None] = mapped_column(String(100))


class ReadinessAnswer(Base):
    __tablename__ = "readiness_answers"

    upload_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    row_no: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_code: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[int] = mapped_column(SmallInteger)

    __table_args__ = (
        ForeignKeyConstraint(
            ["upload_id", "row_no"],
            ["readiness_responses.upload_id", "readiness_responses.row_no"],
            ondelete="CASCADE",
        ),
        {"sqlite_with_rowid": False},
    )


class ImpactSelfAssessment(Base):
    __tablename__ = "impact_self_assessments"

    id: Mapped[int] = mapped_column(primary_key=True)
    upload_id: Mapped[int] = _upload_fk()
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    assessment_date: Mapped[dt.date] = mapped_column(Date)
    component: Mapped[int] = mapped_column(SmallInteger)
    level: Mapped[int] = mapped_column(SmallInteger)
    evidence: Mapped[str | None] = mapped_column(Text)
    next_step: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        Index(
            "uq_impact_self_assessments_key", "org_id", "assessment_date", "component", unique=True
        ),
    )


class PdsaProject(Base):
    __tablename__ = "pdsa_projects"

    id: Mapped[int] = mapped_column(primary_key=True)
    upload_id: Mapped[int] = _upload_fk()
    project_ref: Mapped[str] = mapped_column(String(100), unique=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    title: Mapped[str] = mapped_column(String(500))
    aim: Mapped[str] = mapped_column(Text)
    start_date: Mapped[dt.date] = mapped_column(Date)
    team: Mapped[str | None] = mapped_column(String(200))
    measure_name: Mapped[str | None] = mapped_column(String(300))
    improvement_direction: Mapped[str | None] = mapped_column(String(20))
    target: Mapped[float | None] = mapped_column(Float)
    status: Mapped[str | None] = mapped_column(String(20))
    lived_experience_involved: Mapped[bool | None] = mapped_column(Boolean)
    coach: Mapped[str | None] = mapped_column(String(200))
    change_ideas: Mapped[str | None] = mapped_column(Text)
    # The workshop idea the project came from (migration 0011), if it started as one. No
    # foreign key: a workshop can be deleted while its idea lives on as a project.
    source_idea_id: Mapped[int | None] = mapped_column(Integer, nullable=True)


class PdsaCycle(Base):
    __tablename__ = "pdsa_cycles"

    id: Mapped[int] = mapped_column(primary_key=True)
    upload_id: Mapped[int] = _upload_fk()
    project_id: Mapped[int] = mapped_column(
        ForeignKey("pdsa_projects.id", ondelete="RESTRICT"), index=True
    )
    cycle_no: Mapped[int] = mapped_column(Integer)
    start_date: Mapped[dt.date] = mapped_column(Date)
    end_date: Mapped[dt.date | None] = mapped_column(Date)
    change_tested: Mapped[str | None] = mapped_column(Text)
    prediction: Mapped[str | None] = mapped_column(Text)
    what_happened: Mapped[str | None] = mapped_column(Text)
    learning: Mapped[str | None] = mapped_column(Text)
    decision: Mapped[str | None] = mapped_column(String(20))

    __table_args__ = (UniqueConstraint("project_id", "cycle_no"),)


class PdsaMeasure(Base):
    __tablename__ = "pdsa_measures"

    id: Mapped[int] = mapped_column(primary_key=True)
    upload_id: Mapped[int] = _upload_fk()
    project_id: Mapped[int] = mapped_column(
        ForeignKey("pdsa_projects.id", ondelete="RESTRICT"), index=True
    )
    date: Mapped[dt.date] = mapped_column(Date)
    value: Mapped[float] = mapped_column(Float)
    numerator: Mapped[float | None] = mapped_column(Float)
    denominator: Mapped[float | None] = mapped_column(Float)
    # What a count is per (bed days, patient days, opportunities), for a u-chart.
    exposure: Mapped[float | None] = mapped_column(Float)
    note: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (UniqueConstraint("project_id", "date"),)


class Visit(Base):
    __tablename__ = "visits"

    id: Mapped[int] = mapped_column(primary_key=True)
    upload_id: Mapped[int | None] = _upload_fk(nullable=True)
    from_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    to_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    visit_date: Mapped[dt.date] = mapped_column(Date)
    theme: Mapped[str | None] = mapped_column(String(300))
    participants: Mapped[int | None] = mapped_column(Integer)
    lived_experience_partners: Mapped[int | None] = mapped_column(Integer)
    learning: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        Index("uq_visits_key", "from_org_id", "to_org_id", "visit_date", unique=True),
    )


class CapabilityRecord(Base):
    """The number of people trained to one improvement capability level, as at a date.

    `level` is the level's number (1 = the first level); its words are a setting admins
    rename (impact_data.measures.capability.level_labels).
    """

    __tablename__ = "capability"

    id: Mapped[int] = mapped_column(primary_key=True)
    upload_id: Mapped[int] = _upload_fk()
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    team: Mapped[str | None] = mapped_column(String(200))
    staff_group: Mapped[str | None] = mapped_column(String(200))
    level: Mapped[int] = mapped_column(SmallInteger)
    people: Mapped[int] = mapped_column(Integer)
    as_of: Mapped[dt.date] = mapped_column(Date)

    __table_args__ = (
        CheckConstraint("people >= 0", name="people_not_negative"),
        CheckConstraint("level >= 1", name="level_positive"),
        Index(
            "uq_capability_key",
            "org_id",
            text("coalesce(team, '')"),
            text("coalesce(staff_group, '')"),
            "level",
            "as_of",
            unique=True,
        ),
    )


class ColumnMapping(Base):
    """A header a user mapped by hand, remembered for their organisation and upload kind."""

    __tablename__ = "column_mappings"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_code: Mapped[str] = mapped_column(ORG_CODE_TYPE, default="")
    kind: Mapped[str] = mapped_column(String(40))
    table_name: Mapped[str] = mapped_column(String(40))
    source_header: Mapped[str] = mapped_column(String(300))
    target: Mapped[str] = mapped_column(String(60))

    __table_args__ = (UniqueConstraint("org_code", "kind", "table_name", "source_header"),)


class Setting(Base):
    """A system-wide setting editable on the Settings page (e.g. the suppression threshold)."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[dict | list | str | int | float] = mapped_column(JSON)


class DataVersion(Base):
    """A single-row counter bumped by every write, so app processes know to drop caches."""

    __tablename__ = "data_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class CultureMeasureVersion(Base):
    """One saved version of the locally agreed culture measure (its definition is JSON).

    Versions are never edited or deleted: a change is a new version with a note on why, so
    every chart can say which version it used and old scores stay reproducible.
    """

    __tablename__ = "culture_measure_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    measure_name: Mapped[str] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer)
    definition: Mapped[dict] = mapped_column(JSON)
    note: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (UniqueConstraint("measure_name", "version"),)


class NssRelease(Base):
    """One national NHS Staff Survey file as loaded: which release (survey year) it is."""

    __tablename__ = "nss_releases"

    id: Mapped[int] = mapped_column(primary_key=True)
    upload_id: Mapped[int] = mapped_column(
        ForeignKey("uploads.id", ondelete="RESTRICT"), unique=True
    )
    source: Mapped[str] = mapped_column(String(20))  # benchmark | detailed
    release_year: Mapped[int] = mapped_column(SmallInteger)
    years: Mapped[list] = mapped_column(JSON)
    label: Mapped[str] = mapped_column(String(300))


class NssValue(Base):
    """One national benchmark figure: an org's People Promise / theme score (0-10), question
    result (% positive, 0-100) or response rate (%), for one survey year, from one release."""

    __tablename__ = "nss_values"

    id: Mapped[int] = mapped_column(primary_key=True)
    upload_id: Mapped[int] = _upload_fk()
    release_year: Mapped[int] = mapped_column(SmallInteger)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    year: Mapped[int] = mapped_column(SmallInteger)
    metric_code: Mapped[str] = mapped_column(String(40))
    metric_type: Mapped[str] = mapped_column(String(20))
    value: Mapped[float | None] = mapped_column(Float)
    n: Mapped[int | None] = mapped_column(Integer)
    benchmark_group: Mapped[str | None] = mapped_column(String(200))
    # Questions: False when the value is the % choosing an unfavourable answer (q11c, q26a).
    higher_is_better: Mapped[bool | None] = mapped_column(Boolean)

    __table_args__ = (Index("ix_nss_values_org_metric_year", "org_id", "metric_code", "year"),)


class NssQuestionResult(Base):
    """One question's full answer distribution for an org, from the detailed spreadsheets."""

    __tablename__ = "nss_question_results"

    id: Mapped[int] = mapped_column(primary_key=True)
    upload_id: Mapped[int] = _upload_fk()
    release_year: Mapped[int] = mapped_column(SmallInteger)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    year: Mapped[int] = mapped_column(SmallInteger)
    question_code: Mapped[str] = mapped_column(String(40))
    question_text: Mapped[str | None] = mapped_column(Text)
    responses: Mapped[int | None] = mapped_column(Integer)
    pct_strongly_disagree: Mapped[float | None] = mapped_column(Float)
    pct_disagree: Mapped[float | None] = mapped_column(Float)
    pct_neither: Mapped[float | None] = mapped_column(Float)
    pct_agree: Mapped[float | None] = mapped_column(Float)
    pct_strongly_agree: Mapped[float | None] = mapped_column(Float)
    # The % choosing the question's reported option (Agree / Strongly agree, Often / Always,
    # Yes, at least once ...), as the national reports give it.
    positive_pct: Mapped[float | None] = mapped_column(Float)
    # agree | frequency | satisfaction | yes_no | count
    answer_scale: Mapped[str | None] = mapped_column(String(20))
    reported_option: Mapped[str | None] = mapped_column(String(200))
    higher_is_better: Mapped[bool | None] = mapped_column(Boolean)
    # The % with a favourable answer: positive_pct, or 100 - it where lower is better.
    favourable_pct: Mapped[float | None] = mapped_column(Float)
    # Every answer option's %: {"Never": 12.0, "1-2": 30.5, ...}.
    distribution: Mapped[dict | None] = mapped_column(JSON)


class WorkshopSession(Base):
    """A live workshop: an activity people join with a short code and answer on their phones."""

    __tablename__ = "workshop_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(12), unique=True)
    activity: Mapped[str] = mapped_column(
        String(30)
    )  # readiness | culture_pulse | impact_rating | ideas
    title: Mapped[str] = mapped_column(String(300))
    instrument_code: Mapped[str | None] = mapped_column(String(40))
    items: Mapped[list] = mapped_column(JSON)  # [{"code", "text", "group"}] the questions asked
    scale_min: Mapped[int] = mapped_column(SmallInteger, default=1)
    scale_max: Mapped[int] = mapped_column(SmallInteger, default=5)
    status: Mapped[str] = mapped_column(String(10), default="open")
    show_results: Mapped[bool] = mapped_column(Boolean, default=False)
    # Live results appear only once at least this many people have answered.
    min_answers: Mapped[int] = mapped_column(SmallInteger, default=3, server_default="3")
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    saved_upload_id: Mapped[int | None] = mapped_column(Integer)


class WorkshopParticipant(Base):
    """Someone who joined a session: known only by a random token, never by name."""

    __tablename__ = "workshop_participants"
    # One ballot per browser: the same device joining again gets its own ballot back.
    __table_args__ = (UniqueConstraint("session_id", "device"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("workshop_sessions.id", ondelete="CASCADE"), index=True
    )
    token: Mapped[str] = mapped_column(String(64), unique=True)
    device: Mapped[str | None] = mapped_column(String(64))  # sha256 of the browser's device id
    joined_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    answered_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class WorkshopAnswer(Base):
    __tablename__ = "workshop_answers"

    participant_id: Mapped[int] = mapped_column(
        ForeignKey("workshop_participants.id", ondelete="CASCADE"), primary_key=True
    )
    item_code: Mapped[str] = mapped_column(String(40), primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("workshop_sessions.id", ondelete="CASCADE"), index=True
    )
    value: Mapped[int] = mapped_column(SmallInteger)


class WorkshopIdea(Base):
    __tablename__ = "workshop_ideas"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("workshop_sessions.id", ondelete="CASCADE"), index=True
    )
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("workshop_participants.id", ondelete="CASCADE")
    )
    text: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class WorkshopVote(Base):
    __tablename__ = "workshop_votes"

    idea_id: Mapped[int] = mapped_column(
        ForeignKey("workshop_ideas.id", ondelete="CASCADE"), primary_key=True
    )
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("workshop_participants.id", ondelete="CASCADE"), primary_key=True
    )
    session_id: Mapped[int] = mapped_column(
        ForeignKey("workshop_sessions.id", ondelete="CASCADE"), index=True
    )


class User(Base):
    """Someone who signs in: their role and, for team members, their organisations."""

    __tablename__ = "users"
    # Someone is who their sign-in provider says: issuer + subject (never a changeable claim).
    # `email` holds only an address the provider verified, or one an admin invited.
    __table_args__ = (UniqueConstraint("issuer", "subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str | None] = mapped_column(String(320), unique=True)
    issuer: Mapped[str | None] = mapped_column(String(500))
    subject: Mapped[str | None] = mapped_column(String(255))
    name: Mapped[str | None] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(
        String(20)
    )  # admin | executive | team_member | facilitator | none
    org_codes: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    last_sign_in: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class AuditEvent(Base):
    """Who did what, when: uploads, deletions, role changes, measure edits, sign-ins."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    user: Mapped[str] = mapped_column(String(320))
    action: Mapped[str] = mapped_column(String(40))
    detail: Mapped[str] = mapped_column(Text)


class CaseStudy(Base):
    """A team's story of an improvement project: draft (its organisation only) or published
    (everyone). `project_id` is the PDSA project it was started from, if any (migration 0011)."""

    __tablename__ = "case_studies"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_code: Mapped[str] = mapped_column(ORG_CODE_TYPE, index=True)
    project_id: Mapped[int | None] = mapped_column(
        ForeignKey("pdsa_projects.id", ondelete="SET NULL"), nullable=True, index=True
    )
    project_ref: Mapped[str | None] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(300))
    problem: Mapped[str | None] = mapped_column(Text)
    aim: Mapped[str | None] = mapped_column(Text)
    who_involved: Mapped[str | None] = mapped_column(Text)
    lived_experience: Mapped[str | None] = mapped_column(Text)
    changes_tested: Mapped[str | None] = mapped_column(Text)
    learning: Mapped[str | None] = mapped_column(Text)
    contact: Mapped[str | None] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(12), default="draft")  # draft | published
    # The date the change went in: the chart's limits are rebased from it.
    change_point: Mapped[dt.date | None] = mapped_column(Date)
    created_by: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    updated_by: Mapped[str] = mapped_column(String(320))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    published_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class SearchDocument(Base):
    """One searchable item of the learning library: a case study, a project's aim and change
    ideas, a cycle's prediction and learning, a learning visit, a workshop idea.

    Rows go with what they index: an upload's rows with the upload, a case study's or an
    idea's with it (ON DELETE CASCADE). The full-text index over title and body is the
    database's own, made by migration 0011 and outside these models: on SQLite an FTS5 table
    kept in step by triggers, on PostgreSQL a GIN index on the text's tsvector."""

    __tablename__ = "search_documents"
    __table_args__ = (UniqueConstraint("source", "source_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(20))  # case_study | project | cycle | visit | idea
    source_id: Mapped[int] = mapped_column(Integer)
    upload_id: Mapped[int | None] = mapped_column(
        ForeignKey("uploads.id", ondelete="CASCADE"), nullable=True, index=True
    )
    case_study_id: Mapped[int | None] = mapped_column(
        ForeignKey("case_studies.id", ondelete="CASCADE"), nullable=True, index=True
    )
    idea_id: Mapped[int | None] = mapped_column(
        ForeignKey("workshop_ideas.id", ondelete="CASCADE"), nullable=True, index=True
    )
    org_code: Mapped[str | None] = mapped_column(ORG_CODE_TYPE)
    # Team-level detail (projects and cycles): only viewers who see the organisation's detail.
    detail: Mapped[bool] = mapped_column(Boolean, default=False)
    # An unpublished case study: only its organisation and admins.
    draft: Mapped[bool] = mapped_column(Boolean, default=False)
    title: Mapped[str] = mapped_column(String(500))
    body: Mapped[str] = mapped_column(Text)
    theme: Mapped[str | None] = mapped_column(String(300))
    outcome: Mapped[str | None] = mapped_column(String(20))  # adopt | adapt | abandon
    doc_date: Mapped[dt.date | None] = mapped_column(Date)
    ref: Mapped[str | None] = mapped_column(String(200))  # project reference or workshop code


# The full-text index is dialect-specific and lives outside the models: the FTS5 table (and
# its shadow tables) on SQLite, the expression index on PostgreSQL. Schema comparison and
# backups leave these names alone; the index is rebuilt from search_documents.
SEARCH_FTS_TABLE = "search_fts"
SEARCH_TSV_INDEX = "ix_search_documents_tsv"
SEARCH_INDEX_NAMES = frozenset({SEARCH_FTS_TABLE, SEARCH_TSV_INDEX})


def is_search_index_name(name: str | None) -> bool:
    """True for the full-text index's own tables and index (not for search_documents)."""
    return bool(name) and (name in SEARCH_INDEX_NAMES or name.startswith(SEARCH_FTS_TABLE + "_"))


def in_schema_comparison(name, type_, parent_names) -> bool:
    """Alembic `include_name` hook: compare every name but the full-text index's own."""
    return not is_search_index_name(name)
