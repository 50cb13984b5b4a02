"""Open innovation: clinical needs in full (severity, prevalence, evidence, status, clinician, addressing
innovations), endorsements of needs, challenges (programmes with a sponsor, needs, prize, dates, rubric), their
submissions, judges and scores, and introductions that follow up a challenge's winner

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 16:00:00
"""

import sqlalchemy as sa
from alembic import op


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

NEW = ("endorsements", "submissions", "judges", "scores")

# table → [(column, type, server default)]: plain columns, added in place on both backends
COLUMNS = {
    "clinical_needs": [
        ("severity", sa.String(length=10), None),
        ("prevalence", sa.Float(), None),
        ("evidence", sa.Text(), None),
        ("status", sa.String(length=20), "raised"),
        ("innovation_ids", sa.JSON(), sa.text("'[]'")),
        ("description", sa.Text(), None),
    ],
    "programs": [
        ("need_ids", sa.JSON(), sa.text("'[]'")),
        ("prize", sa.Float(), None),
        ("closes_on", sa.Date(), None),
        ("judged_by", sa.Date(), None),
        ("awarded_on", sa.Date(), None),
        ("eligibility", sa.Text(), None),
        ("rubric", sa.JSON(), sa.text("'[]'")),
        ("shortlist", sa.Integer(), None),
        ("winners", sa.Integer(), "1"),
        ("normalisation", sa.String(length=10), "z"),
    ],
}
# (table, column, referred table): references added to existing tables (ON DELETE SET NULL)
REFERENCES = (("clinical_needs", "raised_by_person_id", "people"), ("programs", "sponsor_id", "organizations"),
              ("introductions", "program_id", "programs"))
INDEXES = (("clinical_needs", "status"), ("programs", "sponsor_id"), ("introductions", "program_id"))


def _record_columns():
    return [
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('owner_kind', sa.String(length=20), nullable=True),
        sa.Column('owner_id', sa.Integer(), nullable=True),
        sa.Column('visibility', sa.String(length=10), nullable=False),
        sa.Column('source', sa.Text(), nullable=True),
        sa.Column('external_ids', sa.JSON(), nullable=False),
        sa.Column('version', sa.Integer(), server_default='1', nullable=False),
        sa.Column('provenance', sa.JSON(), server_default=sa.text("'{}'"), nullable=False),
    ]


def _fk(table, column, referred, ondelete):
    return sa.ForeignKeyConstraint([column], [f'{referred}.id'], name=op.f(f'fk_{table}_{column}_{referred}'),
                                   ondelete=ondelete)


def _trigger(table, event):
    return f"bump_content_{table}_{event.lower()}"


def _sqlite_references() -> None:
    """Declare the new references of existing SQLite tables as table constraints, as a fresh atlas has them.

    SQLite's ALTER TABLE adds no table constraint, and copying a table to add one would drop the old table (see
    above). A reference (with its ON DELETE action) changes no stored row, only the table's declaration, which
    SQLite documents may then be edited in the schema table (https://sqlite.org/lang_altertable.html#otheralter:
    writable_schema, the schema version moved so every connection reads the new declaration); the foreign-key
    check after it proves the existing rows satisfy the references (new columns: all NULL).
    """
    _edit_sqlite_declarations(add=True)


def _edit_sqlite_declarations(*, add: bool) -> None:
    bind = op.get_bind()
    by_table: dict[str, list[str]] = {}
    for table, column, referred in REFERENCES:
        by_table.setdefault(table, []).append(f"CONSTRAINT fk_{table}_{column}_{referred} FOREIGN KEY({column}) "
                                              f"REFERENCES {referred} (id) ON DELETE SET NULL")
    version = bind.exec_driver_sql("PRAGMA schema_version").scalar_one()
    bind.exec_driver_sql("PRAGMA writable_schema=ON")
    try:
        for table, constraints in by_table.items():
            sql = bind.exec_driver_sql("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?",
                                       (table,)).scalar_one().rstrip()
            tail = "".join(f", \n\t{c}" for c in constraints) + "\n)"
            if add:
                if not sql.endswith(")"):
                    raise RuntimeError(f"unexpected declaration of {table}: {sql[-40:]!r}")
                sql = sql[:-1].rstrip() + tail
            else:
                if not sql.endswith(tail):
                    raise RuntimeError(f"unexpected declaration of {table}: {sql[-40:]!r}")
                sql = sql[:-len(tail)] + "\n)"
            bind.exec_driver_sql("UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = ?", (sql, table))
        bind.exec_driver_sql(f"PRAGMA schema_version = {int(version) + 1}")
    finally:
        bind.exec_driver_sql("PRAGMA writable_schema=OFF")
    for table in by_table:
        if bind.exec_driver_sql(f"PRAGMA foreign_key_check({table})").first() is not None:
            raise RuntimeError(f"{table} refers to records that do not exist")


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    # -- columns of existing tables: added in place (ALTER TABLE ... ADD COLUMN), never by copying the table: on
    # SQLite a copy drops the old table, whose implicit delete would cascade to the rows that refer to it
    # (participations of programmes) and lose its version-counter triggers (0004).
    for table, columns in COLUMNS.items():
        for name, type_, default in columns:
            nullable = default is None
            op.add_column(table, sa.Column(name, type_, nullable=nullable, server_default=default))
    for table, column, referred in REFERENCES:
        op.add_column(table, sa.Column(column, sa.Integer(), nullable=True))
        if not sqlite:
            op.create_foreign_key(f"fk_{table}_{column}_{referred}", table, referred, [column], ["id"],
                                  ondelete="SET NULL")
    if sqlite:
        _sqlite_references()
    for table, column in INDEXES:
        op.create_index(f"ix_{table}_{column}", table, [column], unique=False)

    # -- new tables --
    op.create_table('endorsements', *_record_columns(),
    sa.Column('need_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('organization_id', sa.Integer(), nullable=True),
    sa.Column('hub_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('date', sa.Date(), nullable=True),
    _fk('endorsements', 'need_id', 'clinical_needs', 'CASCADE'),
    _fk('endorsements', 'person_id', 'people', 'CASCADE'),
    _fk('endorsements', 'organization_id', 'organizations', 'CASCADE'),
    _fk('endorsements', 'hub_id', 'hubs', 'CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_endorsements')),
    )
    op.create_table('submissions', *_record_columns(),
    sa.Column('program_id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('innovation_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('summary', sa.Text(), nullable=True),
    sa.Column('submitted_on', sa.Date(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    _fk('submissions', 'program_id', 'programs', 'CASCADE'),
    _fk('submissions', 'organization_id', 'organizations', 'CASCADE'),
    _fk('submissions', 'innovation_id', 'innovations', 'SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_submissions')),
    sa.UniqueConstraint('program_id', 'organization_id', 'title', name=op.f('uq_submissions_program_id')),
    )
    op.create_table('judges', *_record_columns(),
    sa.Column('program_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('organization_id', sa.Integer(), nullable=True),
    sa.Column('conflict_ids', sa.JSON(), nullable=False),
    sa.Column('declared_on', sa.Date(), nullable=True),
    _fk('judges', 'program_id', 'programs', 'CASCADE'),
    _fk('judges', 'user_id', 'users', 'SET NULL'),
    _fk('judges', 'person_id', 'people', 'SET NULL'),
    _fk('judges', 'organization_id', 'organizations', 'SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_judges')),
    sa.UniqueConstraint('program_id', 'name', name=op.f('uq_judges_program_id')),
    )
    op.create_table('scores', *_record_columns(),
    sa.Column('submission_id', sa.Integer(), nullable=False),
    sa.Column('judge_id', sa.Integer(), nullable=False),
    sa.Column('criterion', sa.String(length=300), nullable=False),
    sa.Column('value', sa.Float(), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    _fk('scores', 'submission_id', 'submissions', 'CASCADE'),
    _fk('scores', 'judge_id', 'judges', 'CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scores')),
    sa.UniqueConstraint('submission_id', 'judge_id', 'criterion', name=op.f('uq_scores_submission_id')),
    )
    for table, columns in (("endorsements", ("need_id", "person_id", "organization_id", "hub_id")),
                           ("submissions", ("program_id", "organization_id")),
                           ("judges", ("program_id", "user_id")), ("scores", ("submission_id", "judge_id"))):
        for column in columns:
            op.create_index(f"ix_{table}_{column}", table, [column], unique=False)

    # -- the content counter moves with every write to the new tables, as with every record table (0004) --
    for table in NEW:
        for event in ("INSERT", "UPDATE", "DELETE"):
            if sqlite:
                op.execute(f"CREATE TRIGGER {_trigger(table, event)} AFTER {event} ON {table} BEGIN "
                           "UPDATE atlas_versions SET value = value + 1 WHERE name = 'content'; END")
            else:
                op.execute(f"CREATE TRIGGER {_trigger(table, event)} AFTER {event} ON {table} "
                           "FOR EACH STATEMENT EXECUTE FUNCTION bump_atlas_version('content')")


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table in reversed(NEW):
        for event in ("INSERT", "UPDATE", "DELETE"):
            op.execute(f"DROP TRIGGER {_trigger(table, event)}" + ("" if sqlite else f" ON {table}"))
        op.drop_table(table)  # its indexes go with it
    for table, column in INDEXES:
        op.drop_index(f"ix_{table}_{column}", table)
    if sqlite:
        _edit_sqlite_declarations(add=False)
    for table, column, referred in REFERENCES:
        if not sqlite:
            op.drop_constraint(f"fk_{table}_{column}_{referred}", table, type_="foreignkey")
        op.drop_column(table, column)
    for table, columns in COLUMNS.items():
        for name, _, _ in reversed(columns):
            op.drop_column(table, name)
