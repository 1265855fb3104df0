"""Alembic environment: the connection is handed in by ``tandem.store.migrate``."""

from alembic import context

from tandem.store.schema import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, compare_type=True)
with context.begin_transaction():
    context.run_migrations()
