"""The Store: one engine, small methods named after what the shop does with the data.

`Store` gathers the method groups of this package: tickets (bot.store.tickets), intake changes
(bot.store.intake), finding tickets (bot.store.queries), the CSV export (bot.store.exports), the
conversation log (bot.store.conversations) and agents (bot.store.agents). `open_store(url)`
connects and migrates.
"""
from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine

from bot.private_files import private_sqlite_file
from bot.store.agents import AgentStore
from bot.store.attachments import AttachmentStore
from bot.store.canned import CannedReplyStore
from bot.store.conversations import ConversationStore
from bot.store.exports import TicketExport
from bot.store.intake import IntakeStore
from bot.store.migrations import migrate
from bot.store.queries import TicketQueries
from bot.store.tickets import TicketStore

log = logging.getLogger(__name__)


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


class Store(TicketStore, IntakeStore, TicketQueries, TicketExport, ConversationStore, AgentStore, AttachmentStore,
            CannedReplyStore):
    """The database of the bot service; its methods come from the mixins above."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self._message_listeners: list[Callable[[str, dict], None]] = []

    def close(self) -> None:
        self.engine.dispose()

    def ping(self) -> bool:
        with self.engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
        return True

    def probe_write(self, timeout: float) -> None:
        """Raises unless the database takes a write now: a write that is rolled back (SQLite:
        the header's user_version set to itself, waiting at most `timeout` s for another writer's
        lock; read-only files fail here, a full disk only when pages are written for real)."""
        if self.engine.dialect.name != "sqlite":
            with self.engine.connect() as conn:
                if conn.exec_driver_sql("SHOW transaction_read_only").scalar() == "on":
                    raise RuntimeError("the database is read-only")
            return
        raw = self.engine.raw_connection()
        try:
            cursor = raw.cursor()
            cursor.execute(f"PRAGMA busy_timeout={int(timeout * 1000)}")
            version = int(cursor.execute("PRAGMA user_version").fetchone()[0])
            cursor.execute("BEGIN IMMEDIATE")
            try:
                cursor.execute(f"PRAGMA user_version={version}")
            finally:
                cursor.execute("ROLLBACK")
        finally:
            raw.close()


def open_store(database_url: str) -> Store:
    engine = _make_engine(database_url)
    migrate(engine)
    return Store(engine)
