"""Versioned schema migrations. Append a function; never edit one that has shipped.

Each migration receives a connection inside a transaction and brings the schema from version
N-1 to N. `migrate()` applies the missing ones in order and records them in `schema_version`.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone

from sqlalchemy import inspect
from sqlalchemy.engine import Connection, Engine

from bot.store import schema


def _0001_chat_log(conn: Connection) -> None:
    schema.chat_messages.create(conn, checkfirst=True)


def _0002_tickets(conn: Connection) -> None:
    for table in (schema.tickets, schema.ticket_counters, schema.ticket_events):
        table.create(conn, checkfirst=True)


def _0003_agents(conn: Connection) -> None:
    for table in (schema.agents, schema.agent_sessions):
        table.create(conn, checkfirst=True)


def _0004_login_failures(conn: Connection) -> None:
    schema.login_failures.create(conn, checkfirst=True)


MIGRATIONS: list[Callable[[Connection], None]] = [
    _0001_chat_log,
    _0002_tickets,
    _0003_agents,
    _0004_login_failures,
]


def current_version(conn: Connection) -> int:
    if not inspect(conn).has_table("schema_version"):
        return 0
    row = conn.execute(schema.schema_version.select().order_by(schema.schema_version.c.version.desc())).first()
    return row.version if row else 0


def migrate(engine: Engine) -> int:
    """Applies pending migrations; returns the resulting version."""
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # Two processes starting at once (bot service replicas) must not both create tables.
            conn.exec_driver_sql("SELECT pg_advisory_xact_lock(7246815)")
        schema.schema_version.create(conn, checkfirst=True)
        version = current_version(conn)
        for number, step in enumerate(MIGRATIONS, start=1):
            if number <= version:
                continue
            step(conn)
            conn.execute(schema.schema_version.insert().values(
                version=number, applied_at=datetime.now(timezone.utc).replace(tzinfo=None)))
            version = number
    return version
