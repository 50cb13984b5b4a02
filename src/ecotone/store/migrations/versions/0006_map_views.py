"""Saved map views: a named view of the map (its URL query), per user, shared by its visibility

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-08 10:00:00
"""

import sqlalchemy as sa
from alembic import op


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # No version-counter triggers (0004): a view saved must not empty every cache of the map and its layout; the
    # views' own answers are never cached (they differ from user to user).
    op.create_table('map_views',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('query', sa.String(length=2000), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('visibility', sa.String(length=10), nullable=False),
    sa.Column('hub_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_map_views_author_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['hub_id'], ['hubs.id'], name=op.f('fk_map_views_hub_id_hubs'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_map_views')),
    sqlite_autoincrement=True,
    )
    with op.batch_alter_table('map_views', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_map_views_author_id'), ['author_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_map_views_hub_id'), ['hub_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('map_views', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_map_views_hub_id'))
        batch_op.drop_index(batch_op.f('ix_map_views_author_id'))
    op.drop_table('map_views')
