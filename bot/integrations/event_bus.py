"""The doorbell between bot-service replicas: PostgreSQL LISTEN/NOTIFY on their shared database.

The events live in the `live_events` table (bot.store.live_events); the bell only tells the other
replicas' tailers to read it now instead of at their next once-a-second poll. Each append rings
it in its own transaction (`EventLog.notify`: one more statement in the same round trip,
delivered at commit), so publishing costs nothing extra; a dedicated connection per replica
listens, watched by the event loop (no thread). A replica ignores its own rings.

When the listening connection breaks (PostgreSQL restarted, a network blip) nothing is lost:
events arrive by the poll, at most a second late, while the listener reconnects with back-off.
Behind PgBouncer in transaction mode LISTEN does not work; the poll still delivers everything.

Chosen over Redis pub/sub by measurement (bench/event_bus.py, docs/DEPLOY.md): the same
delivery latency, about 0.5 ms less CPU per event in the publishing process, no second service
on the bot service's path.
"""
from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Callable

from sqlalchemy.engine import Engine

log = logging.getLogger(__name__)
HEALTH_SECONDS = 15  # an idle listening connection is checked this often
WARN_EVERY_SECONDS = 60


class PgNotifyBus:
    def __init__(self, engine: Engine):
        self.engine = engine
        self.sender = uuid.uuid4().hex  # the payload of our rings: we need not wake for them
        with engine.connect() as conn:  # one channel per schema: tests and shops may share a database
            schema = conn.exec_driver_sql("SELECT current_schema()").scalar() or "public"
        self.channel = f"live_events_{schema}"[:63]
        self.connected = False
        self._warned_at = 0.0

    def announce(self, _event_id: int) -> None:
        """Nothing to do: the append rang the bell in its own transaction (EventLog.notify)."""

    def _warn(self, exc: BaseException) -> None:
        if time.monotonic() - self._warned_at >= WARN_EVERY_SECONDS:
            self._warned_at = time.monotonic()
            log.warning("live events: LISTEN on PostgreSQL failed (%s); events reach this replica by "
                        "polling (at most 1 s late) meanwhile", exc)

    def _listen(self):
        pooled = self.engine.raw_connection()
        pooled.detach()  # a connection of its own, outside the pool, for as long as it lives
        conn = pooled.dbapi_connection
        conn.autocommit = True
        with conn.cursor() as cursor:
            cursor.execute(f'LISTEN "{self.channel}"')
        return conn

    async def run(self, wake: Callable[[], None], loop: asyncio.AbstractEventLoop) -> None:
        """Calls `wake()` for every ring of another replica, until cancelled."""
        delay = 0.5
        while True:
            conn = None
            try:
                conn = await loop.run_in_executor(None, self._listen)
                self.connected, delay = True, 0.5
                wake()  # catch up on whatever was stored while nobody listened
                await self._receive(conn, wake, loop)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - reconnect after any failure
                self._warn(exc)
            finally:
                self.connected = False
                if conn is not None:
                    try:
                        conn.close()
                    except Exception:  # noqa: BLE001 - closing a broken connection
                        pass
            await asyncio.sleep(delay)
            delay = min(delay * 2, 10)

    async def _receive(self, conn, wake: Callable[[], None], loop: asyncio.AbstractEventLoop) -> None:
        readable = asyncio.Event()
        fd = conn.fileno()
        loop.add_reader(fd, readable.set)
        try:
            while True:
                try:
                    await asyncio.wait_for(readable.wait(), HEALTH_SECONDS)
                except asyncio.TimeoutError:
                    with conn.cursor() as cursor:  # a dead connection raises here
                        cursor.execute("SELECT 1")
                readable.clear()
                conn.poll()
                others = [note for note in conn.notifies if note.payload != self.sender]
                conn.notifies.clear()
                if others:
                    wake()
        finally:
            loop.remove_reader(fd)

    def describe(self) -> dict:
        return {"kind": "postgresql_notify", "channel": self.channel, "connected": self.connected}
