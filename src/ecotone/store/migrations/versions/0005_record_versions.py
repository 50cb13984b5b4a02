"""Record versions (optimistic concurrency: ETag / If-Match), provenance per field, and change sets in the trail

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 14:00:00
"""

import sqlalchemy as sa
from alembic import op


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

RECORDS = ("hubs", "organizations", "people", "programs", "participations", "innovations", "stage_events",
           "deals", "ties", "clinical_needs", "partnerships", "assessments", "ratings", "kpis", "kpi_actuals",
           "introductions")


def upgrade() -> None:
    for table in RECORDS:
        op.add_column(table, sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
        op.add_column(table, sa.Column("provenance", sa.JSON(), nullable=False, server_default=sa.text("'{}'")))
    # Every write's entries share a change set: an import's, or a deletion's with what went with it.
    op.add_column("changes", sa.Column("batch", sa.String(32)))
    op.create_index("ix_changes_batch", "changes", ["batch"])


def downgrade() -> None:
    op.drop_index("ix_changes_batch", "changes")
    op.drop_column("changes", "batch")
    for table in RECORDS:
        op.drop_column(table, "provenance")
        op.drop_column(table, "version")
