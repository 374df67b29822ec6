"""Locks with an expiry, kept in the database so that every worker on every machine sees them.

A lease is taken by one holder at a time and lapses on its own when the holder dies (a worker
killed mid-task), so nothing stays locked forever. The database is the one store every
deployment has (the embedded broker has no Redis), and both statements used here are atomic
on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from sqlalchemy import Engine, delete, update
from sqlmodel import col

from worker.db import LeaseRecord, insert_ignoring_duplicates, session_scope, utcnow


def acquire(engine: Engine, name: str, holder: str, ttl: timedelta) -> bool:
    """Take the lease `name` for `ttl` unless someone else holds it unexpired."""
    now = utcnow()
    row = {"name": name, "holder": holder, "expires_at": now + ttl}
    with session_scope(engine) as session:
        # RETURNING, not rowcount: psycopg reports -1 as the rowcount of an upsert
        insert = insert_ignoring_duplicates(session.get_bind().dialect.name, LeaseRecord).values(row)
        if session.execute(insert.returning(col(LeaseRecord.name))).first() is not None:
            return True
        lapsed = (update(LeaseRecord)
                  .where(col(LeaseRecord.name) == name, col(LeaseRecord.expires_at) <= now)
                  .values(holder=holder, expires_at=now + ttl))
        return session.execute(lapsed.returning(col(LeaseRecord.name))).first() is not None


def release(engine: Engine, name: str, holder: str) -> None:
    """Give the lease back, if this holder still has it (it may have lapsed and moved on)."""
    with session_scope(engine) as session:
        session.execute(delete(LeaseRecord).where(col(LeaseRecord.name) == name,
                                                  col(LeaseRecord.holder) == holder))


@contextmanager
def held(engine: Engine, name: str, holder: str, ttl: timedelta) -> Iterator[bool]:
    """`with held(...) as mine:` runs the block either way; `mine` says whether the lease is ours."""
    mine = acquire(engine, name, holder, ttl)
    try:
        yield mine
    finally:
        if mine:
            release(engine, name, holder)
