"""Rasa's SQLTrackerStore made cheap enough to be the default (installed by the Rasa runner).

Stock, each chat message costs Rasa 14-20 ms of CPU and 80-90 ms of wall time in the tracker store
(measured with a 30-turn conversation on the busy 2-core test machine; docs/DEPLOY.md), and all of
it blocks Rasa's only event loop: SQLAlchemy ORM objects for every stored event, a separate
count query before each save, a commit that waits for the disk. One Rasa process went from about
50 to about 7 messages per second. This keeps the stock store's table, queries and semantics and
changes how they run:

- the reads and writes run in a worker thread, so Rasa's event loop serves other conversations
  while one waits for the database (the conversation itself stays locked by Rasa's lock store);
- plain SQL rows instead of ORM objects; the count and the inserts in one transaction;
- on SQLite, one idle connection stays open, so SQLite does not checkpoint the WAL each time a
  connection closes (that cost an fsync per read and per write);
- a commit does not wait for the disk (SQLite in WAL mode: synchronous=NORMAL; PostgreSQL:
  synchronous_commit off for that transaction). A killed Rasa process loses nothing (the commit
  is done before the reply leaves); a power cut can lose the last turns of a conversation, and
  the customer is asked that question again.
"""
from __future__ import annotations

import asyncio
import json
import sqlite3
from typing import Any


def _event_filter(table, sender_id: str, all_sessions: bool):
    """Rasa's own filter (SQLTrackerStore._event_query): this sender, and unless all sessions are
    wanted, only events from the latest `session_started` on (by timestamp, as Rasa does)."""
    import sqlalchemy as sa

    condition = table.c.sender_id == sender_id
    if all_sessions:
        return condition
    session_start = (sa.select(sa.func.max(table.c.timestamp))
                     .where(table.c.sender_id == sender_id, table.c.type_name == "session_started")
                     .scalar_subquery())
    return sa.and_(condition, sa.or_(table.c.timestamp >= session_start, session_start.is_(None)))


def install_fast_sql_tracker_store() -> None:
    import sqlalchemy as sa
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.trackers import DialogueStateTracker
    from rasa.shared.nlu.constants import INTENT_NAME_KEY

    table = SQLTrackerStore.SQLEvent.__table__

    def _fast_engine(store) -> None:
        if getattr(store, "_fast_ready", False):
            return
        store._fast_ready = True
        if store.engine.dialect.name == "sqlite":
            # SQLAlchemy opens a new SQLite connection for each use; when the last connection to a
            # WAL file closes, SQLite checkpoints and truncates the WAL (an fsync every read and every
            # write: 20 ms each here). One idle connection kept open avoids that; reads still see
            # every commit (each use is a fresh connection).
            store._wal_keeper = sqlite3.connect(store.engine.url.database, check_same_thread=False)

            @sa.event.listens_for(store.engine, "connect")
            def _pragmas(dbapi_conn, _record):
                cursor = dbapi_conn.cursor()
                cursor.execute("PRAGMA busy_timeout=30000")
                cursor.execute("PRAGMA synchronous=NORMAL")  # WAL (bot.integrations.rasa_stores)
                cursor.close()

    def load_events(store, sender_id: str, all_sessions: bool) -> list[dict[str, Any]]:
        query = sa.select(table.c.data).where(_event_filter(table, sender_id, all_sessions)).order_by(table.c.id)
        with store.engine.connect() as conn:
            return [json.loads(data) for (data,) in conn.execute(query)]

    def append_events(store, sender_id: str, events: list) -> None:
        with store.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.exec_driver_sql("SET LOCAL synchronous_commit TO OFF")
            stored = conn.execute(sa.select(sa.func.count()).select_from(table).where(
                _event_filter(table, sender_id, False))).scalar() or 0
            rows = []
            for event in events[stored:]:
                data = event.as_dict()
                rows.append({"sender_id": sender_id, "type_name": event.type_name, "timestamp": data.get("timestamp"),
                             "intent_name": (data.get("parse_data") or {}).get("intent", {}).get(INTENT_NAME_KEY),
                             "action_name": data.get("name"), "data": json.dumps(data)})
            if rows:
                conn.execute(table.insert(), rows)

    async def _retrieve(self, sender_id, fetch_events_from_all_sessions):
        _fast_engine(self)
        events = await asyncio.get_running_loop().run_in_executor(
            None, load_events, self, sender_id, fetch_events_from_all_sessions)
        if self.domain and events:
            return DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)
        return None

    async def save(self, tracker) -> None:
        _fast_engine(self)
        await self.stream_events(tracker)
        await asyncio.get_running_loop().run_in_executor(
            None, append_events, self, tracker.sender_id, list(tracker.events))

    SQLTrackerStore._retrieve = _retrieve
    SQLTrackerStore.save = save
