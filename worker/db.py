"""Tables, engine and session scope. SQLite by default; the same code runs on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    DateTime,
    Engine,
    Index,
    Insert,
    Table,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, Session, SQLModel, create_engine

_READ_ONLY = "claimwatch_read_only"


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC in, timezone-aware UTC out, on SQLite (which keeps no zone) too."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _when(nullable: bool = True, index: bool = False) -> Any:
    return Field(default=None, sa_column=Column(UTCDateTime(), nullable=nullable, index=index))


class ItemRecord(SQLModel, table=True):
    """An article-to-be: a seed file or feed entry, processed once."""

    __tablename__ = "items"
    # The queue in reading order: the first item not yet tried is a lookup, not a scan.
    __table_args__ = (Index("ix_items_queue", "status", "attempts", "published", "id"),)
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(sa_column=Column(Text, unique=True, nullable=False))
    source: str = Field(index=True)
    url: str | None = Field(default=None, sa_column=Column(Text))
    path: str | None = Field(default=None, sa_column=Column(Text))
    title: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    summary: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    outlet: str | None = None
    published: datetime | None = _when()
    status: str = Field(default="pending", index=True)
    error: str | None = Field(default=None, sa_column=Column(Text))
    attempts: int = 0
    found_at: datetime | None = _when()
    processed_at: datetime | None = _when()


class ClaimRecord(SQLModel, table=True):
    __tablename__ = "claims"
    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(foreign_key="items.id", index=True)
    region: str
    metric: str
    actor: str = ""  # "" rather than NULL: a unique key over NULLs does not hold on PostgreSQL
    value: float
    unit: str
    qualifier: str
    kind: str
    claimant: str | None = None
    sentence: str = Field(sa_column=Column(Text, nullable=False))
    as_of: datetime | None = _when()
    restated: bool = False
    forecast: bool = False
    in_title: bool = False
    stands: bool = False  # the figure that stands for its article in its series


class SeriesRecord(SQLModel, table=True):
    """The standing figure of one (region, metric, actor) series."""

    __tablename__ = "series"
    __table_args__ = (UniqueConstraint("region", "metric", "actor"),)
    id: int | None = Field(default=None, primary_key=True)
    region: str
    metric: str
    actor: str = ""
    claim_id: int = Field(foreign_key="claims.id")
    value: float
    qualifier: str
    as_of: datetime | None = _when()


class ChangeRecord(SQLModel, table=True):
    __tablename__ = "changes"
    id: int | None = Field(default=None, primary_key=True)
    series_id: int = Field(foreign_key="series.id", index=True)
    region: str
    metric: str
    actor: str = ""
    old_claim_id: int = Field(foreign_key="claims.id")
    new_claim_id: int = Field(foreign_key="claims.id", unique=True)
    old_value: float
    new_value: float
    old_qualifier: str
    new_qualifier: str
    revision: bool = False
    created_at: datetime | None = _when()


class DeliveryRecord(SQLModel, table=True):
    """The outbox: one row per change and notification target, written before anything is sent.

    status: pending → sending (leased to one worker until lease_until) → sent, or back to pending
    with next_attempt_at, or failed after the last attempt.
    """

    __tablename__ = "deliveries"
    __table_args__ = (UniqueConstraint("change_id", "target"),
                      Index("ix_deliveries_last_sent", "target", "status", "sent_at"))
    id: int | None = Field(default=None, primary_key=True)
    change_id: int = Field(foreign_key="changes.id", index=True)
    target: str
    status: str = Field(default="pending", index=True)
    attempts: int = 0
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    next_attempt_at: datetime | None = _when()
    sent_at: datetime | None = _when()
    lease_until: datetime | None = _when()
    lease_token: str | None = None


class FeedRecord(SQLModel, table=True):
    """What a feed's last polls returned, for conditional GET, back-off and status."""

    __tablename__ = "feeds"
    url: str = Field(sa_column=Column(Text, primary_key=True))
    etag: str | None = None
    last_modified: str | None = None
    last_poll_at: datetime | None = _when()
    last_success_at: datetime | None = _when()
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    failures: int = 0
    next_due_at: datetime | None = _when()
    items_seen: int = 0


class LeaseRecord(SQLModel, table=True):
    """A lock with an expiry, shared by every process on every machine: held by one at a time."""

    __tablename__ = "leases"
    name: str = Field(sa_column=Column(Text, primary_key=True))
    holder: str = Field(sa_column=Column(Text, nullable=False))
    expires_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


def table_of(model: type[SQLModel]) -> Table:
    """A table model's Core table, for statements built once and run without the ORM."""
    table: Table = model.__table__  # type: ignore[attr-defined]
    return table


def insert_ignoring_duplicates(dialect: str, model: Any) -> Insert:
    """INSERT … ON CONFLICT DO NOTHING, in the dialect of the database it runs on."""
    dialect_insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement: Insert = dialect_insert(model).on_conflict_do_nothing()
    return statement


def make_engine(url: str) -> Engine:
    """An engine for `url`; SQLite gets a folder, WAL and a busy timeout for concurrent workers."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": 30})
    event.listen(engine, "connect", _sqlite_pragmas)
    event.listen(engine, "begin", _sqlite_begin)
    return engine


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    connection.isolation_level = None  # let SQLAlchemy's "begin" event issue BEGIN itself
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    # A writer takes the write lock at the start: a transaction that reads and then writes would
    # otherwise fail at once (not wait) when another process wrote in between. A reader opens no
    # transaction: each of its statements reads a consistent snapshot on its own (WAL lets it read
    # beside a writer), so reads never queue behind writes.
    if not connection.get_execution_options().get(_READ_ONLY, False):
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def create_schema(engine: Engine) -> None:
    """Bring the schema to the newest migration (creating it in an empty database)."""
    from worker.migrate import upgrade  # imported here: the migrations import this module's tables

    upgrade(engine)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session that commits when the block ends and rolls back when it raises."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


@contextmanager
def read_connection(engine: Engine) -> Iterator[Connection]:
    """A plain connection that only reads (no session, no lock): for the hottest single reads."""
    with engine.connect() as connection:
        yield connection.execution_options(**{_READ_ONLY: True})


@contextmanager
def read_scope(engine: Engine) -> Iterator[Session]:
    """A session that only reads: it commits nothing and, on SQLite, never waits for a writer
    (nor holds a transaction across its statements: use it for single queries)."""
    with Session(engine, expire_on_commit=False) as session:
        session.connection(execution_options={_READ_ONLY: True})
        yield session
