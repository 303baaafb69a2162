"""Migrations on SQLite and PostgreSQL (PostgreSQL skipped with the reason when unreachable).

A database the pre-Alembic store made (a real one for SQLite: tests/service/data/legacy_v3.sqlite.sql)
is adopted and upgraded with its rows; a fresh database and an upgraded one end with the same
reflected schema, the one schema.py describes; a new step with ALTERs, written here, applies to old
and fresh databases alike; a step that fails half-way changes nothing, and neither does one that
orphans rows on SQLite; processes starting at once migrate once; the steps are frozen (they import
nothing from the project) and numbered in one line.
"""
from __future__ import annotations

import ast
import shutil
import sqlite3
import threading
from contextlib import ExitStack
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Column, DateTime, Integer, MetaData, Table, inspect, text
from sqlalchemy.exc import IntegrityError

from bot.store import open_store, schema
from bot.store.db import _make_engine
from bot.store.migrations import MIGRATIONS, SCRIPTS, MigrationError, load_migrations, migrate, schema_drift
from bot.store.migrations.__main__ import main as migrations_cli
from tests.support.live_app import database_url

DIALECTS = ["sqlite", "postgresql"]
LEGACY_DUMP = Path(__file__).with_name("data") / "legacy_v3.sqlite.sql"
T0 = datetime(2026, 11, 23, 2, 0)  # naive UTC, as stored
HEAD = len(MIGRATIONS)

# The pre-Alembic runner's ledger, as it created it before any step.
LEGACY_LEDGER = Table("schema_version", MetaData(), Column("version", Integer, primary_key=True),
                      Column("applied_at", DateTime(timezone=False), nullable=False))

TICKET = {  # the columns of tickets as step 0002 made them
    "id": "TK-20261123-0001", "idempotency_key": "old-1", "session_id": "old", "customer_ref": None,
    "channel": "web", "order_number": None, "order_number_status": "unknown", "issue_type": "logistics_delay",
    "category": "logistics", "expectation": "expedite", "description": "快递一直没到", "phone": None,
    "priority": "normal", "risk_flags": "[]", "triage_reasons": "[]", "repeat_contacts": 0, "complex_case": False,
    "off_hours": False, "handoff_requested": False, "status": "new", "assignee": "lily", "created_at": T0,
    "updated_at": T0, "first_response_due": T0 + timedelta(minutes=15), "resolution_due": T0 + timedelta(hours=24),
}

ALTER_STEP = '''"""A throwaway step: ALTERs that SQLite can only do by rebuilding the table."""
import sqlalchemy as sa
from alembic import op

revision = "{NEXT}"
down_revision = "{PREV}"


def upgrade():
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("channel_detail", sa.String(32), nullable=False, server_default="widget"))
        batch.alter_column("assignee", existing_type=sa.String(64), type_=sa.String(128))
        batch.create_index("ix_tickets_assignee", ["assignee"])
    FAIL_HERE


def downgrade():
    pass
'''.replace("{NEXT}", f"{HEAD + 1:04d}").replace("{PREV}", f"{HEAD:04d}")


@pytest.fixture
def databases(request, tmp_path):
    """`databases(n)`: n fresh, empty database URLs of the dialect the test is parametrised with."""
    with ExitStack() as stack:
        def make(count: int) -> list[str]:
            return [stack.enter_context(database_url(request.param, tmp_path / f"db{i}")) for i in range(count)]
        for i in range(4):
            (tmp_path / f"db{i}").mkdir()
        yield make


def engine_for(url: str):
    return _make_engine(url)  # the engine open_store() uses (SQLite: foreign keys on)


def upgrade(url: str, location: Path = SCRIPTS) -> int:
    engine = engine_for(url)
    try:
        return migrate(engine, location)
    finally:
        engine.dispose()


def ticket_assignee(url: str) -> str:
    store = open_store(url)
    try:
        return store.get_ticket("TK-20261123-0001")["assignee"]
    finally:
        store.close()


def pre_alembic_database(url: str, version: int) -> None:
    """What the pre-Alembic runner left at `version` (its steps, frozen now as 0001..0003, built the
    same tables, which test_a_real_pre_alembic_sqlite_database_is_adopted checks), with a row per table."""
    engine = engine_for(url)
    with engine.begin() as conn:
        LEGACY_LEDGER.create(conn)
        for step in MIGRATIONS[:version]:
            step(conn)
            conn.execute(LEGACY_LEDGER.insert().values(version=step.number, applied_at=T0))
        conn.execute(text("INSERT INTO chat_messages (session_id, sender, text, created_at) "
                          "VALUES ('old', 'customer', '旧消息', :at)"), {"at": T0})
        if version >= 2:
            columns, params = ", ".join(TICKET), ", ".join(f":{name}" for name in TICKET)
            conn.execute(text(f"INSERT INTO tickets ({columns}) VALUES ({params})"), TICKET)
            conn.execute(text("INSERT INTO ticket_counters (day, last_number) VALUES ('20261123', 1)"))
            conn.execute(text("INSERT INTO ticket_events (ticket_id, actor, action, at) "
                              "VALUES ('TK-20261123-0001', 'bot', 'created', :at)"), {"at": T0})
    engine.dispose()


def reflected(url: str) -> dict:
    """The schema as the database reports it: every table, column, key and index."""
    engine = engine_for(url)
    with engine.connect() as conn:
        db = inspect(conn)
        schema = {table: {
            "columns": [(c["name"], str(c["type"]), c["nullable"], c.get("default")) for c in db.get_columns(table)],
            "primary_key": db.get_pk_constraint(table)["constrained_columns"],
            "indexes": sorted((i["name"], tuple(i["column_names"]), bool(i["unique"])) for i in db.get_indexes(table)),
            "unique": sorted((u["name"], tuple(u["column_names"])) for u in db.get_unique_constraints(table)),
            "foreign_keys": sorted((f["name"] or "", tuple(f["constrained_columns"]), f["referred_table"],
                                    tuple(f["referred_columns"])) for f in db.get_foreign_keys(table)),
        } for table in sorted(db.get_table_names())}
    engine.dispose()
    return schema


def state(url: str) -> tuple[list[str], list[int]]:
    """(alembic_version heads, steps in schema_version)."""
    engine = engine_for(url)
    with engine.connect() as conn:
        heads = [row[0] for row in conn.exec_driver_sql("SELECT version_num FROM alembic_version")]
        steps = [row[0] for row in conn.exec_driver_sql("SELECT version FROM schema_version ORDER BY version")]
    engine.dispose()
    return heads, steps


def drift(url: str) -> list:
    engine = engine_for(url)
    with engine.connect() as conn:
        found = schema_drift(conn)
    engine.dispose()
    return found


def scripts_with(tmp_path: Path, step: str | None) -> Path:
    """A copy of the project's script directory, plus `step` as the next step when given."""
    location = tmp_path / "scripts"
    shutil.copytree(SCRIPTS, location, ignore=shutil.ignore_patterns("__pycache__", "__init__.py", "__main__.py"))
    if step:
        (location / "versions" / f"{HEAD + 1:04d}_throwaway.py").write_text(step, encoding="utf-8")
    return location


# -- old databases ---------------------------------------------------------------------------------

def test_a_real_pre_alembic_sqlite_database_is_adopted(tmp_path):
    old, fresh = tmp_path / "old.sqlite3", tmp_path / "fresh.sqlite3"
    with sqlite3.connect(old) as conn:
        conn.executescript(LEGACY_DUMP.read_text(encoding="utf-8"))
    store = open_store(f"sqlite:///{old}")
    assert [m["text"] for m in store.list_messages("legacy-session")] == ["快递一直没到，已经一周了"]
    assert store.get_ticket("TK-20261123-0001")["description"] == "快递一直没到"
    assert [e["action"] for e in store.list_events("TK-20261123-0001")] == ["created"]
    assert store.get_agent("wang")["display_name"] == "小王"
    ticket, created = store.create_ticket({
        **{k: v for k, v in TICKET.items() if k not in {"id", "updated_at", "handoff_requested"}},
        "idempotency_key": "after-upgrade", "risk_flags": [], "triage_reasons": [], "created_at": T0,
    }, "UTC")
    assert created and ticket["id"] == "TK-20261123-0002"  # the day's counter carried over
    store.close()
    open_store(f"sqlite:///{fresh}").close()
    assert state(f"sqlite:///{old}") == ([MIGRATIONS[-1].revision], list(range(1, HEAD + 1)))
    assert reflected(f"sqlite:///{old}") == reflected(f"sqlite:///{fresh}")
    assert drift(f"sqlite:///{old}") == []


@pytest.mark.parametrize("databases", DIALECTS, indirect=True)
@pytest.mark.parametrize("version", [1, 2, 3])
def test_an_old_database_upgrades_with_its_rows_to_the_fresh_schema(databases, version):
    old, fresh = databases(2)
    pre_alembic_database(old, version)
    assert upgrade(old) == HEAD == upgrade(fresh)
    assert state(old) == state(fresh) == ([MIGRATIONS[-1].revision], list(range(1, HEAD + 1)))
    assert reflected(old) == reflected(fresh)
    assert drift(old) == drift(fresh) == []
    store = open_store(old)
    assert [m["text"] for m in store.list_messages("old")] == ["旧消息"]
    if version >= 2:
        assert store.get_ticket("TK-20261123-0001")["assignee"] == "lily"
        old_ticket = store.get_ticket("TK-20261123-0001")  # from before the intake: posted whole
        assert (old_ticket["intake"], old_ticket["missing_fields"], old_ticket["customer_deadline"]) == \
            ("complete", [], None)
        assert [e["action"] for e in store.list_events("TK-20261123-0001")] == ["created"]
    store.close()


@pytest.mark.parametrize("databases", DIALECTS, indirect=True)
def test_a_fresh_database_is_what_schema_py_describes_and_migrating_again_is_a_no_op(databases):
    (url,) = databases(1)
    engine = engine_for(url)
    assert migrate(engine) == HEAD
    before = state(url)
    assert migrate(engine) == HEAD and state(url) == before == ([MIGRATIONS[-1].revision], list(range(1, HEAD + 1)))
    engine.dispose()
    assert drift(url) == []
    assert {"chat_messages", "tickets", "ticket_counters", "ticket_events", "agents", "agent_sessions",
            "schema_version", "alembic_version"} <= set(reflected(url)) == {*schema.metadata.tables, "alembic_version"}


# -- new steps ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("databases", DIALECTS, indirect=True)
def test_a_new_step_alters_old_and_fresh_databases_alike(databases, tmp_path):
    old, fresh = databases(2)
    location = scripts_with(tmp_path, ALTER_STEP.replace("    FAIL_HERE\n", ""))
    pre_alembic_database(old, 3)
    assert upgrade(old, location) == HEAD + 1 == upgrade(fresh, location)
    assert state(old) == state(fresh) == ([f"{HEAD + 1:04d}"], list(range(1, HEAD + 2)))
    assert reflected(old) == reflected(fresh)
    columns = {c[0]: c for c in reflected(old)["tickets"]["columns"]}
    assert columns["channel_detail"][2] is False and "128" in columns["assignee"][1]
    engine = engine_for(old)
    with engine.begin() as conn:
        row = conn.execute(text("SELECT channel_detail, assignee FROM tickets")).one()
        assert tuple(row) == ("widget", "lily")  # the old row kept, the new column filled
        assert conn.execute(text("SELECT count(*) FROM ticket_events")).scalar() == 1
    with pytest.raises(IntegrityError), engine.begin() as conn:  # foreign keys still enforced
        conn.execute(text("INSERT INTO ticket_events (ticket_id, actor, action, at) "
                          "VALUES ('TK-NOPE', 'bot', 'created', :at)"), {"at": T0})
    engine.dispose()


@pytest.mark.parametrize("databases", DIALECTS, indirect=True)
def test_a_step_that_fails_half_way_changes_nothing(databases, tmp_path):
    (old,) = databases(1)
    pre_alembic_database(old, 3)
    before = reflected(old)
    with pytest.raises(NameError, match="FAIL_HERE"):
        upgrade(old, scripts_with(tmp_path, ALTER_STEP))
    assert reflected(old) == before  # no new column, no half-built copy of tickets, not even alembic_version
    assert upgrade(old) == HEAD  # and the real steps still adopt it
    assert ticket_assignee(old) == "lily"


def test_a_sqlite_step_that_orphans_rows_is_refused_but_old_orphans_do_not_stop_start_up(tmp_path):
    """SQLite migrates with foreign keys off (its table rebuilds need that), so migrate() checks them."""
    old = tmp_path / "old.sqlite3"
    pre_alembic_database(f"sqlite:///{old}", 3)
    with sqlite3.connect(old) as conn:  # foreign keys off by default: an orphan from some old mishap
        conn.execute("INSERT INTO ticket_events (ticket_id, actor, action, at) VALUES ('TK-GONE', 'bot', 'x', '')")
    orphaning = ALTER_STEP.replace("    FAIL_HERE\n", '    op.execute("DELETE FROM tickets")\n')
    with pytest.raises(MigrationError, match="point nowhere"):
        upgrade(f"sqlite:///{old}", scripts_with(tmp_path, orphaning))
    assert upgrade(f"sqlite:///{old}") == HEAD
    assert ticket_assignee(f"sqlite:///{old}") == "lily"


@pytest.mark.parametrize("databases", DIALECTS, indirect=True)
def test_processes_starting_at_once_migrate_once(databases):
    (url,) = databases(1)
    results, errors = [], []

    def start():
        engine = engine_for(url)
        try:
            results.append(migrate(engine))
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            engine.dispose()

    threads = [threading.Thread(target=start) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors and results == [HEAD] * 3
    assert state(url) == ([MIGRATIONS[-1].revision], list(range(1, HEAD + 1)))


@pytest.mark.parametrize("databases", ["sqlite"], indirect=True)
def test_a_database_newer_than_the_code_is_refused(databases):
    old, other = databases(2)
    pre_alembic_database(old, 3)
    engine = engine_for(old)
    with engine.begin() as conn:
        conn.execute(LEGACY_LEDGER.insert().values(version=HEAD + 1, applied_at=T0))
    with pytest.raises(MigrationError, match="newer than this code"):
        migrate(engine)
    engine = engine_for(other)
    migrate(engine)
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '0099'")
    with pytest.raises(MigrationError, match="does not know"):
        migrate(engine)


# -- the scripts ---------------------------------------------------------------------------------------

def test_the_steps_are_frozen_numbered_and_in_one_line():
    files = sorted((SCRIPTS / "versions").glob("*.py"))
    assert [m.revision for m in MIGRATIONS] == [f"{n:04d}" for n in range(1, len(files) + 1)]
    assert [Path(m.script.path).name for m in MIGRATIONS] == [f.name for f in files]
    for path in files:
        imported = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom):
                imported.add((node.module or ".").split(".")[0])
        assert imported <= {"alembic", "sqlalchemy"}, f"{path.name} imports {imported}: steps must stay frozen"


def test_a_branch_in_the_steps_is_refused(tmp_path):
    location = scripts_with(tmp_path, ALTER_STEP.replace(f'"{HEAD:04d}"', f'"{HEAD - 1:04d}"'))
    with pytest.raises(MigrationError, match="one line"):
        load_migrations(location)


def test_the_check_command_finds_schema_py_and_the_steps_agree(capsys):
    assert migrations_cli(["check"]) == 0
    assert "matches" in capsys.readouterr().out
