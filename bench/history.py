"""Scenario 4, history lookups: the change check with 1,000,000 stored claims against 1,000.

For SQLite and PostgreSQL, two databases are filled with synthetic history (items, claims and the
standing figure of each series, written in bulk: a COPY or one executemany). Then new articles,
each with claims on existing series, are recorded the way a worker records them
(`pipeline.record_outcome`: store the article and its claims, find the items whose turn it is,
check their series, queue alerts), taking turns on the small and the large database so that the
machine's noise falls on both alike. The ratio is of the median time per article.
"""

from __future__ import annotations

import os
import random
import statistics
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, text
from sqlmodel import select

from bench.child import Child
from bench.contenders import pipeline_context
from bench.report import Row, peak_rss_mb
from worker import pipeline, store
from worker.article import Article
from worker.claims import Claim
from worker.db import ItemRecord, session_scope
from worker.metrics import BUILTIN_METRICS

POSTGRES = os.environ.get("CLAIMWATCH_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REGIONS = 300
ACTORS = ("", "Ukraine", "Russia")
CLAIMS_PER_ITEM = 5
NEW_CLAIMS = 4  # claims per measured article, each on an existing series
LIMIT = 2.0
START = datetime(2020, 1, 1, tzinfo=UTC)
ITEM_COLUMNS = ("id", "key", "source", "url", "title", "summary", "published", "status", "attempts",
                "found_at", "processed_at")
CLAIM_COLUMNS = ("id", "item_id", "region", "metric", "actor", "value", "unit", "qualifier", "kind",
                 "sentence", "as_of", "restated", "forecast", "in_title", "stands")
SERIES_COLUMNS = ("id", "region", "metric", "actor", "claim_id", "value", "qualifier", "as_of")


def synthetic(claims: int, seed: int = 7) -> dict[str, list[tuple[Any, ...]]]:
    """Rows of items, claims and series: `claims` figures spread over regions, metrics, actors."""
    rng = random.Random(seed)
    metrics = list(BUILTIN_METRICS)
    items, rows, standing = [], [], {}
    for item_id in range(1, claims // CLAIMS_PER_ITEM + 2):
        when = START + timedelta(minutes=item_id)
        items.append((item_id, f"feed:bench#{item_id}", "bench", f"https://news.example/{item_id}",
                      f"Report {item_id}", "", when, "done", 1, when, when))
    for claim_id in range(1, claims + 1):
        item_id = (claim_id - 1) // CLAIMS_PER_ITEM + 1
        series = (f"Region {rng.randrange(REGIONS):03d}", rng.choice(metrics), rng.choice(ACTORS))
        value = float(rng.randint(1, 50_000))
        when = items[item_id - 1][6]
        rows.append((claim_id, item_id, *series, value, "count", "exact", "total",
                     f"Officials said {value:.0f} in {series[0]}.", when, False, False, False, True))
        standing[series] = (claim_id, value, when)
    series_rows = [(i, *key, claim_id, value, "exact", when)
                   for i, (key, (claim_id, value, when)) in enumerate(standing.items(), start=1)]
    return {"items": items, "claims": rows, "series": series_rows}


def _sqlite_value(value: Any) -> Any:
    # SQLAlchemy stores SQLite datetimes as this text; the bulk load must write what it reads.
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f") if isinstance(value, datetime) else value


def load(engine: Engine, data: dict[str, list[tuple[Any, ...]]]) -> None:
    """Write the synthetic rows in bulk, as fast as each database takes them."""
    tables = (("items", ITEM_COLUMNS), ("claims", CLAIM_COLUMNS), ("series", SERIES_COLUMNS))
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        if engine.dialect.name == "sqlite":
            cursor.execute("BEGIN")  # the driver runs in autocommit mode (see worker.db)
        for table, columns in tables:
            names = ", ".join(f'"{c}"' for c in columns)
            if engine.dialect.name == "postgresql":
                with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                    for row in data[table]:
                        copy.write_row(row)
                cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                               f"(SELECT max(id) FROM {table}))")
            else:
                marks = ", ".join("?" for _ in columns)
                cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})",
                                   [[_sqlite_value(v) for v in row] for row in data[table]])
        if engine.dialect.name == "postgresql":
            cursor.execute("ANALYZE")  # what autovacuum does after a load this size
        raw.commit()
    finally:
        raw.close()


class History:
    """One database filled with `claims` synthetic claims, and new articles recorded on it."""

    def __init__(self, url: str, claims: int) -> None:
        self.ctx = pipeline_context([], url)
        data = synthetic(claims)
        started = time.perf_counter()
        load(self.ctx.engine, data)
        self.load_seconds = time.perf_counter() - started
        self.series = [row[1:4] for row in data["series"]]
        self.rng = random.Random(claims)
        self.next_item = len(data["items"]) + 1

    def record(self, count: int) -> list[float]:
        """Record `count` new articles; the seconds each took."""
        times = []
        for _ in range(count):
            item_id, article, claims = self._new_article()
            started = time.perf_counter()
            changes = pipeline.record_outcome(self.ctx, item_id, article, claims)
            times.append(time.perf_counter() - started)
            if changes is None:
                raise RuntimeError(f"item {item_id} was not pending")
        return times

    def _new_article(self) -> tuple[int, Article, list[Claim]]:
        key = f"feed:bench#new-{self.next_item}-{uuid.uuid4().hex[:8]}"
        self.next_item += 1
        published = START + timedelta(days=4000, minutes=self.next_item)
        with session_scope(self.ctx.engine) as session:
            store.add_items(session, [store.NewItem(key=key, source="bench", published=published)])
            item_id = session.exec(select(ItemRecord.id).where(ItemRecord.key == key)).one()
        assert item_id is not None
        claims = [Claim(region=r, metric=m, value=float(self.rng.randint(50_001, 90_000)), unit="count",
                        qualifier="exact", kind="total", actor=a or None, sentence=f"{r}: new figure.")
                  for r, m, a in self.rng.sample(self.series, NEW_CLAIMS)]
        article = Article(key=key, title="New report", text=" ".join(c.sentence for c in claims),
                          url=None, published=published, outlet=None, source="bench")
        return item_id, article, claims

    def info(self) -> dict[str, Any]:
        return {"load_seconds": self.load_seconds, "series": len(self.series), "rss": peak_rss_mb()}

    def close(self) -> None:
        self.ctx.client.close()
        self.ctx.engine.dispose()


@contextmanager
def postgres_schema() -> Iterator[str]:
    """A schema of this run's own on the machine's PostgreSQL, dropped afterwards."""
    schema = f"cw_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        yield f"{POSTGRES}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def run(folder: Path, small: int, large: int, articles: int, block: int = 20) -> list[Row]:
    rows = []
    with postgres_schema() as small_pg, postgres_schema() as large_pg:
        urls = {"sqlite": (f"sqlite:///{folder}/history-small.db", f"sqlite:///{folder}/history-large.db"),
                "postgresql": (small_pg, large_pg)}
        for backend, (small_url, large_url) in urls.items():
            with Child(History, small_url, small) as few, Child(History, large_url, large) as many:
                times: dict[str, list[float]] = {"few": [], "many": []}
                for _ in range(articles // block):
                    times["few"] += few.call("record", block)
                    times["many"] += many.call("record", block)
                rows += _rows(backend, small, large, times, few.call("info"), many.call("info"))
    return rows


def _rows(backend: str, small: int, large: int, times: dict[str, list[float]],
          few: dict[str, Any], many: dict[str, Any]) -> list[Row]:
    def row(name: str, claims: int, info: dict[str, Any]) -> Row:
        median = statistics.median(times[name])
        return Row(f"4 change check, {backend}, {claims:,} claims stored", len(times[name]),
                   sum(times[name]), info["rss"], baseline=f"median at {small:,}",
                   notes={"median_ms_per_article": median * 1000, "claims_per_article": NEW_CLAIMS,
                          "series": info["series"], "bulk_load_seconds": info["load_seconds"]})

    base, big = row("few", small, few), row("many", large, many)
    base.judge(ratio=1.0, target="baseline")
    big.judge(ratio=big.notes["median_ms_per_article"] / base.notes["median_ms_per_article"],
              limit=LIMIT, target=f"median <= {LIMIT} x with {small:,}")
    return [base, big]
