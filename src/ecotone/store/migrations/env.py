"""Alembic environment: migrates the connection the Atlas hands over (or the URL in the config)."""

from alembic import context
from sqlalchemy import create_engine

from ecotone.store.atlas import ours
from ecotone.store.tables import metadata

config = context.config


def _run(connection) -> None:
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True,
                      include_name=ours)
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    with create_engine(config.get_main_option("sqlalchemy.url")).connect() as conn:
        _run(conn)
