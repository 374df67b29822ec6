"""Schema migrations on SQLite and PostgreSQL: new databases, old databases, and the command."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlmodel import SQLModel, select

from tests.test_cli import claimwatch
from worker import outbox
from worker.db import ClaimRecord, create_schema, make_engine, session_scope
from worker.migrate import current_revision, upgrade

HEAD = "0004"  # the newest revision
OLD_ROWS = [
    "INSERT INTO items (id, key, source, title, summary, status, attempts) "
    "VALUES (1, 'seed:a', 'seeds', 'Kursk report', '', 'done', 0)",
    "INSERT INTO claims (id, item_id, region, metric, actor, value, unit, qualifier, kind, sentence, "
    "restated, forecast, in_title, stands) VALUES (1, 1, 'Kursk', 'settlements', 'Ukraine', 80, 'count', "
    "'min', 'total', 'more than 80 settlements', false, false, false, true), (2, 1, 'Kursk', "
    "'settlements', 'Ukraine', 92, 'count', 'exact', 'total', '92 settlements', false, false, false, true)",
    "INSERT INTO series (id, region, metric, actor, claim_id, value, qualifier) "
    "VALUES (1, 'Kursk', 'settlements', 'Ukraine', 2, 92, 'exact')",
    "INSERT INTO changes (id, series_id, region, metric, actor, old_claim_id, new_claim_id, old_value, "
    "new_value, old_qualifier, new_qualifier, revision) "
    "VALUES (1, 1, 'Kursk', 'settlements', 'Ukraine', 1, 2, 80, 92, 'min', 'exact', false)",
    "INSERT INTO deliveries (id, change_id, target, status, attempts) VALUES (1, 1, 'console', 'pending', 0)",
]


def test_a_new_database_matches_the_models(database_url: str) -> None:
    engine = make_engine(database_url)
    create_schema(engine)
    with engine.connect() as connection:
        assert current_revision(connection) == HEAD
        context = MigrationContext.configure(connection, opts={"compare_type": False})
        assert compare_metadata(context, SQLModel.metadata) == []
    engine.dispose()


def test_a_database_of_the_first_release_upgrades_with_its_claims(database_url: str) -> None:
    engine = make_engine(database_url)
    assert upgrade(engine, "0001") == (None, "0001")
    with engine.begin() as connection:
        for statement in OLD_ROWS:
            connection.execute(text(statement))
    create_schema(engine)  # what every command does on opening the database
    with session_scope(engine) as session:
        claims = session.exec(select(ClaimRecord).order_by(ClaimRecord.id)).all()  # type: ignore[arg-type]
        assert [(c.region, c.value, c.qualifier, c.sentence) for c in claims] == [
            ("Kursk", 80, "min", "more than 80 settlements"), ("Kursk", 92, "exact", "92 settlements")]
        [row] = outbox.unsent(session)
        assert row.status == "pending" and row.lease_until is None
    assert inspect(engine).has_table("leases")
    engine.dispose()


def test_a_database_made_before_migrations_existed_is_adopted(database_url: str) -> None:
    engine = make_engine(database_url)
    upgrade(engine, "0001")
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE alembic_version"))
        connection.execute(text(OLD_ROWS[0]))
    assert upgrade(engine) == (None, HEAD)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT title FROM items")).scalar_one() == "Kursk report"
    engine.dispose()


def test_db_upgrade_command_says_where_the_schema_went(write_watchlist: Callable[..., Path],
                                                       tmp_path: Path) -> None:
    config = write_watchlist()
    first = claimwatch("db", "upgrade", "--config", str(config), cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert f"from (empty) to {HEAD}" in first.stdout
    again = claimwatch("db", "upgrade", "--config", str(config), cwd=tmp_path)
    assert f"already at {HEAD}" in again.stdout
