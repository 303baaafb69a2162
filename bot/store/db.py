"""The Store: one engine, small methods named after what the shop does with the data."""
from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import create_engine, event, select
from sqlalchemy.engine import Engine

from bot.private_files import private_sqlite_file
from bot.store import schema
from bot.store.agents import AgentStore
from bot.store.migrations import migrate
from bot.store.tickets import TicketStore

log = logging.getLogger(__name__)


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def _make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            private_sqlite_file(path)  # unmasked chat messages: 0600 in a 0700 directory
        # SQLAlchemy 1.4 gives a file database a NullPool: a fresh connection per use, so every read
        # sees the latest commit (a pooled pysqlite connection can keep an old WAL snapshot alive).
        # The journal mode is stored in the file, so it is set once here; each new connection only
        # sets its cheap per-connection pragmas (setting WAL on every connect cost 9 % of the bot
        # service's CPU under load, docs/BENCHMARKS.md).
        engine = create_engine(url, future=True, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        if path and path != ":memory:":
            with engine.connect() as conn:  # WAL: readers never block the writer
                conn.exec_driver_sql("PRAGMA journal_mode=WAL")
        return engine
    return create_engine(url, future=True, pool_pre_ping=True)


class Store(TicketStore, AgentStore):
    """The database of the bot service; ticket and agent methods come from the mixins."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self._message_listeners: list[Callable[[str, dict], None]] = []

    def on_message(self, listener: Callable[[str, dict], None]) -> None:
        """Calls `listener(session_id, message)` after each `append_message` (the desk's live view
        of customer and bot messages); a failing listener is logged, never the caller's problem."""
        self._message_listeners.append(listener)

    # -- conversation log -------------------------------------------------------------------
    def append_message(self, session_id: str, sender: str, text: str,
                       buttons: list[dict] | None = None, meta: dict[str, Any] | None = None) -> int:
        return self.append_messages(session_id, [(sender, text, buttons, meta)])[0]

    def append_messages(self, session_id: str,
                        items: list[tuple[str, str, list[dict] | None, dict[str, Any] | None]]) -> list[int]:
        """Stores (sender, text, buttons, meta) messages in one transaction; returns their ids."""
        created_at = utcnow()
        ids: list[int] = []
        with self.engine.begin() as conn:
            for sender, text, buttons, meta in items:
                result = conn.execute(schema.chat_messages.insert().values(
                    session_id=session_id, sender=sender, text=text,
                    buttons=json.dumps(buttons, ensure_ascii=False) if buttons else None,
                    meta=json.dumps(meta, ensure_ascii=False) if meta else None,
                    created_at=created_at))
                ids.append(int(result.inserted_primary_key[0]))
        for message_id, (sender, text, buttons, meta) in zip(ids, items, strict=True):
            if not self._message_listeners:
                break
            message = {"id": message_id, "sender": sender, "text": text, "buttons": buttons or [], "meta": meta or {},
                       "created_at": created_at.replace(tzinfo=timezone.utc).isoformat()}
            for listener in self._message_listeners:
                try:
                    listener(session_id, message)
                except Exception:  # noqa: BLE001 - a live view must never lose a customer's message
                    log.exception("message listener failed")
        return ids

    def list_messages(self, session_id: str, after_id: int = 0, limit: int = 500) -> list[dict]:
        table = schema.chat_messages
        query = (select(table).where(table.c.session_id == session_id, table.c.id > after_id)
                 .order_by(table.c.id).limit(limit))
        with self.engine.connect() as conn:
            rows = conn.execute(query).mappings().all()
        return [{
            "id": row["id"], "sender": row["sender"], "text": row["text"],
            "buttons": json.loads(row["buttons"]) if row["buttons"] else [],
            "meta": json.loads(row["meta"]) if row["meta"] else {},
            "created_at": row["created_at"].replace(tzinfo=timezone.utc).isoformat(),
        } for row in rows]

    def close(self) -> None:
        self.engine.dispose()

    def ping(self) -> bool:
        with self.engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
        return True


def open_store(database_url: str) -> Store:
    engine = _make_engine(database_url)
    migrate(engine)
    return Store(engine)
