"""A version counter of what the map shows of organisations ("m:organizations"): moved when an organisation comes
or goes, or when one of the fields the map draws or that decides who sees it changes (name, type, helix, hub,
country, stage, visibility, owner) — not by an edit of its city, website, description, tags or contacts. The
whole-atlas map, the costliest answer there is, depends on it instead of on every write to an organisation.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 14:00:00
"""

import importlib.util
from pathlib import Path

from alembic import op


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

#: The organisations' fields the map reads (mapdata._NODE_FIELDS and helix) or that decide who may see a row.
SHOWN = ("name", "type", "helix", "hub_id", "country", "stage", "visibility", "owner_kind", "owner_id")
EVENTS = ("INSERT", "UPDATE", "DELETE")

def _load(name):
    """Another migration's module (Alembic loads each from its file, outside any package)."""
    spec = importlib.util.spec_from_file_location(f"ecotone_migration_{name}", Path(__file__).with_name(f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_finer = _load("0009_finer_versions")


def _sqlite_trigger(event):
    """0009's trigger of ``organizations`` for ``event``, moving 'm:organizations' too."""
    made = _finer._sqlite_trigger("organizations", event)
    if event == "UPDATE":
        changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in SHOWN)
        return made.replace(";", f" OR (name = 'm:organizations' AND ({changed}));", 1)
    return made.replace("'k:organizations'", "'k:organizations', 'm:organizations'", 1)


def _postgresql_trigger(event):
    name = f"count_organizations_map_{event.lower()}"  # after 0009's of the table: counters taken in one order
    body = "UPDATE atlas_versions SET value = value + 1 WHERE name = 'm:organizations'"
    if event == "UPDATE":
        changed = " OR ".join(f"o.{c} IS DISTINCT FROM n.{c}" for c in SHOWN)
        body += f" AND EXISTS (SELECT 1 FROM old_rows o JOIN new_rows n ON n.id = o.id WHERE {changed})"
    rows = {"INSERT": "NEW TABLE AS new_rows", "UPDATE": "OLD TABLE AS old_rows NEW TABLE AS new_rows",
            "DELETE": "OLD TABLE AS old_rows"}[event]
    return [f"CREATE FUNCTION {name}() RETURNS trigger AS $$ BEGIN {body}; RETURN NULL; END $$ LANGUAGE plpgsql",
            f"CREATE TRIGGER {name} AFTER {event} ON organizations REFERENCING {rows} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {name}()"]


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    op.execute("INSERT INTO atlas_versions (name, value) VALUES ('m:organizations', 0)")
    for event in EVENTS:
        if sqlite:  # one trigger a row does all: 0009's, with the new counter folded in
            op.execute(f"DROP TRIGGER {_finer._name('organizations', event)}")
            op.execute(_sqlite_trigger(event))
        else:
            for statement in _postgresql_trigger(event):
                op.execute(statement)


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for event in EVENTS:
        if sqlite:
            op.execute(f"DROP TRIGGER {_finer._name('organizations', event)}")
            op.execute(_finer._sqlite_trigger("organizations", event))
        else:
            name = f"count_organizations_map_{event.lower()}"
            op.execute(f"DROP TRIGGER {name} ON organizations")
            op.execute(f"DROP FUNCTION {name}()")
    op.execute("DELETE FROM atlas_versions WHERE name = 'm:organizations'")
