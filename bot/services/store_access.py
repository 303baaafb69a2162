"""Database work off the event loop, bounded in time, and chat messages that survive a database
that cannot write (issue 13).

- `run(fn, …)` calls a store method in a worker thread and waits at most STORE_TIMEOUT_SECONDS;
  a lock held by another process, a read-only file or a full disk become `StoreUnavailable`
  instead of a frozen server or a 500. Other requests (and /healthz) keep being served meanwhile.
  Every route that uses the database goes through it; the app answers StoreUnavailable with a
  503 `store_busy` (bot.web.app). Background passes use `in_background` (no time limit).
- `keep(session_id, items)` (in a worker thread) writes chat messages, or, when the database
  refuses, appends them to the chat spool (bot.store.spool) — so a customer's words are never lost.
- `replay()` (a background task) writes what the spool holds as soon as the database takes
  writes again; `on_replayed(record)` lets the message pipeline open the complaint's ticket.
- `health()` for /healthz: "ok", "unwritable" (a write probe or the latest write failed, or
  messages wait in the spool) or "unreachable".

A thread that outlives its request's wait carries on: a message stuck behind a lock is written
when the lock goes (or spooled when SQLite's own busy timeout runs out), never both.
"""
from __future__ import annotations

import asyncio
import functools
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlalchemy.exc import OperationalError

from bot.store.spool import MessageSpool

log = logging.getLogger(__name__)

WORKERS = 8  # SQLite writes one at a time anyway; reads and PostgreSQL use the rest
REPLAY_SECONDS = 3.0
PROBE_TIMEOUT_SECONDS = 1.0
FAILURE_MEMORY_SECONDS = 60.0  # /healthz says "unwritable" this long after a refused write
SLOW_SECONDS = 30.0  # reports (statistics, exports) wait this long; SQLite's own busy timeout too

MessageItems = list[tuple[str, str, list[dict] | None, dict[str, Any] | None]]


class StoreUnavailable(Exception):
    """The database did not answer in time or refused to write."""


class StoreAccess:
    def __init__(self, store, spool: MessageSpool, timeout: float):
        self.store = store
        self.spool = spool
        self.timeout = timeout
        self.executor = ThreadPoolExecutor(WORKERS, thread_name_prefix="store")
        self.on_replayed: Callable[[dict], None] | None = None  # called after each spooled message is written
        self._write_failed: tuple[float, str] | None = None  # (when, error) of the latest refused write
        self._failure_lock = threading.Lock()

    # -- calls --------------------------------------------------------------------------------
    async def run(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """`fn(*args, **kwargs)` in a worker thread; StoreUnavailable after `timeout` seconds or
        when the database refuses (its other errors pass through)."""
        return await self.run_within(self.timeout, fn, *args, **kwargs)

    async def run_slow(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """`run` for reports that may take seconds (a year of statistics, a CSV export): waits at
        least SLOW_SECONDS."""
        return await self.run_within(max(self.timeout, SLOW_SECONDS), fn, *args, **kwargs)

    async def run_within(self, seconds: float, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """`run` with its own bound."""
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(self.executor, functools.partial(fn, *args, **kwargs))
        try:
            return await asyncio.wait_for(future, seconds)
        except asyncio.TimeoutError:
            log.warning("database: no answer within %.1f s (%s)", seconds, getattr(fn, "__name__", fn))
            raise StoreUnavailable(f"no answer within {seconds:g} s") from None
        except OperationalError as exc:
            self.note_failure(exc)
            raise StoreUnavailable(str(exc.orig or exc)) from None

    async def in_background(self, fn: Callable[..., Any], *args: Any) -> Any:
        """`fn(*args)` in a worker thread, waiting as long as it takes: background passes
        (escalation, filing quiet intakes) that must not hold up the event loop, nor give up."""
        return await asyncio.get_running_loop().run_in_executor(self.executor, functools.partial(fn, *args))

    def note_failure(self, exc: BaseException) -> None:
        error = str(getattr(exc, "orig", None) or exc)[:200]
        with self._failure_lock:
            self._write_failed = (time.monotonic(), error)
        log.error("database refused a write: %s", error)

    def note_success(self) -> None:
        if self._write_failed is not None:
            with self._failure_lock:
                self._write_failed = None

    def keep(self, session_id: str, items: MessageItems) -> list[int] | None:
        """Stores chat messages; when the database refuses, spools them and returns None
        (OSError when even the spool cannot be written). Blocking: call from a worker thread."""
        try:
            ids = self.store.append_messages(session_id, items)
        except OperationalError as exc:
            self.note_failure(exc)
            self.spool.keep(session_id, items)
            log.warning("chat %s: %d message(s) kept in the spool until the database is back",
                        session_id, len(items))
            return None
        self.note_success()
        return ids

    # -- the spool ------------------------------------------------------------------------------
    def _write_spooled(self, record: dict) -> None:
        meta = {**(record.get("meta") or {}), "spooled_at": record.get("at")}
        self.store.append_messages(record["session_id"], [(record["sender"], record["text"], record.get("buttons"),
                                                           meta)])
        if self.on_replayed is not None:
            try:
                self.on_replayed(record)
            except Exception:  # noqa: BLE001 - the message is in the database; its ticket can wait for an agent
                log.exception("chat %s: a replayed message could not reach its ticket", record["session_id"])

    def replay_now(self) -> int:
        """Writes what the spool holds (blocking); returns how many messages were written."""
        written = self.spool.drain(self._write_spooled)
        if written:
            self.note_success()
            log.info("chat spool: %d message(s) written to the database", written)
        return written

    async def replay(self, interval: float = REPLAY_SECONDS) -> None:
        """Background task: empties the spool whenever the database takes writes again."""
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(interval)
            try:
                if self.spool.path.exists() and self.spool.path.stat().st_size:
                    await loop.run_in_executor(self.executor, self.replay_now)
            except Exception:  # noqa: BLE001 - tried again in a few seconds
                log.exception("chat spool: replay failed")

    # -- health -----------------------------------------------------------------------------------
    def _probe(self) -> str:
        try:
            self.store.ping()
        except Exception:  # noqa: BLE001 - any error: not reachable
            return "unreachable"
        try:
            self.store.probe_write(PROBE_TIMEOUT_SECONDS)
        except Exception as exc:  # noqa: BLE001 - locked, read-only, full
            log.warning("database write probe failed: %s", exc)
            return "unwritable"
        return "ok"

    async def health(self) -> dict[str, Any]:
        """{"database": ok | unwritable | unreachable, "spooled_messages": n, "error": …}"""
        loop = asyncio.get_running_loop()
        try:
            state = await asyncio.wait_for(loop.run_in_executor(None, self._probe), PROBE_TIMEOUT_SECONDS * 3)
        except asyncio.TimeoutError:
            state = "unwritable"
        spooled = self.spool.pending()
        failed = self._write_failed
        if failed and time.monotonic() - failed[0] > FAILURE_MEMORY_SECONDS:
            failed = None
        if state == "ok" and (spooled or failed):
            state = "unwritable"
        body: dict[str, Any] = {"database": state, "spooled_messages": spooled}
        if failed and state != "ok":
            body["last_error"] = failed[1]
        return body

    def close(self) -> None:
        self.executor.shutdown(wait=False)
