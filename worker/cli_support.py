"""What every `claimwatch` command shares: consoles, options, friendly errors, config and database."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from sqlalchemy import Engine

from worker.db import create_schema, make_engine
from worker.errors import ClaimwatchError
from worker.settings import load_settings, resolve_database_url
from worker.watchlist import Watchlist, load_watchlist

out = Console(soft_wrap=True)
err = Console(stderr=True)

ConfigOption = Annotated[Path | None, typer.Option(
    "--config", "-c", help="Watchlist file [default: $CLAIMWATCH_CONFIG or config/watchlist.yaml]",
    show_default=False)]
JsonOption = Annotated[bool, typer.Option("--json", help="One JSON object a line.")]


@contextmanager
def friendly_errors() -> Iterator[None]:
    """Errors claimwatch expects become a message and exit status 2, never a traceback."""
    try:
        yield
    except ClaimwatchError as exc:
        err.print(f"[red]error:[/red] {escape(str(exc))}")
        raise typer.Exit(2) from None


def load_config(config: Path | None) -> Watchlist:
    return load_watchlist(config or load_settings().config)


def database_url(watchlist: Watchlist) -> str:
    return resolve_database_url(watchlist.database)


def open_database(watchlist: Watchlist) -> Engine:
    engine = make_engine(database_url(watchlist))
    create_schema(engine)
    return engine
