"""The alternative doorbell that bench/event_bus.py measured against PostgreSQL LISTEN/NOTIFY:
"a live event was stored" over Redis pub/sub, with the same interface as
bot.integrations.event_bus.PgNotifyBus (announce, run, describe).

Announcements are coalesced (one PUBLISH for any number of events stored meanwhile) and sent from
the event loop, so `publish()` never waits for Redis; the listener reconnects with back-off. It
worked (the hub's tests passed with it) but cost the publishing process about 0.5 ms more CPU per
event than NOTIFY, which rides in the insert's own statement (docs/DEPLOY.md), so the bot service
does not use it. Kept here so the comparison can be re-run.
"""
from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Callable

log = logging.getLogger(__name__)
CHANNEL = "complaint-bot:live-events"
WARN_EVERY_SECONDS = 60


class RedisBus:
    def __init__(self, url: str, channel: str = CHANNEL):
        self.url = url
        self.channel = channel
        self.sender = uuid.uuid4().hex.encode()  # our own announcements need not wake us again
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
                    await client.publish(self.channel, self.sender)
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
                    if message.get("type") == "message" and message.get("data") != self.sender:
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
