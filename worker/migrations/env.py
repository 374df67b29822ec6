"""Alembic's entry point: migrations run on the connection `worker.migrate` hands over."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import worker.db  # noqa: F401  (registers the tables on SQLModel.metadata)

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=SQLModel.metadata,
                  render_as_batch=connection.dialect.name == "sqlite")  # SQLite alters by copying
with context.begin_transaction():
    context.run_migrations()
