"""Schema migrations with Alembic; every command that opens the database brings it to the newest.

A database made before migrations existed (tables, no `alembic_version`) holds the first released
schema: it is stamped with the first revision, then upgraded like any other. Later revisions add
only what is missing, so a database made by a development build upgrades too.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, Engine, inspect, text

MIGRATIONS = Path(__file__).parent / "migrations"
FIRST_REVISION = "0001"


def alembic_config(connection: Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> tuple[str | None, str | None]:
    """Bring the schema to `revision`; returns the revisions before and after."""
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            # Workers starting together take turns: two creating one table at once would fail.
            connection.execute(text(
                "SELECT pg_advisory_xact_lock(hashtext('claimwatch schema ' || current_schema()))"))
        config = alembic_config(connection)
        before = current_revision(connection)
        if before is None and inspect(connection).has_table("items"):
            command.stamp(config, FIRST_REVISION)
        command.upgrade(config, revision)
        return before, current_revision(connection)
