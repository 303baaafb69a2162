"""The doorbell between bot-service replicas: "a live event was stored" over Redis pub/sub.

The events themselves live in the database (bot.store.live_events); this only tells the other
replicas' tailers to look now instead of at their next once-a-second poll. Announcements are
coalesced (one PUBLISH carries any number of events stored meanwhile) and sent from the event
loop, so `publish()` never waits for Redis; when Redis is down, nothing is lost and events take
up to a second longer (the poll), and the listener reconnects with back-off.

Why Redis and not PostgreSQL LISTEN/NOTIFY: measured in bench/event_bus.py (docs/DEPLOY.md).
"""
from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

log = logging.getLogger(__name__)
CHANNEL = "complaint-bot:live-events"
WARN_EVERY_SECONDS = 60


class RedisBus:
    def __init__(self, url: str, channel: str = CHANNEL):
        self.url = url
        self.channel = channel
        self.connected = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pending: asyncio.Event | None = None
        self._warned_at = 0.0

    def announce(self, _event_id: int) -> None:
        """Asks for one PUBLISH soon; safe from any thread, never blocks."""
        loop, pending = self._loop, self._pending
        if loop is None or pending is None or loop.is_closed():
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            pending.set()
        else:
            loop.call_soon_threadsafe(pending.set)

    async def run(self, wake: Callable[[], None], loop: asyncio.AbstractEventLoop) -> None:
        """Sends announcements and calls `wake()` for every one received, until cancelled."""
        self._loop, self._pending = loop, asyncio.Event()
        await asyncio.gather(self._send(), self._listen(wake))

    def _warn(self, what: str, exc: BaseException) -> None:
        if time.monotonic() - self._warned_at >= WARN_EVERY_SECONDS:
            self._warned_at = time.monotonic()
            log.warning("live events: Redis %s failed (%s); events reach other replicas by polling meanwhile",
                        what, exc)

    async def _send(self) -> None:
        from redis import asyncio as aioredis

        assert self._pending is not None
        client = aioredis.Redis.from_url(self.url, socket_timeout=2, socket_connect_timeout=2)
        try:
            while True:
                await self._pending.wait()
                self._pending.clear()
                try:
                    await client.publish(self.channel, b"1")
                except Exception as exc:  # noqa: BLE001 - redis errors, refused connections, timeouts
                    self._warn("publish", exc)
                    await asyncio.sleep(1)
        finally:
            await client.close()

    async def _listen(self, wake: Callable[[], None]) -> None:
        from redis import asyncio as aioredis

        delay = 0.5
        while True:
            client = aioredis.Redis.from_url(self.url, socket_connect_timeout=2, health_check_interval=15)
            pubsub = client.pubsub()
            try:
                await pubsub.subscribe(self.channel)
                self.connected, delay = True, 0.5
                wake()  # catch up on whatever was stored while we were not listening
                async for message in pubsub.listen():
                    if message.get("type") == "message":
                        wake()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - reconnect after any failure
                self._warn("subscription", exc)
            finally:
                self.connected = False
                try:
                    await pubsub.reset()
                    await client.close()
                except Exception:  # noqa: BLE001 - closing a broken connection
                    pass
            await asyncio.sleep(delay)
            delay = min(delay * 2, 10)

    def describe(self) -> dict:
        return {"kind": "redis", "channel": self.channel, "connected": self.connected}
