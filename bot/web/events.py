"""Live updates inside one bot-service process: an in-memory publish/subscribe hub.

The desk's Server-Sent Events stream (`GET /api/desk/events`) subscribes; ticket changes and
chat messages publish. Each event gets an increasing id, and the last few hundred are kept so a
browser that reconnects with `Last-Event-ID` misses nothing. A subscriber that stops reading
loses its oldest events rather than holding up everyone else.

Across several replicas this becomes Redis pub/sub (docs/ARCHITECTURE.md, docs/DEPLOY.md); the interface
(`publish(kind, data)`, `subscribe()`) stays.
"""
from __future__ import annotations

import asyncio
import itertools
import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

EVENT_KINDS = ("ticket_created", "ticket_updated", "message", "live_waiting")
log = logging.getLogger(__name__)


class HubClosed(Exception):
    """The hub shut down (the server is stopping): listeners should end their streams."""


@dataclass(frozen=True)
class Event:
    id: int
    kind: str
    data: dict[str, Any]
    at: str = field(default_factory=lambda: datetime.now(timezone.utc).isoformat())

    def as_dict(self) -> dict:
        return {"id": self.id, "type": self.kind, "at": self.at, "data": self.data}


class Subscription:
    """One listener's queue; iterate with `await sub.next()`; always `close()` (or use `with`)."""

    def __init__(self, hub: EventHub, loop: asyncio.AbstractEventLoop, maxsize: int):
        self.hub = hub
        self.loop = loop
        self.queue: asyncio.Queue[Event | None] = asyncio.Queue(maxsize=maxsize)
        self.dropped = 0

    def _deliver(self, event: Event | None) -> None:
        if self.queue.full():
            self.queue.get_nowait()  # a slow reader loses its oldest event, not the newest
            self.dropped += 1
        self.queue.put_nowait(event)

    async def next(self, timeout: float | None = None) -> Event | None:
        """The next event, or None after `timeout` seconds without one; HubClosed on shutdown."""
        if self.hub.closed:
            raise HubClosed()
        try:
            event = await asyncio.wait_for(self.queue.get(), timeout)
        except asyncio.TimeoutError:
            return None
        if event is None:
            raise HubClosed()
        return event

    def close(self) -> None:
        self.hub.unsubscribe(self)

    def __enter__(self) -> Subscription:
        return self

    def __exit__(self, *_exc) -> None:
        self.close()


class EventHub:
    def __init__(self, history: int = 500, queue_size: int = 1000):
        self._ids = itertools.count(1)
        self._history: deque[Event] = deque(maxlen=history)
        self._subscribers: set[Subscription] = set()
        self._queue_size = queue_size
        self._listeners: list[Callable[[Event], None]] = []
        self.closed = False

    def on_publish(self, listener: Callable[[Event], None]) -> None:
        """Calls `listener(event)` inside every `publish()`, after the subscribers got the event, for
        state that must change at once (bot.services.handoff: an agent's claim is announced in the chat
        before the agent's first reply can be). Runs on the publisher's thread; errors are logged."""
        self._listeners.append(listener)

    def subscribe(self) -> Subscription:
        """A new listener on the running loop (call from async code)."""
        subscription = Subscription(self, asyncio.get_running_loop(), self._queue_size)
        self._subscribers.add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        self._subscribers.discard(subscription)

    @property
    def subscriber_count(self) -> int:
        return len(self._subscribers)

    def publish(self, kind: str, data: dict[str, Any]) -> Event:
        """Sends an event to every subscriber; safe to call from any thread, never blocks."""
        if kind not in EVENT_KINDS:
            raise ValueError(f"unknown event kind {kind!r}; expected one of {', '.join(EVENT_KINDS)}")
        event = Event(next(self._ids), kind, data)
        self._history.append(event)
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        for subscription in list(self._subscribers):
            if subscription.loop is running:
                subscription._deliver(event)
            elif not subscription.loop.is_closed():
                subscription.loop.call_soon_threadsafe(subscription._deliver, event)
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:  # noqa: BLE001 - a listener's failure is not the publisher's problem
                log.exception("event listener failed on %s", kind)
        return event

    def shutdown(self) -> None:
        """Wakes every listener with HubClosed, so open streams end and the server can stop."""
        self.closed = True
        for subscription in list(self._subscribers):
            if not subscription.loop.is_closed():
                subscription.loop.call_soon_threadsafe(subscription._deliver, None)

    def since(self, last_id: int) -> list[Event]:
        """Kept events newer than `last_id` (for a reconnecting client)."""
        return [event for event in self._history if event.id > last_id]
