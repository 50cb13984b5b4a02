"""Finer version counters: one per kind of record ("k:organizations"), one per hub for the records a hub's answers
show ("h:12": its organisations, their ties, innovations and deals, the hub itself) and "reach", moved when an
organisation changes hub, visibility or owner or goes (which changes who sees the records it owns, wherever they
are); "content" still moves with every write. Caches keyed on the counters an answer depends on keep the other
hubs' answers when one hub's records change (see _changes.py and api/cache.py).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 20:00:00
"""

from alembic import op


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

RECORDS = ("hubs", "organizations", "people", "programs", "participations", "innovations", "stage_events",
           "deals", "ties", "clinical_needs", "partnerships", "assessments", "ratings", "kpis", "kpi_actuals",
           "introductions", "hub_shares", "endorsements", "submissions", "judges", "scores")
EVENTS = ("INSERT", "UPDATE", "DELETE")

#: table → SQL expressions (over a row ``r``) of the hubs whose answers show the row. An organisation's are its
#: hub; a tie's, the hubs of both ends; an innovation's, its organisation's; a deal's, its hub and its recipient's.
HUBS = {
    "hubs": ("r.id",),
    "organizations": ("r.hub_id",),
    "ties": ("(SELECT o.hub_id FROM organizations o WHERE o.id = r.source_id)",
             "(SELECT o.hub_id FROM organizations o WHERE o.id = r.target_id)"),
    "innovations": ("(SELECT o.hub_id FROM organizations o WHERE o.id = r.organization_id)",),
    "deals": ("r.hub_id", "(SELECT o.hub_id FROM organizations o WHERE o.id = r.recipient_id)"),
}
#: What changes who may see the records an organisation owns (or the ties that reach it).
REACH = ("hub_id", "visibility", "owner_kind", "owner_id")


def _name(table, event):
    return f"count_{table}_{event.lower()}"


def _rows(event):
    """The row variables (SQLite) or transition tables (PostgreSQL) an event has."""
    return {"INSERT": ("NEW",), "UPDATE": ("OLD", "NEW"), "DELETE": ("OLD",)}[event]


def _sqlite_trigger(table, event):
    rows = _rows(event)
    names = f"'content', 'k:{table}'"
    if table == "organizations" and event == "DELETE":
        names += ", 'reach'"
    moved = ""
    if table == "organizations" and event == "UPDATE":
        moved = " OR (name = 'reach' AND (" + " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in REACH) + "))"
    body = f"UPDATE atlas_versions SET value = value + 1 WHERE name IN ({names}){moved};"
    if table in HUBS:
        hubs = " UNION ".join(f"SELECT {expr.replace('r.', row + '.')} AS h" for row in rows for expr in HUBS[table])
        body += (f" INSERT INTO atlas_versions (name, value) SELECT 'h:' || h, 1 FROM ({hubs}) WHERE h IS NOT NULL"
                 " ON CONFLICT (name) DO UPDATE SET value = value + 1;")
    return f"CREATE TRIGGER {_name(table, event)} AFTER {event} ON {table} BEGIN {body} END"


def _postgresql_trigger(table, event):
    rows = {"NEW": "new_rows", "OLD": "old_rows"}
    tables = [rows[r] for r in _rows(event)]
    # 'content' is moved first, by the trigger of 0004 (triggers fire in the order of their names): every
    # writing transaction holds that row till it ends, so the finer counters are never taken in two orders
    body = f"UPDATE atlas_versions SET value = value + 1 WHERE name = 'k:{table}';"
    if table == "organizations" and event == "DELETE":
        body += " UPDATE atlas_versions SET value = value + 1 WHERE name = 'reach';"
    if table == "organizations" and event == "UPDATE":
        moved = " OR ".join(f"o.{c} IS DISTINCT FROM n.{c}" for c in REACH)
        body += (" UPDATE atlas_versions SET value = value + 1 WHERE name = 'reach' AND EXISTS (SELECT 1 FROM "
                 f"old_rows o JOIN new_rows n ON n.id = o.id WHERE {moved});")
    if table in HUBS:
        hubs = " UNION ".join(f"SELECT {expr} AS h FROM {t} r" for t in tables for expr in HUBS[table])
        body += (f" INSERT INTO atlas_versions (name, value) SELECT DISTINCT 'h:' || h, 1 FROM ({hubs}) s "
                 "WHERE h IS NOT NULL ORDER BY 1 ON CONFLICT (name) DO UPDATE SET value = atlas_versions.value + 1;")
    referencing = " ".join(f"{r} TABLE AS {rows[r]}" for r in _rows(event))
    name = _name(table, event)
    return [f"CREATE FUNCTION {name}() RETURNS trigger AS $$ BEGIN {body} RETURN NULL; END $$ LANGUAGE plpgsql",
            f"CREATE TRIGGER {name} AFTER {event} ON {table} REFERENCING {referencing} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {name}()"]


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    values = ", ".join(f"('k:{table}', 0)" for table in RECORDS)
    op.execute(f"INSERT INTO atlas_versions (name, value) VALUES {values}, ('reach', 0)")
    for table in RECORDS:
        for event in EVENTS:
            if sqlite:  # one trigger a row does all (the 'content' one of 0004 and 0007 folded in: rows are many)
                op.execute(f"DROP TRIGGER bump_content_{table}_{event.lower()}")
                op.execute(_sqlite_trigger(table, event))
            else:
                for statement in _postgresql_trigger(table, event):
                    op.execute(statement)


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table in RECORDS:
        for event in EVENTS:
            name = _name(table, event)
            if sqlite:
                op.execute(f"DROP TRIGGER {name}")
                op.execute(f"CREATE TRIGGER bump_content_{table}_{event.lower()} AFTER {event} ON {table} BEGIN "
                           "UPDATE atlas_versions SET value = value + 1 WHERE name = 'content'; END")
            else:
                op.execute(f"DROP TRIGGER {name} ON {table}")
                op.execute(f"DROP FUNCTION {name}()")
    op.execute("DELETE FROM atlas_versions WHERE name NOT IN ('content', 'accounts')")
