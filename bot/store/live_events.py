"""The live-event log: every event the desk and the chat sockets stream, kept for replay.

One table, `live_events` (created here on first use, outside `bot.store.migrations`, so it can move
into a migration script as it is): its id is the event id the desk sees in SSE `id:` lines. The
database hands it out, so ids stay unique and increasing across restarts and across several
bot-service processes, and `Last-Event-ID` can be answered by any of them from the table.

Ids also become visible in order: on PostgreSQL each insert first takes a transaction-level
advisory lock, so an event cannot commit before an earlier id (on SQLite writers are serialised
anyway). A reader that has seen id N therefore never misses an id below N that commits later,
and the hub's tailer can simply follow `id > last seen`.

Old rows are pruned (`prune`): the log is for reconnecting browsers, not an archive.
"""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, Text, func, select
from sqlalchemy.engine import Engine

metadata = MetaData()
live_events = Table(
    "live_events", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(32), nullable=False),
    Column("data", Text, nullable=False),  # JSON object
    Column("created_at", DateTime(timezone=False), nullable=False, index=True),  # UTC, naive
    sqlite_autoincrement=True,  # never reuse the id of a pruned row
)

ORDER_LOCK = 7246816  # pg_advisory_xact_lock key: event ids commit in order
CREATE_LOCK = 7246817
KEEP_ROWS = 20_000
KEEP_FOR = timedelta(days=2)


def _utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def _row(row) -> dict[str, Any]:
    return {"id": int(row.id), "kind": row.kind, "data": json.loads(row.data),
            "at": row.created_at.replace(tzinfo=timezone.utc).isoformat()}


class EventLog:
    """Appends and reads live events in the bot service's database (SQLite or PostgreSQL)."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self.postgres = engine.dialect.name == "postgresql"
        with engine.begin() as conn:
            if self.postgres:  # replicas starting together must not both create the table
                conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({CREATE_LOCK})")
            live_events.create(conn, checkfirst=True)

    def append(self, kind: str, data: dict[str, Any]) -> dict[str, Any]:
        """Stores one event; returns it with its id and time."""
        created_at = _utcnow()
        body = json.dumps(data, ensure_ascii=False, default=str)
        with self.engine.begin() as conn:
            if self.postgres:
                conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({ORDER_LOCK})")
            result = conn.execute(live_events.insert().values(kind=kind, data=body, created_at=created_at))
            event_id = int(result.inserted_primary_key[0])
        return {"id": event_id, "kind": kind, "data": data,
                "at": created_at.replace(tzinfo=timezone.utc).isoformat()}

    def after(self, last_id: int, limit: int = 500) -> list[dict[str, Any]]:
        """The oldest `limit` events newer than `last_id`, in id order (for following the log)."""
        query = select(live_events).where(live_events.c.id > last_id).order_by(live_events.c.id).limit(limit)
        with self.engine.connect() as conn:
            return [_row(row) for row in conn.execute(query)]

    def latest_after(self, last_id: int, limit: int = 500) -> list[dict[str, Any]]:
        """The newest `limit` events newer than `last_id`, in id order (for a reconnecting client:
        when more were missed, the oldest are the ones left out)."""
        query = (select(live_events).where(live_events.c.id > last_id)
                 .order_by(live_events.c.id.desc()).limit(limit))
        with self.engine.connect() as conn:
            rows = [_row(row) for row in conn.execute(query)]
        return rows[::-1]

    def last_id(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.max(live_events.c.id))).scalar() or 0)

    def prune(self, keep_rows: int = KEEP_ROWS, keep_for: timedelta = KEEP_FOR) -> int:
        """Deletes events older than `keep_for` or beyond the newest `keep_rows`; returns how many."""
        cutoff_id = self.last_id() - keep_rows
        cutoff_time = _utcnow() - keep_for
        with self.engine.begin() as conn:
            result = conn.execute(live_events.delete().where(
                (live_events.c.id <= cutoff_id) | (live_events.c.created_at < cutoff_time)))
        return result.rowcount or 0
