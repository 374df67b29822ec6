"""The `claimwatch` command: tables for people, JSON lines for programs."""

from __future__ import annotations

import json
import logging
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.progress import Progress
from rich.table import Table
from sqlmodel import col, select

from worker import cli_db, cli_delivery, cli_service, message, notify, pipeline
from worker.article import Article
from worker.claims import Claim, find_claims
from worker.cli_support import (
    ConfigOption,
    JsonOption,
    database_url,
    err,
    friendly_errors,
    load_config,
    open_database,
    out,
)
from worker.db import ChangeRecord, ClaimRecord, ItemRecord, session_scope
from worker.errors import ClaimwatchError
from worker.extract import article_from_file
from worker.fetch import make_client, read_file
from worker.settings import load_settings
from worker.sources import seed_key
from worker.watchlist import load_watchlist

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Watch news about places; store figures; alert when they change.")
app.add_typer(cli_delivery.deliveries_app)
app.add_typer(cli_db.db_app)
app.command("notify-test")(cli_delivery.notify_test)
app.command()(cli_service.run)
app.command()(cli_service.status)
@app.callback()
def main(verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log more.")] = False) -> None:
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")


@app.command()
def scan(config: ConfigOption = None, json_out: JsonOption = False) -> None:
    """One pass: the seeds folder and every feed; claims stored, changes alerted."""
    with friendly_errors():
        watchlist = load_config(config)
        engine = open_database(watchlist)
        with make_client() as client:
            ctx = pipeline.Context(watchlist, engine, client,
                                   notify.apprise_sender(watchlist.notify, _echo_alert))
            report = _run_with_progress(ctx)
    _print_scan(report, json_out)


def _echo_alert(text: str) -> None:
    out.print(escape(text), style="bold yellow")


def _run_with_progress(ctx: pipeline.Context) -> pipeline.ScanReport:
    with Progress(console=err, transient=True) as progress:
        task = progress.add_task("scanning", total=None)
        return pipeline.run_once(
            ctx,
            on_item=lambda _outcome: progress.advance(task),
            on_total=lambda total: progress.update(task, total=total, description="articles"))


def _print_scan(report: pipeline.ScanReport, json_out: bool) -> None:
    rows = [(_source_name(o.article), c) for o in report.outcomes if o.article for c in o.claims]
    if json_out:
        for title, claim in rows:
            print(json.dumps({"article": title, **_claim_json(claim)}, ensure_ascii=False))
    else:
        _print_claims(rows)
    for outcome in report.outcomes:
        if outcome.error:
            err.print(f"[red]item {outcome.item_id} failed:[/red] {escape(outcome.error)}")
    for feed_error in report.feed_errors:
        err.print(f"[red]feed failed:[/red] {escape(feed_error)}")
    err.print(f"{len(report.outcomes)} new article(s), {len(rows)} claim(s), "
              f"{len(report.changes)} change(s), {report.alerts_sent} alert(s) sent")


def _source_name(article: Article) -> str:
    name = article.outlet or article.title or article.key
    return name if len(name) <= 80 else name[:79] + "…"


def _claim_json(claim: Claim) -> dict[str, Any]:
    data = asdict(claim)
    data["as_of"] = claim.as_of.isoformat() if claim.as_of else None
    return data


def _print_claims(rows: list[tuple[str, Claim]]) -> None:
    """One table per source, one line per claim: the sentence is cut to the terminal's width."""
    for source in dict.fromkeys(name for name, _ in rows):
        table = Table(title=escape(source), title_justify="left", expand=True)
        for name in ("region", "metric", "actor", "figure", "kind"):
            table.add_column(name, no_wrap=True)
        table.add_column("sentence", no_wrap=True, overflow="ellipsis", ratio=1)
        for _, c in (row for row in rows if row[0] == source):
            table.add_row(c.region, c.metric, c.actor or "", message.format_value(c.value, c.qualifier),
                          c.kind, escape(c.sentence))
        out.print(table)


@app.command()
def extract(files: Annotated[list[Path], typer.Argument(help="Article files (.txt, .md, .html).")],
            config: ConfigOption = None, json_out: JsonOption = False) -> None:
    """Claims of article files, read as the seeds folder reads them, without storing anything."""
    with friendly_errors():
        watchlist = load_config(config)
    rows: list[tuple[str, Claim]] = []
    failed = 0
    for path in files:
        try:
            content = read_file(path)
            article = article_from_file(path, content, seed_key(path, content))
        except ClaimwatchError as exc:
            err.print(f"[red]skipped:[/red] {escape(str(exc))}")
            failed += 1
            continue
        rows.extend((str(path), claim) for claim in find_claims(article, watchlist))
    if json_out:
        for name, claim in rows:
            print(json.dumps({"file": name, **_claim_json(claim)}, ensure_ascii=False))
    else:
        _print_claims(rows)
        err.print(f"{len(rows)} claim(s) in {len(files) - failed} file(s)")
    if failed:
        raise typer.Exit(1)


@app.command()
def claims(config: ConfigOption = None, json_out: JsonOption = False,
           limit: Annotated[int, typer.Option(help="Newest N for the table.")] = 50) -> None:
    """Stored claims, newest first."""
    with friendly_errors():
        engine = open_database(load_config(config))
    with session_scope(engine) as session:
        query = select(ClaimRecord, ItemRecord).join(ItemRecord).order_by(col(ClaimRecord.id).desc())
        rows = session.exec(query if json_out else query.limit(limit)).all()
    if json_out:
        for claim, item in rows:
            print(json.dumps(_stored_claim_json(claim, item), ensure_ascii=False))
        return
    table = Table(title=f"{len(rows)} newest claim(s)")
    for name in ("as of", "region", "metric", "actor", "figure", "kind", "source"):
        table.add_column(name, overflow="fold")
    for claim, item in rows:
        table.add_row(claim.as_of.date().isoformat() if claim.as_of else "", claim.region,
                      claim.metric, claim.actor, message.format_value(claim.value, claim.qualifier),
                      claim.kind, escape(item.outlet or item.title or item.key))
    out.print(table)


def _stored_claim_json(claim: ClaimRecord, item: ItemRecord) -> dict[str, Any]:
    data = claim.model_dump(mode="json")
    data["actor"] = claim.actor or None
    data.update(article=item.title, url=item.url, outlet=item.outlet, file=item.path)
    return data


@app.command()
def changes(config: ConfigOption = None, json_out: JsonOption = False) -> None:
    """Detected changes, oldest first, with both figures' sources."""
    with friendly_errors():
        engine = open_database(load_config(config))
    with session_scope(engine) as session:
        records = session.exec(select(ChangeRecord).order_by(col(ChangeRecord.id))).all()
        alerts = notify.load_alerts(session.connection(), [c.id for c in records if c.id is not None])
    if json_out:
        for change in records:
            assert change.id is not None
            print(json.dumps(_change_json(change, alerts[change.id]), ensure_ascii=False))
        return
    table = Table(title=f"{len(records)} change(s)")
    table.add_column("change", overflow="fold")
    table.add_column("new source", overflow="fold")
    for change in records:
        assert change.id is not None
        alert = alerts[change.id]
        table.add_row(escape(message.alert_title(alert)), escape(alert.new.outlet or alert.new.title))
    out.print(table)


def _change_json(change: ChangeRecord, alert: message.Alert) -> dict[str, Any]:
    def side(s: message.Side) -> dict[str, Any]:
        return {"title": s.title, "url": s.url, "outlet": s.outlet, "sentence": s.sentence,
                "published": s.published.isoformat() if s.published else None}

    return {"region": change.region, "metric": change.metric, "actor": change.actor or None,
            "old_value": change.old_value, "old_qualifier": change.old_qualifier,
            "new_value": change.new_value, "new_qualifier": change.new_qualifier,
            "revision": change.revision, "detected_at": change.created_at.isoformat()
            if change.created_at else None, "old_article": side(alert.old),
            "new_article": side(alert.new)}


@app.command("check-config")
def check_config(config: ConfigOption = None) -> None:
    """Validate the watchlist and print what it sets up."""
    with friendly_errors():
        path = config or load_settings().config
        watchlist = load_watchlist(path)
        url = database_url(watchlist)
    out.print(f"[green]{escape(str(path))} is valid[/green]")
    regions = (r.name + (f" (in {r.within})" if r.within else "") for r in watchlist.regions)
    out.print(f"regions: {', '.join(regions)}")
    out.print(f"actors: {', '.join(a.name for a in watchlist.actors) or 'none'}")
    out.print(f"metrics: {', '.join(watchlist.metric_units)}")
    out.print(f"feeds: {len(watchlist.feeds)}; seeds folder: {watchlist.seeds or 'none'}")
    for target in watchlist.notify:
        out.print(f"notify: {escape(notify.masked_url(target.url))}")
    if not watchlist.notify:
        out.print("notify: none (alerts are printed to the console)")
    out.print(f"database: {escape(_mask_password(url))}")


def _mask_password(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


if __name__ == "__main__":
    app()
