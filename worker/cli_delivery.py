"""`claimwatch deliveries`, `deliveries retry` and `notify-test`: the outbox as an operator sees it."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from worker import notify, outbox
from worker.cli_support import ConfigOption, JsonOption, err, friendly_errors, load_config, open_database, out
from worker.db import DeliveryRecord, session_scope, utcnow
from worker.errors import ConfigError
from worker.message import Message, alert_title
from worker.watchlist import NotifyTarget, Watchlist

deliveries_app = typer.Typer(
    name="deliveries", invoke_without_command=True,
    help="Alerts not yet delivered (pending, sending, failed); `retry` resends failed ones.")
IdsArgument = Annotated[list[int] | None, typer.Argument(help="Delivery ids [default: every failed one].")]


@deliveries_app.callback()
def deliveries(ctx: typer.Context, config: ConfigOption = None, json_out: JsonOption = False) -> None:
    """Alerts not yet delivered: pending, being sent, or failed."""
    if ctx.invoked_subcommand is not None:
        return
    with friendly_errors():
        watchlist = load_config(config)
        engine = open_database(watchlist)
    targets = notify.targets_by_key(watchlist.notify)
    with session_scope(engine) as session:
        rows = outbox.unsent(session)
        alerts = notify.load_alerts(session.connection(), [r.change_id for r in rows])
    records = [_row_json(r, alert_title(alerts[r.change_id]), notify.display_name(r.target, targets))
               for r in rows]
    if json_out:
        for record in records:
            print(json.dumps(record, ensure_ascii=False))
        return
    table = Table(title=f"{len(records)} alert(s) not delivered")
    for name in ("id", "status", "target", "attempts", "next attempt", "alert", "last error"):
        table.add_column(name, overflow="fold")
    for r in records:
        table.add_row(str(r["id"]), r["status"], escape(r["target"]), str(r["attempts"]),
                      r["next_attempt_at"] or "", escape(r["alert"]), escape(r["last_error"] or ""))
    out.print(table)


def _row_json(row: DeliveryRecord, title: str, target: str) -> dict[str, Any]:
    def when(value: datetime | None) -> str | None:
        return value.isoformat(timespec="seconds") if value else None

    return {"id": row.id, "change_id": row.change_id, "status": row.status, "target": target,
            "attempts": row.attempts, "next_attempt_at": when(row.next_attempt_at),
            "lease_until": when(row.lease_until), "alert": title, "last_error": row.last_error}


@deliveries_app.command("retry")
def retry(ids: IdsArgument = None, config: ConfigOption = None) -> None:
    """Give failed alerts a fresh set of attempts and send them now."""
    with friendly_errors():
        watchlist = load_config(config)
        engine = open_database(watchlist)
    with session_scope(engine) as session:
        queued = outbox.reset_failed(session, ids or ())
    sent = outbox.deliver_pending(engine, watchlist.notify,
                                  notify.apprise_sender(watchlist.notify, out.print), respect_backoff=False)
    err.print(f"{queued} failed alert(s) queued again; {sent} alert(s) sent")
    with session_scope(engine) as session:
        left = [r for r in outbox.unsent(session) if r.status != "sending"]
    if left:
        err.print(f"{len(left)} alert(s) still not delivered: see `claimwatch deliveries`")
        raise typer.Exit(1)


def notify_test(target: Annotated[str | None, typer.Argument(
        help="A target's name, its position in the watchlist (1, 2 …) or its key [default: all].")] = None,
        config: ConfigOption = None) -> None:
    """Send a test message to each target and say whether the service accepted it."""
    with friendly_errors():
        watchlist = load_config(config)
        chosen = _choose(watchlist, target)
    if not chosen:
        out.print("no notify targets in the watchlist: alerts are printed to the console")
        return
    refused = 0
    for item in chosen:
        name = escape(item.name or notify.masked_url(item.url))
        error = notify.send_to(item, _test_message(item))
        if error is None:
            out.print(f"[green]accepted[/green] {name}")
        else:
            refused += 1
            out.print(f"[red]refused[/red]  {name}: {escape(error)}")
    if refused:
        raise typer.Exit(1)


def _choose(watchlist: Watchlist, wanted: str | None) -> list[NotifyTarget]:
    targets = list(watchlist.notify)
    if wanted is None:
        return targets
    for position, item in enumerate(targets, start=1):
        if wanted in (item.name, str(position), notify.target_key(item)):
            return [item]
    names = ", ".join(t.name or str(i) for i, t in enumerate(targets, start=1)) or "none"
    raise ConfigError(f"no notify target {wanted!r} in the watchlist (targets: {names})")


def _test_message(target: NotifyTarget) -> Message:
    now = utcnow().isoformat(timespec="seconds")
    body = (f"This is a test message from claimwatch, sent at {now}. If you can read it, alerts "
            "will reach you here.")
    return Message("claimwatch test message", body, notify.wants_markdown(target))
