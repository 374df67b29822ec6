"""`claimwatch db upgrade`: bring the database schema to the newest migration."""

from __future__ import annotations

import typer
from rich.markup import escape

from worker.cli_support import ConfigOption, database_url, friendly_errors, load_config, out
from worker.db import make_engine
from worker.migrate import upgrade

db_app = typer.Typer(name="db", no_args_is_help=True, help="Database schema.")


@db_app.command("upgrade")
def upgrade_command(config: ConfigOption = None) -> None:
    """Apply every migration not yet applied (every command does this when it opens the database)."""
    with friendly_errors():
        engine = make_engine(database_url(load_config(config)))
    before, after = upgrade(engine)
    if before == after:
        out.print(f"the schema is already at {escape(str(after))}")
    else:
        out.print(f"schema upgraded from {escape(before or '(empty)')} to {escape(str(after))}")
