"""The relational schema of an atlas (SQLAlchemy Core tables), one table per domain entity."""

from __future__ import annotations

import sqlalchemy as sa

__all__ = ["metadata", "TABLES", "users", "memberships", "api_tokens", "sessions", "hub_shares", "changes",
           "site_settings", "atlas_versions", "map_views", "jobs", "job_files"]

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
    }
)


def _record_columns() -> list[sa.Column]:
    # Enumerations are stored as text, not database enums, so a vocabulary can grow without a table rewrite.
    # Free text is TEXT: only names (300, as the domain allows), codes and vocabularies have a length.
    return [
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("owner_kind", sa.String(20)),
        sa.Column("owner_id", sa.Integer),
        sa.Column("visibility", sa.String(10), nullable=False),
        sa.Column("source", sa.Text),
        sa.Column("external_ids", sa.JSON, nullable=False),
        # Moved by every update (ETag / If-Match); where each field's value came from when it differs from source.
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        sa.Column("provenance", sa.JSON, nullable=False, server_default=sa.text("'{}'")),
    ]


def _fk(table: str, ondelete: str = "SET NULL") -> sa.ForeignKey:
    return sa.ForeignKey(f"{table}.id", ondelete=ondelete)


hubs = sa.Table(
    "hubs", metadata, *_record_columns(),
    sa.Column("name", sa.String(300), nullable=False, index=True),
    sa.Column("city", sa.Text),
    sa.Column("region", sa.Text),
    sa.Column("country", sa.String(2)),
    sa.Column("latitude", sa.Float),
    sa.Column("longitude", sa.Float),
    sa.Column("kind", sa.String(30), nullable=False),
    sa.Column("description", sa.Text),
    sa.Column("website", sa.Text),
)

organizations = sa.Table(
    "organizations", metadata, *_record_columns(),
    sa.Column("name", sa.String(300), nullable=False, index=True),
    sa.Column("type", sa.String(30), nullable=False, index=True),
    sa.Column("helix", sa.String(20), nullable=False, index=True),
    sa.Column("short_name", sa.Text),
    sa.Column("hub_id", sa.Integer, _fk("hubs"), index=True),
    sa.Column("city", sa.Text),
    sa.Column("country", sa.String(2), index=True),
    sa.Column("latitude", sa.Float),
    sa.Column("longitude", sa.Float),
    sa.Column("focus_areas", sa.JSON, nullable=False),
    sa.Column("offers", sa.JSON, nullable=False),
    sa.Column("needs", sa.JSON, nullable=False),
    sa.Column("tags", sa.JSON, nullable=False),
    sa.Column("stage", sa.String(30)),
    sa.Column("size", sa.String(10)),
    sa.Column("founded", sa.Integer),
    sa.Column("website", sa.Text),
    sa.Column("description", sa.Text),
)

people = sa.Table(
    "people", metadata, *_record_columns(),
    sa.Column("name", sa.String(300), nullable=False, index=True),
    sa.Column("role", sa.Text),
    sa.Column("organization_id", sa.Integer, _fk("organizations"), index=True),
    sa.Column("specialty", sa.Text),
    sa.Column("expertise", sa.JSON, nullable=False),
    sa.Column("email", sa.Text),
    sa.Column("consent", sa.Boolean, nullable=False),
)

programs = sa.Table(
    "programs", metadata, *_record_columns(),
    sa.Column("name", sa.String(300), nullable=False, index=True),
    sa.Column("kind", sa.String(30), nullable=False),
    sa.Column("hub_id", sa.Integer, _fk("hubs"), index=True),
    sa.Column("operator_id", sa.Integer, _fk("organizations")),
    sa.Column("start_date", sa.Date),
    sa.Column("end_date", sa.Date),
    sa.Column("budget", sa.Float),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("description", sa.Text),
    sa.Column("website", sa.Text),
    # open innovation (challenges, grants, competitions): 0007
    sa.Column("sponsor_id", sa.Integer, _fk("organizations"), index=True),
    sa.Column("need_ids", sa.JSON, nullable=False, server_default=sa.text("'[]'")),
    sa.Column("prize", sa.Float),
    sa.Column("closes_on", sa.Date),
    sa.Column("judged_by", sa.Date),
    sa.Column("awarded_on", sa.Date),
    sa.Column("eligibility", sa.Text),
    sa.Column("rubric", sa.JSON, nullable=False, server_default=sa.text("'[]'")),
    sa.Column("shortlist", sa.Integer),
    sa.Column("winners", sa.Integer, nullable=False, server_default="1"),
    sa.Column("normalisation", sa.String(10), nullable=False, server_default="z"),
)

participations = sa.Table(
    "participations", metadata, *_record_columns(),
    sa.Column("program_id", sa.Integer, _fk("programs", "CASCADE"), nullable=False),
    sa.Column("organization_id", sa.Integer, _fk("organizations", "CASCADE"), nullable=False, index=True),
    sa.Column("role", sa.Text, nullable=False),
    sa.Column("contribution", sa.Float),
    sa.UniqueConstraint("program_id", "organization_id"),
)

innovations = sa.Table(
    "innovations", metadata, *_record_columns(),
    sa.Column("name", sa.String(300), nullable=False, index=True),
    sa.Column("organization_id", sa.Integer, _fk("organizations", "CASCADE"), nullable=False, index=True),
    sa.Column("category", sa.Text),
    sa.Column("clinical_area", sa.Text),
    sa.Column("regulatory_pathway", sa.Text),
    sa.Column("stage", sa.String(30), nullable=False, index=True),
    sa.Column("description", sa.Text),
)

stage_events = sa.Table(
    "stage_events", metadata, *_record_columns(),
    sa.Column("innovation_id", sa.Integer, _fk("innovations", "CASCADE"), nullable=False, index=True),
    sa.Column("stage", sa.String(30), nullable=False),
    sa.Column("date", sa.Date, nullable=False),
    sa.Column("note", sa.Text),
)

deals = sa.Table(
    "deals", metadata, *_record_columns(),
    sa.Column("recipient_id", sa.Integer, _fk("organizations", "CASCADE"), index=True),
    sa.Column("hub_id", sa.Integer, _fk("hubs"), index=True),
    sa.Column("investor_ids", sa.JSON, nullable=False),
    sa.Column("amount", sa.Float),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("date", sa.Date, index=True),
    sa.Column("round_type", sa.String(30), nullable=False),
    sa.Column("description", sa.Text),
)

ties = sa.Table(
    "ties", metadata, *_record_columns(),
    sa.Column("source_id", sa.Integer, _fk("organizations", "CASCADE"), nullable=False),
    sa.Column("target_id", sa.Integer, _fk("organizations", "CASCADE"), nullable=False, index=True),
    sa.Column("kind", sa.String(30), nullable=False),
    sa.Column("directed", sa.Boolean, nullable=False),
    sa.Column("weight", sa.Float, nullable=False),
    sa.Column("start_date", sa.Date),
    sa.Column("end_date", sa.Date),
    sa.Column("status", sa.String(10), nullable=False),
    sa.Column("label", sa.Text),
    sa.Column("evidence", sa.Text),
    sa.Column("tags", sa.JSON, nullable=False),
    # One tie per ordered pair and kind: re-imports update it instead of piling up duplicates.
    sa.UniqueConstraint("source_id", "target_id", "kind"),
)

clinical_needs = sa.Table(
    "clinical_needs", metadata, *_record_columns(),
    sa.Column("problem", sa.String(300), nullable=False),
    sa.Column("population", sa.String(300), nullable=False),
    sa.Column("outcome", sa.String(300), nullable=False),
    sa.Column("clinical_area", sa.Text),
    sa.Column("hub_id", sa.Integer, _fk("hubs"), index=True),
    sa.Column("raised_by_id", sa.Integer, _fk("organizations")),
    # 0007
    sa.Column("severity", sa.String(10)),
    sa.Column("prevalence", sa.Float),
    sa.Column("evidence", sa.Text),
    sa.Column("status", sa.String(20), nullable=False, server_default="raised", index=True),
    sa.Column("raised_by_person_id", sa.Integer, _fk("people")),
    sa.Column("innovation_ids", sa.JSON, nullable=False, server_default=sa.text("'[]'")),
    sa.Column("description", sa.Text),
)

partnerships = sa.Table(
    "partnerships", metadata, *_record_columns(),
    sa.Column("name", sa.String(300), nullable=False, index=True),
    sa.Column("organization_ids", sa.JSON, nullable=False),
    sa.Column("purpose", sa.Text),
    sa.Column("status", sa.String(10), nullable=False),
    sa.Column("start_date", sa.Date),
    sa.Column("end_date", sa.Date),
    sa.Column("weights", sa.JSON, nullable=False),
)

assessments = sa.Table(
    "assessments", metadata, *_record_columns(),
    sa.Column("partnership_id", sa.Integer, _fk("partnerships", "CASCADE"), nullable=False, index=True),
    sa.Column("evaluator", sa.String(300), nullable=False),
    sa.Column("evaluator_organization_id", sa.Integer, _fk("organizations")),
    sa.Column("date", sa.Date, nullable=False),
    sa.Column("comment", sa.Text),
    sa.UniqueConstraint("partnership_id", "evaluator", "date"),
)

ratings = sa.Table(
    "ratings", metadata, *_record_columns(),
    sa.Column("assessment_id", sa.Integer, _fk("assessments", "CASCADE"), nullable=False, index=True),
    sa.Column("question", sa.String(10), nullable=False),
    sa.Column("score", sa.Integer, nullable=False),
    sa.Column("evidence", sa.Text),
    sa.Column("comment", sa.Text),
    sa.UniqueConstraint("assessment_id", "question"),
)

kpis = sa.Table(
    "kpis", metadata, *_record_columns(),
    sa.Column("partnership_id", sa.Integer, _fk("partnerships", "CASCADE"), nullable=False, index=True),
    sa.Column("name", sa.String(300), nullable=False),
    sa.Column("unit", sa.Text),
    sa.Column("baseline", sa.Float),
    sa.Column("target", sa.Float, nullable=False),
    sa.Column("direction", sa.String(10), nullable=False),
    sa.Column("due_date", sa.Date),
    sa.UniqueConstraint("partnership_id", "name"),
)

kpi_actuals = sa.Table(
    "kpi_actuals", metadata, *_record_columns(),
    sa.Column("kpi_id", sa.Integer, _fk("kpis", "CASCADE"), nullable=False, index=True),
    sa.Column("date", sa.Date, nullable=False),
    sa.Column("value", sa.Float, nullable=False),
    sa.Column("note", sa.Text),
    sa.UniqueConstraint("kpi_id", "date"),
)

introductions = sa.Table(
    "introductions", metadata, *_record_columns(),
    sa.Column("organization_id", sa.Integer, _fk("organizations", "CASCADE"), nullable=False, index=True),
    sa.Column("partner_id", sa.Integer, _fk("organizations", "CASCADE"), nullable=False, index=True),
    sa.Column("facilitator_id", sa.Integer, _fk("organizations")),
    sa.Column("event", sa.Text),
    sa.Column("introduced_on", sa.Date, nullable=False),
    sa.Column("met_on", sa.Date),
    sa.Column("pilot_on", sa.Date),
    sa.Column("partnered_on", sa.Date),
    sa.Column("partnership_id", sa.Integer, _fk("partnerships")),
    sa.Column("note", sa.Text),
    sa.Column("program_id", sa.Integer, _fk("programs"), index=True),  # 0007
    sa.UniqueConstraint("organization_id", "partner_id", "introduced_on"),
)

# -- open innovation (0007): endorsements of needs; a challenge's submissions, judges and their scores --

endorsements = sa.Table(
    "endorsements", metadata, *_record_columns(),
    sa.Column("need_id", sa.Integer, _fk("clinical_needs", "CASCADE"), nullable=False, index=True),
    sa.Column("person_id", sa.Integer, _fk("people", "CASCADE"), index=True),
    sa.Column("organization_id", sa.Integer, _fk("organizations", "CASCADE"), index=True),
    sa.Column("hub_id", sa.Integer, _fk("hubs", "CASCADE"), index=True),
    sa.Column("note", sa.Text),
    sa.Column("date", sa.Date),
)

submissions = sa.Table(
    "submissions", metadata, *_record_columns(),
    sa.Column("program_id", sa.Integer, _fk("programs", "CASCADE"), nullable=False, index=True),
    sa.Column("organization_id", sa.Integer, _fk("organizations", "CASCADE"), nullable=False, index=True),
    sa.Column("innovation_id", sa.Integer, _fk("innovations")),
    sa.Column("title", sa.String(300), nullable=False),
    sa.Column("summary", sa.Text),
    sa.Column("submitted_on", sa.Date),
    sa.Column("status", sa.String(20), nullable=False),
    sa.UniqueConstraint("program_id", "organization_id", "title"),
)

judges = sa.Table(
    "judges", metadata, *_record_columns(),
    sa.Column("program_id", sa.Integer, _fk("programs", "CASCADE"), nullable=False, index=True),
    sa.Column("name", sa.String(300), nullable=False),
    sa.Column("user_id", sa.Integer, _fk("users"), index=True),
    sa.Column("person_id", sa.Integer, _fk("people")),
    sa.Column("organization_id", sa.Integer, _fk("organizations")),
    sa.Column("conflict_ids", sa.JSON, nullable=False),
    sa.Column("declared_on", sa.Date),
    sa.UniqueConstraint("program_id", "name"),
)

scores = sa.Table(
    "scores", metadata, *_record_columns(),
    sa.Column("submission_id", sa.Integer, _fk("submissions", "CASCADE"), nullable=False, index=True),
    sa.Column("judge_id", sa.Integer, _fk("judges", "CASCADE"), nullable=False, index=True),
    sa.Column("criterion", sa.String(300), nullable=False),
    sa.Column("value", sa.Float, nullable=False),
    sa.Column("note", sa.Text),
    sa.UniqueConstraint("submission_id", "judge_id", "criterion"),
)

#: entity name (``Record.entity``) → table, in an order where every table follows those it refers to.
TABLES: dict[str, sa.Table] = {
    "hub": hubs,
    "organization": organizations,
    "person": people,
    "innovation": innovations,
    "clinical_need": clinical_needs,
    "program": programs,
    "participation": participations,
    "stage_event": stage_events,
    "deal": deals,
    "tie": ties,
    "partnership": partnerships,
    "assessment": assessments,
    "rating": ratings,
    "kpi": kpis,
    "kpi_actual": kpi_actuals,
    "introduction": introductions,
    "endorsement": endorsements,
    "submission": submissions,
    "judge": judges,
    "score": scores,
}

# -- access control: who may read and write, and what was written (not records: never exported or imported) --

users = sa.Table(
    "users", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("email", sa.String(320), nullable=False, unique=True),
    sa.Column("name", sa.String(300), nullable=False),
    sa.Column("password_hash", sa.Text, nullable=False),
    sa.Column("role", sa.String(10), nullable=False),
    sa.Column("organization_id", sa.Integer, _fk("organizations")),
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("failed_logins", sa.Integer, nullable=False),
    sa.Column("locked_until", sa.DateTime(timezone=True)),
)

memberships = sa.Table(
    "memberships", metadata,
    sa.Column("user_id", sa.Integer, _fk("users", "CASCADE"), primary_key=True),
    sa.Column("hub_id", sa.Integer, _fk("hubs", "CASCADE"), primary_key=True, index=True),
)

# API tokens and browser sessions: only a SHA-256 of each secret is kept, so a copy of the atlas signs nobody in.
api_tokens = sa.Table(
    "api_tokens", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("user_id", sa.Integer, _fk("users", "CASCADE"), nullable=False, index=True),
    sa.Column("label", sa.Text),
    sa.Column("secret_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("revoked_at", sa.DateTime(timezone=True)),
)

sessions = sa.Table(
    "sessions", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("user_id", sa.Integer, _fk("users", "CASCADE"), nullable=False, index=True),
    sa.Column("secret_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
)

hub_shares = sa.Table(
    "hub_shares", metadata,
    sa.Column("hub_id", sa.Integer, _fk("hubs", "CASCADE"), primary_key=True),
    sa.Column("with_hub_id", sa.Integer, _fk("hubs", "CASCADE"), primary_key=True, index=True),
    sa.Column("granted_by", sa.String(320), nullable=False),
    sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
)

# The audit trail: append-only (database triggers refuse updates and deletes, except the erasure of a person's
# own data on request, which blanks the fields of that person's entries).
changes = sa.Table(
    "changes", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False, index=True),
    sa.Column("actor", sa.String(320), nullable=False, index=True),
    sa.Column("via", sa.String(20), nullable=False),
    sa.Column("action", sa.String(10), nullable=False),
    sa.Column("entity", sa.String(30), nullable=False),
    sa.Column("record_id", sa.Integer, nullable=False),
    sa.Column("before", sa.JSON),
    sa.Column("after", sa.JSON),
    sa.Column("note", sa.Text),
    sa.Column("erased", sa.Boolean, nullable=False),
    # The change set: one write's entries (an import's, a deletion's with what went with it), undone together.
    sa.Column("batch", sa.String(32), index=True),
    sa.Index("ix_changes_record", "entity", "record_id"),
)

site_settings = sa.Table(
    "site_settings", metadata,
    sa.Column("key", sa.String(60), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)

# Counters moved by triggers on every write that changes what a reader sees ("content": records and sharing;
# "accounts": who a principal is): caches are keyed on them (see _changes.py).
atlas_versions = sa.Table(
    "atlas_versions", metadata,
    sa.Column("name", sa.String(20), primary_key=True),
    sa.Column("value", sa.BigInteger, nullable=False),
)

# Saved map views: a view of the map (its URL query) named by a user and shared by its visibility; the user's own
# (not records: never exported or imported). Ids are never given again, so a view's history stays its own.
map_views = sa.Table(
    "map_views", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("description", sa.Text),
    sa.Column("query", sa.String(2000), nullable=False),
    sa.Column("author_id", sa.Integer, _fk("users", "CASCADE"), nullable=False, index=True),
    sa.Column("visibility", sa.String(10), nullable=False),
    # The hub whose members see a hub or network view; a hub deleted leaves the view to its author alone
    sa.Column("hub_id", sa.Integer, _fk("hubs"), index=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("version", sa.Integer, nullable=False, server_default="1"),
    sqlite_autoincrement=True,
)

# Background jobs: what was asked (the kind and its parameters), by whom, how far it got, its result or why it
# failed, and the files it read and wrote. The queue engine (Procrastinate on PostgreSQL, a thread pool in the web
# process on SQLite) only carries a job's id to a worker: the job itself lives here, so any web worker can show it.
jobs = sa.Table(
    "jobs", metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("kind", sa.String(40), nullable=False),
    # who asked: "owner" (the command line's local owner) or "user:<id>"; only they see the job
    sa.Column("owner", sa.String(40), nullable=False, index=True),
    sa.Column("status", sa.String(12), nullable=False, index=True),  # queued, running, done, failed, cancelled
    sa.Column("params", sa.JSON, nullable=False),
    # what the job weighs against its owner's quota (run-years of a simulation; 0 for light work)
    sa.Column("cost", sa.Float, nullable=False, server_default="0"),
    sa.Column("task", sa.String(200), nullable=False, server_default=""),
    sa.Column("done", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("total", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("result", sa.JSON),
    sa.Column("error", sa.JSON),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("cancel_requested", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("worker", sa.String(200)),  # host and process running it
    sa.Column("queue_id", sa.BigInteger),  # the queue engine's own id of the job (Procrastinate's)
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("started_at", sa.DateTime(timezone=True)),
    sa.Column("heartbeat_at", sa.DateTime(timezone=True)),
    sa.Column("finished_at", sa.DateTime(timezone=True), index=True),
)

job_files = sa.Table(
    "job_files", metadata,
    sa.Column("job_id", sa.String(32), _fk("jobs", "CASCADE"), primary_key=True),
    sa.Column("role", sa.String(10), primary_key=True),  # input (an upload) or output (what the job wrote)
    sa.Column("name", sa.String(500), primary_key=True),
    sa.Column("content", sa.LargeBinary, nullable=False),
)
