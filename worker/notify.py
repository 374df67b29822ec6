"""Alert targets: which targets a change goes to, how each is named and masked, and sending through Apprise.

The outbox (`worker/outbox.py`) decides when to send; this module decides where and how.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable, Sequence
from functools import cache
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from sqlalchemy import Connection, Row, Select, bindparam, select

from worker.db import ChangeRecord, ClaimRecord, ItemRecord, table_of
from worker.message import Alert, Message, Side, format_message
from worker.watchlist import NotifyTarget

log = logging.getLogger(__name__)

CONSOLE = "console"  # the target used when the watchlist names none: alerts go to the console
_GENERIC_WEBHOOKS = {"json", "jsons", "form", "forms", "xml", "xmls"}  # programs, not people: plain text
_MIN_SECRET = 4  # URL parts shorter than this are not worth hiding (ports, "v1", "api")


def target_key(target: NotifyTarget) -> str:
    """A stable name for a target that does not reveal the secrets in its URL."""
    return "t-" + hashlib.sha256(target.url.encode()).hexdigest()[:12]


def targets_by_key(targets: Sequence[NotifyTarget]) -> dict[str, NotifyTarget]:
    return {target_key(t): t for t in targets}


def masked_url(url: str) -> str:
    """The URL as Apprise prints it with secrets hidden (its privacy form), and the parts Apprise
    leaves visible for generic services (a webhook's path, query values) hidden too."""
    import apprise

    plugin = apprise.Apprise.instantiate(url, suppress_exceptions=True)
    if plugin is None:
        return "(unrecognised URL)"
    return scrub(str(plugin.url(privacy=True)), url)  # type: ignore[no-untyped-call]


def display_name(key: str, targets: dict[str, NotifyTarget]) -> str:
    """How a person sees a target: its name, else its masked URL; never a secret."""
    if key == CONSOLE:
        return CONSOLE
    target = targets.get(key)
    if target is None:
        return f"{key} (no longer in the watchlist)"
    return target.name or masked_url(target.url)


def scrub(text: str, url: str) -> str:
    """`text` with every secret-looking part of `url` (user, password, path, query values) hidden."""
    parts = urlsplit(url)
    pieces = {parts.username, parts.password, parts.netloc.rpartition("@")[0]}
    pieces |= {unquote(p) for p in re.split(r"[/:]", parts.path)}
    pieces |= {value for _, value in parse_qsl(parts.query)}
    for piece in sorted((p for p in pieces if p and len(p) >= _MIN_SECRET), key=len, reverse=True):
        text = text.replace(piece, "***")
    return text


def route(change: ChangeRecord, targets: Sequence[NotifyTarget]) -> list[str]:
    """The keys of the targets whose filters let this change through."""
    if not targets:
        return [CONSOLE]
    return [target_key(t) for t in targets if passes(change, t)]


def passes(change: ChangeRecord, target: NotifyTarget) -> bool:
    """Regions, metrics and actors scope a target; a revision (a fall) ignores min_change unless
    the target mutes revisions or asks for them to be filtered like rises."""
    if change.revision and target.revisions == "muted":
        return False
    if target.regions is not None and change.region not in target.regions:
        return False
    if target.metrics is not None and change.metric not in target.metrics:
        return False
    if target.actors is not None and (change.actor or None) not in target.actors:
        return False
    if change.revision and target.revisions == "always":
        return True
    return target.min_change is None or target.min_change.passes(change.old_value, change.new_value)


def wants_markdown(target: NotifyTarget | None) -> bool:
    """Markdown for services that render it (chat); plain text for email, SMS and webhooks."""
    import apprise

    if target is None or target.format == "text":
        return False
    if target.format == "markdown":
        return True
    plugin = apprise.Apprise.instantiate(target.url, suppress_exceptions=True)
    if plugin is None or urlsplit(target.url).scheme.lower() in _GENERIC_WEBHOOKS:
        return False
    formats = plugin.notify_format
    declared = set(formats) if isinstance(formats, tuple | list) else {formats}
    return apprise.NotifyFormat.MARKDOWN in declared


def message_for(target: NotifyTarget | None, alerts: Sequence[Alert]) -> Message:
    """The message `target` gets for `alerts`; a template failing on this data falls back to the default."""
    markdown = wants_markdown(target)
    if target is None:
        return format_message(alerts, markdown)
    try:
        return format_message(alerts, markdown, target.title_template, target.body_template)
    except Exception as exc:  # templates are checked at load; data can still break one (e.g. alerts[3])
        log.warning("template of %s failed (%s); sending the default message",
                    target.name or masked_url(target.url), exc)
        return format_message(alerts, markdown)


def load_alerts(connection: Connection, change_ids: Sequence[int]) -> dict[int, Alert]:
    """The alerts of these changes, both figures with their sentences and sources."""
    ids = list(dict.fromkeys(change_ids))
    alerts = {}
    for start in range(0, len(ids), _IDS_PER_QUERY):
        for row in connection.execute(_alerts_query(), {"ids": ids[start:start + _IDS_PER_QUERY]}):
            alerts[row.id] = Alert(row.region, row.metric, row.actor or None, _side(row, "old"),
                                   _side(row, "new"), row.revision)
    return alerts


_IDS_PER_QUERY = 500  # well under every database's limit on bound parameters
_SIDE_FIELDS = ("value", "qualifier", "sentence", "title", "outlet", "url", "published")  # Side's, in order
_CLAIM_FIELDS = {"value", "qualifier", "sentence"}  # the rest are the item's


def _side(row: Row[Any], side: str) -> Side:
    return Side(*(row._mapping[f"{side}_{name}"] for name in _SIDE_FIELDS))


@cache
def _alerts_query() -> Select[Any]:
    """Each change with the claim and item of its old and of its new figure, in one query."""
    changes = table_of(ChangeRecord)
    columns: list[Any] = [changes.c[name] for name in ("id", "region", "metric", "actor", "revision")]
    joined: Any = changes
    for side in ("old", "new"):
        claim, item = table_of(ClaimRecord).alias(f"{side}_claim"), table_of(ItemRecord).alias(f"{side}_item")
        joined = joined.join(claim, claim.c.id == changes.c[f"{side}_claim_id"]).join(
            item, item.c.id == claim.c.item_id)
        columns += [(claim.c if name in _CLAIM_FIELDS else item.c)[name].label(f"{side}_{name}")
                    for name in _SIDE_FIELDS]
    return select(*columns).select_from(joined).where(changes.c.id.in_(bindparam("ids", expanding=True)))


Sender = Callable[[str, Message], str | None]  # (target key, message) → error or None


def apprise_sender(targets: Sequence[NotifyTarget], echo: Callable[[str], None]) -> Sender:
    """A sender that delivers through Apprise, one target per call, or to `echo` for the console."""
    by_key = targets_by_key(targets)

    def send(key: str, message: Message) -> str | None:
        if key == CONSOLE:
            echo(f"ALERT {message.body}")
            return None
        target = by_key.get(key)
        if target is None:
            return "target no longer in the watchlist"
        return send_to(target, message)

    return send


def send_to(target: NotifyTarget, message: Message) -> str | None:
    """Send one message to one target; None when the service accepted it, else why not (masked)."""
    import apprise

    notifier = apprise.Apprise()
    if not notifier.add(target.url):
        return f"{masked_url(target.url)}: Apprise cannot use this URL"
    body_format = apprise.NotifyFormat.MARKDOWN if message.markdown else apprise.NotifyFormat.TEXT
    capture = apprise.LogCapture(level=logging.WARNING, fmt="%(message)s")  # type: ignore[no-untyped-call]
    with capture as captured:
        accepted = notifier.notify(title=message.title, body=message.body, body_format=body_format)
    if accepted:
        return None
    detail = " ".join(captured.getvalue().split())[:500] or "no reason given"
    error = f"{masked_url(target.url)} did not accept the message: {scrub(detail, target.url)}"
    log.warning("%s", error)
    return error
