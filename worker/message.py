"""What an alert says, pure: the title, a body in Markdown or plain text, and per-target templates.

Text that comes from articles (sentences, outlets, titles, links) is untrusted: it is flattened to
one line, shortened, stripped of control and bidi characters, and escaped for the body's format,
so that a headline can neither fake structure nor ping a channel (`@everyone`, `<!here>`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any
from urllib.parse import quote, urlsplit

from jinja2 import StrictUndefined, Template, TemplateError, TemplateSyntaxError
from jinja2.sandbox import SandboxedEnvironment

MAX_QUOTE = 400  # characters of an article's sentence in a message
_QUALIFIER_WORDS = {"min": "more than ", "max": "up to ", "approx": "about ", "exact": ""}
_INVISIBLE = re.compile(r"[\x00-\x1f\x7f\u00ad\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]+")
_MENTION = re.compile(r"(?<=[@<])(?=[\w!#&@])")  # after @ or < that could start a mention
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~=$])")
ZERO_WIDTH_SPACE = "\u200b"


@dataclass(frozen=True)
class Side:
    """One figure of a change, with its sentence and source."""

    value: float
    qualifier: str
    sentence: str
    title: str
    outlet: str | None
    url: str | None
    published: datetime | None


@dataclass(frozen=True)
class Alert:
    region: str
    metric: str
    actor: str | None
    old: Side
    new: Side
    revision: bool


@dataclass(frozen=True)
class Message:
    title: str
    body: str
    markdown: bool  # False: plain text


def format_value(value: float, qualifier: str) -> str:
    number = f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}".rstrip("0")
    return _QUALIFIER_WORDS.get(qualifier, "") + number


def format_difference(old: float, new: float) -> str:
    """'+10, +12%': the change in the metric's unit and, when the old figure is not 0, in percent."""
    diff = new - old
    amount = format_value(abs(diff), "exact")
    text = ("+" if diff >= 0 else "-") + amount
    if old:
        percent = diff * 100 / abs(old)
        decimals = 0 if abs(percent) >= 10 else 1 if abs(percent) >= 1 else 2
        shown = f"{abs(percent):.{decimals}f}"
        shown = shown.rstrip("0").rstrip(".") if "." in shown else shown
        text += f", {'+' if percent >= 0 else '-'}{shown}%"
    return text


def alert_title(alert: Alert) -> str:
    """`Kursk · settlements · Ukraine: 82 → 92 (+10, +12%)`; region and actor come from the watchlist."""
    names = " · ".join(p for p in (alert.region, alert.metric, alert.actor) if p)
    old = format_value(alert.old.value, alert.old.qualifier)
    new = format_value(alert.new.value, alert.new.qualifier)
    extra = format_difference(alert.old.value, alert.new.value)
    return f"{names}: {old} → {new} ({extra}{', revised down' if alert.revision else ''})"


def clean(text: str | None, limit: int = MAX_QUOTE) -> str:
    """Untrusted text on one line, without invisible characters, at most `limit` characters."""
    flat = " ".join(_INVISIBLE.sub(" ", text or "").split())
    return flat if len(flat) <= limit else flat[:limit - 1].rstrip() + "…"


def escape(text: str | None, markdown: bool, limit: int = MAX_QUOTE) -> str:
    """Untrusted text made inert: mentions broken with a zero-width space, Markdown escaped."""
    flat = clean(text, limit)
    if markdown:
        flat = _MARKDOWN_SPECIAL.sub(r"\\\1", flat)
    return _MENTION.sub(ZERO_WIDTH_SPACE, flat)


def safe_link(url: str | None) -> str | None:
    """An http(s) URL with the characters that could break out of a Markdown link encoded."""
    if not url or urlsplit(url).scheme.lower() not in ("http", "https"):
        return None
    return quote(clean(url, 2000), safe=":/?#@!$&'*+,;=%~-._")


def _source(side: Side, markdown: bool) -> str:
    when = side.published.date().isoformat() if side.published else "undated"
    name = escape(side.outlet or side.title or "unknown source", markdown, 120)
    link = safe_link(side.url)
    if markdown:
        return f"[{name}]({link}), {when}" if link else f"{name}, {when}"
    return f"{name}, {when}" + (f": {link}" if link else "")


def alert_body(alert: Alert, markdown: bool) -> str:
    """The heading, the new sentence quoted with its source, then the previous figure and its source."""
    before = format_value(alert.old.value, alert.old.qualifier)
    if markdown:
        return "\n".join([
            f"**{escape(alert_title(alert), True)}**", "",
            f"> {escape(alert.new.sentence, True)}", "",
            _source(alert.new, True), "",
            f"Before: {escape(before, True)}, {_source(alert.old, True)}", "",
            f"> {escape(alert.old.sentence, True)}"])
    return "\n".join([
        alert_title(alert),
        f"“{escape(alert.new.sentence, False)}”",
        f"— {_source(alert.new, False)}",
        f"Before: {before}, {_source(alert.old, False)}",
        f"“{escape(alert.old.sentence, False)}”"])


def format_message(alerts: Sequence[Alert], markdown: bool, title_template: str | None = None,
                   body_template: str | None = None) -> Message:
    """One message for one or more alerts (a digest): templates where the target gives them."""
    # Built only for templates: escaping every field of a long digest is most of this call's cost.
    templated = title_template is not None or body_template is not None
    context = template_context(alerts, markdown) if templated else {}
    if title_template is not None:
        title = clean(_compile(title_template).render(context), 250)
    else:
        title = alert_title(alerts[0]) + (f" (+{len(alerts) - 1} more)" if len(alerts) > 1 else "")
    if body_template is not None:
        body = _compile(body_template).render(context)
    else:
        body = "\n\n".join(alert_body(a, markdown) for a in alerts)
    return Message(title, body, markdown)


def template_context(alerts: Sequence[Alert], markdown: bool) -> dict[str, Any]:
    """What a template sees: `alerts`, `alert` (the first) and `count`; every string is escaped."""
    items = [_alert_fields(a, markdown) for a in alerts]
    return {"alerts": items, "alert": items[0], "count": len(items)}


def _alert_fields(alert: Alert, markdown: bool) -> dict[str, Any]:
    def side(s: Side) -> dict[str, Any]:
        return {"figure": format_value(s.value, s.qualifier), "value": s.value,
                "sentence": escape(s.sentence, markdown), "title": escape(s.title, markdown, 200),
                "outlet": escape(s.outlet or "", markdown, 120), "url": safe_link(s.url) or "",
                "date": s.published.date().isoformat() if s.published else ""}

    return {"title": escape(alert_title(alert), markdown), "region": escape(alert.region, markdown),
            "metric": escape(alert.metric, markdown), "actor": escape(alert.actor or "", markdown),
            "difference": format_difference(alert.old.value, alert.new.value),
            "revision": alert.revision, "old": side(alert.old), "new": side(alert.new)}


_ENVIRONMENT = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False)


@lru_cache(maxsize=64)
def _compile(source: str) -> Template:
    return _ENVIRONMENT.from_string(source)


def check_template(source: str) -> None:
    """Compile a template and render it for a sample alert; ValueError says what is wrong."""
    try:
        template = _compile(source)
    except TemplateSyntaxError as exc:
        raise ValueError(f"template error on its line {exc.lineno}: {exc.message}") from None
    try:
        template.render(template_context([SAMPLE_ALERT], markdown=False))
    except TemplateError as exc:
        raise ValueError(f"template cannot be rendered: {exc.message}") from None


def _sample_side(value: float, day: int) -> Side:
    return Side(value, "exact", f"Forces now control {value:.0f} settlements in the region.",
                "Sample article", "Sample Wire", "https://example.org/sample",
                datetime(2024, 8, day, tzinfo=UTC))


SAMPLE_ALERT = Alert("Kursk", "settlements", "Ukraine", _sample_side(82, 15), _sample_side(92, 20), False)
