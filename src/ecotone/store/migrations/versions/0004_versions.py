"""Version counters: what caches are keyed on, moved by the writes that change what readers see

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 12:30:00
"""

import sqlalchemy as sa
from alembic import op


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

RECORDS = ("hubs", "organizations", "people", "programs", "participations", "innovations", "stage_events",
           "deals", "ties", "clinical_needs", "partnerships", "assessments", "ratings", "kpis", "kpi_actuals",
           "introductions", "hub_shares")
# What a principal is: a session that starts, or a failed sign-in counted, moves neither counter (a hub's users
# signing in all day must not empty every cache); a revoked token, a closed session or a changed role does.
ACCOUNTS = {"users": ("INSERT", "DELETE", "UPDATE OF email, name, password_hash, role, organization_id, active"),
            "memberships": ("INSERT", "DELETE", "UPDATE"), "api_tokens": ("INSERT", "DELETE", "UPDATE"),
            "sessions": ("DELETE",)}


def _events():
    for table in RECORDS:
        for event in ("INSERT", "UPDATE", "DELETE"):
            yield table, event, "content"
    for table, events in ACCOUNTS.items():
        for event in events:
            yield table, event, "accounts"


def _name(table, event, counter):
    return f"bump_{counter}_{table}_{event.split()[0].lower()}"


def upgrade() -> None:
    op.create_table('atlas_versions',
    sa.Column('name', sa.String(length=20), nullable=False),
    sa.Column('value', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_atlas_versions'))
    )
    op.execute("INSERT INTO atlas_versions (name, value) VALUES ('content', 0), ('accounts', 0)")
    sqlite = op.get_bind().dialect.name == "sqlite"
    if not sqlite:
        op.execute("""CREATE FUNCTION bump_atlas_version() RETURNS trigger AS $$
            BEGIN UPDATE atlas_versions SET value = value + 1 WHERE name = TG_ARGV[0]; RETURN NULL; END
            $$ LANGUAGE plpgsql""")
    for table, event, counter in _events():
        if sqlite:  # row triggers: SQLite has no others
            op.execute(f"CREATE TRIGGER {_name(table, event, counter)} AFTER {event} ON {table} BEGIN "
                       f"UPDATE atlas_versions SET value = value + 1 WHERE name = '{counter}'; END")
        else:  # one bump per statement, however many rows it writes
            op.execute(f"CREATE TRIGGER {_name(table, event, counter)} AFTER {event} ON {table} "
                       f"FOR EACH STATEMENT EXECUTE FUNCTION bump_atlas_version('{counter}')")


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table, event, counter in _events():
        op.execute(f"DROP TRIGGER {_name(table, event, counter)}" + ("" if sqlite else f" ON {table}"))
    if not sqlite:
        op.execute("DROP FUNCTION bump_atlas_version()")
    op.drop_table('atlas_versions')
