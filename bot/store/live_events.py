"""The live-event log: every event the desk and the chat sockets stream, kept for replay.

One table, `live_events` (created here on first use, outside `bot.store.migrations`, so it can move
into a migration script as it is): its id is the event id the desk sees in SSE `id:` lines. The
database hands it out, so ids stay unique and increasing across restarts and across several
bot-service processes, and `Last-Event-ID` can be answered by any of them from the table.

Ids also become visible in order: on PostgreSQL each insert first takes a transaction-level
advisory lock, so an event cannot commit before an earlier id (on SQLite writers are serialised
anyway). A reader that has seen id N therefore never misses an id below N that commits later,
and the hub's tailer can simply follow `id > last seen`.

Every chat message and ticket change is an event, so appends must be cheap: the log keeps one
database connection of its own (SQLAlchemy's per-call overhead and, on SQLite, a new connection
per call cost 2-4 ms of CPU per event; one kept connection costs 0.03-0.13 ms, bench notes in
docs/DEPLOY.md), and an append does not wait for the disk (PostgreSQL: synchronous_commit off for
that transaction; SQLite in WAL mode: synchronous=NORMAL): a power cut may lose the last events of
the live view, never a ticket or a message, which live in their own tables. Old rows are pruned
(`prune`): the log is for reconnecting browsers, not an archive.
"""
from __future__ import annotations

import json
import logging
import sqlite3
import threading
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, Text
from sqlalchemy.engine import Engine

log = logging.getLogger(__name__)
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
COLUMNS = "id, kind, data, created_at"


def _utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def _iso(moment: datetime | str) -> str:
    if isinstance(moment, str):  # SQLite gives back the text it was given
        moment = datetime.fromisoformat(moment)
    return moment.replace(tzinfo=timezone.utc).isoformat()


class EventLog:
    """Appends and reads live events in the bot service's database (SQLite or PostgreSQL)."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self.postgres = engine.dialect.name == "postgresql"
        self._lock = threading.Lock()
        self._conn = None
        # (channel, payload) of the PostgreSQL NOTIFY each append sends (bot.integrations.event_bus).
        self.notify: tuple[str, str] | None = None
        with engine.begin() as conn:
            if self.postgres:  # replicas starting together must not both create the table
                conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({CREATE_LOCK})")
            live_events.create(conn, checkfirst=True)

    # -- the kept connection --------------------------------------------------------------
    def _connect(self):
        if self.postgres:
            pooled = self.engine.raw_connection()
            pooled.detach()  # ours for good: the pool opens another one for everybody else
            return pooled.dbapi_connection
        path = self.engine.url.database or ":memory:"
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
        conn.execute("PRAGMA busy_timeout=30000")
        conn.execute("PRAGMA synchronous=NORMAL")
        return conn

    def _run(self, work):
        """Runs `work(cursor)` on the kept connection (one caller at a time); reconnects once
        after a broken connection (a restarted PostgreSQL)."""
        with self._lock:
            for attempt in (1, 2):
                if self._conn is None:
                    self._conn = self._connect()
                try:
                    cursor = self._conn.cursor()
                    try:
                        result = work(cursor)
                        if self.postgres:
                            self._conn.commit()
                        return result
                    finally:
                        cursor.close()
                except Exception as exc:
                    broken = self._conn
                    self._conn = None
                    try:
                        if self.postgres:
                            broken.rollback()
                        broken.close()
                    except Exception:  # noqa: BLE001 - it is broken already
                        pass
                    if attempt == 2 or not self._is_disconnect(exc):
                        raise
        raise AssertionError("unreachable")

    def _is_disconnect(self, exc: Exception) -> bool:
        if not self.postgres:
            return False
        import psycopg2

        return isinstance(exc, psycopg2.OperationalError | psycopg2.InterfaceError)

    @property
    def _mark(self) -> str:
        return "%s" if self.postgres else "?"

    # -- the log ---------------------------------------------------------------------------
    def append(self, kind: str, data: dict[str, Any]) -> dict[str, Any]:
        """Stores one event; returns it with its id and time."""
        created_at = _utcnow()
        body = json.dumps(data, ensure_ascii=False, default=str)
        m = self._mark

        def insert(cursor) -> int:
            if self.postgres:
                ring = "SELECT pg_notify(%s, %s); " if self.notify else ""  # delivered at commit
                cursor.execute(f"SELECT pg_advisory_xact_lock({ORDER_LOCK}); SET LOCAL synchronous_commit TO OFF; "
                               f"{ring}INSERT INTO live_events (kind, data, created_at) VALUES ({m}, {m}, {m}) "
                               "RETURNING id", (*(self.notify or ()), kind, body, created_at))
                return int(cursor.fetchone()[0])
            cursor.execute(f"INSERT INTO live_events (kind, data, created_at) VALUES ({m}, {m}, {m})",
                           (kind, body, created_at.isoformat(sep=" ")))
            return int(cursor.lastrowid)

        event_id = self._run(insert)
        return {"id": event_id, "kind": kind, "data": data, "at": _iso(created_at)}

    def _select(self, where: str, params: tuple, order: str, limit: int) -> list[dict[str, Any]]:
        def read(cursor) -> list:
            cursor.execute(f"SELECT {COLUMNS} FROM live_events WHERE {where} ORDER BY id {order} LIMIT {int(limit)}",
                           params)
            return cursor.fetchall()

        return [{"id": int(row[0]), "kind": row[1], "data": json.loads(row[2]), "at": _iso(row[3])}
                for row in self._run(read)]

    def after(self, last_id: int, limit: int = 500) -> list[dict[str, Any]]:
        """The oldest `limit` events newer than `last_id`, in id order (for following the log)."""
        return self._select(f"id > {self._mark}", (last_id,), "ASC", limit)

    def latest_after(self, last_id: int, limit: int = 500) -> list[dict[str, Any]]:
        """The newest `limit` events newer than `last_id`, in id order (for a reconnecting client:
        when more were missed, the oldest are the ones left out)."""
        return self._select(f"id > {self._mark}", (last_id,), "DESC", limit)[::-1]

    def last_id(self) -> int:
        def read(cursor) -> int:
            cursor.execute("SELECT max(id) FROM live_events")
            return int(cursor.fetchone()[0] or 0)

        return self._run(read)

    def prune(self, keep_rows: int = KEEP_ROWS, keep_for: timedelta = KEEP_FOR) -> int:
        """Deletes events older than `keep_for` or beyond the newest `keep_rows`; returns how many."""
        cutoff_id = self.last_id() - keep_rows
        cutoff = _utcnow() - keep_for
        m = self._mark

        def delete(cursor) -> int:
            cursor.execute(f"DELETE FROM live_events WHERE id <= {m} OR created_at < {m}",
                           (cutoff_id, cutoff if self.postgres else cutoff.isoformat(sep=" ")))
            return cursor.rowcount or 0

        return self._run(delete)

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
