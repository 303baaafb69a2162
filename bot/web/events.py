"""Live updates for the desk (SSE) and the chat sockets: a publish/subscribe hub.

`publish(kind, data)` sends an event to every `subscribe()`r; `since(last_id)` answers a browser
that reconnects with `Last-Event-ID`; `on_publish(listener)` runs code inside the publishing
process at once (hand-off reactions). A subscriber that stops reading loses its oldest events
rather than holding up everyone else.

Two modes, one interface:
- in memory (`EventHub()`): ids count from 1 in this process, the last few hundred events are kept.
  For tests and scripts.
- durable (`EventHub(log=EventLog(engine), bus=…)`, what the bot service uses): every event is a
  row of `live_events` (bot.store.live_events) whose id the database hands out, unique across
  restarts and replicas, so a desk reconnecting after a restart gets what it missed. A tailer task
  follows the table in id order and delivers to this process's subscribers; it wakes at once for
  events published here, on the bus's signal for events of other replicas (PostgreSQL
  LISTEN/NOTIFY, bot.integrations.event_bus), and once a second regardless, so a lost signal (or
  no bus at all: SQLite) delays an event by at most a second instead of losing it. The tailer
  reads the log in a worker thread; `since` and `last_id` read it too: call them off the loop.
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
POLL_SECONDS = 1.0  # the tailer looks at the log at least this often
PRUNE_SECONDS = 600
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
    def __init__(self, history: int = 500, queue_size: int = 1000, log=None, bus=None):
        """`log`: a bot.store.live_events.EventLog (durable mode) or None (in memory); `bus`: an
        optional cross-process signal (bot.integrations.event_bus.PgNotifyBus) for durable mode."""
        self._ids = itertools.count(1)
        self._last_memory_id = 0
        self._history_size = history
        self._history: deque[Event] = deque(maxlen=history)
        self._subscribers: set[Subscription] = set()
        self._queue_size = queue_size
        self._listeners: list[Callable[[Event], None]] = []
        self._log = log
        self._bus = bus if log is not None else None
        self._cursor = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None
        self._tasks: list[asyncio.Task] = []
        self.closed = False

    # -- subscribing -------------------------------------------------------------------------
    def on_publish(self, listener: Callable[[Event], None]) -> None:
        """Calls `listener(event)` inside every `publish()` of this process (not for events other
        replicas publish: each reaction must happen once), after the event was handed out (in
        durable mode: stored), for state that must change at once (bot.services.handoff: an agent's
        claim is announced in the chat before the agent's first reply can be). Runs on the
        publisher's thread; errors are logged."""
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

    @property
    def durable(self) -> bool:
        return self._log is not None

    def _fan_out(self, event: Event | None) -> None:
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        for subscription in list(self._subscribers):
            if subscription.loop is running:
                subscription._deliver(event)
            elif not subscription.loop.is_closed():
                subscription.loop.call_soon_threadsafe(subscription._deliver, event)

    # -- publishing --------------------------------------------------------------------------
    def publish(self, kind: str, data: dict[str, Any]) -> Event:
        """Sends an event to every subscriber; safe to call from any thread. In durable mode it
        writes one row first (the caller's store is the same database)."""
        if kind not in EVENT_KINDS:
            raise ValueError(f"unknown event kind {kind!r}; expected one of {', '.join(EVENT_KINDS)}")
        if self._log is None:
            event = Event(next(self._ids), kind, data)
            self._last_memory_id = event.id
            self._history.append(event)
            self._fan_out(event)
        else:
            try:
                stored = self._log.append(kind, data)
                event = Event(stored["id"], kind, data, stored["at"])
            except Exception:  # noqa: BLE001 - the change itself is saved; the live view catches up on reload
                log.exception("live events: could not store a %s event", kind)
                event = Event(0, kind, data)
            else:
                self._ring()
                if self._bus is not None:
                    self._bus.announce(event.id)
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:  # noqa: BLE001 - a listener's failure is not the publisher's problem
                log.exception("event listener failed on %s", kind)
        return event

    def since(self, last_id: int) -> list[Event]:
        """Events newer than `last_id` that are still kept (for a reconnecting client)."""
        if self._log is None:
            return [event for event in self._history if event.id > last_id]
        return [Event(row["id"], row["kind"], row["data"], row["at"])
                for row in self._log.latest_after(last_id, self._history_size)]

    def last_id(self) -> int:
        """The newest event id handed out (0 before any); a client claiming a higher one saw
        another database's events and must start from scratch."""
        return self._log.last_id() if self._log is not None else self._last_memory_id

    # -- the tailer (durable mode) -----------------------------------------------------------
    async def start(self) -> None:
        """Starts following the log on the running loop (the server's). No-op in memory mode."""
        if self._log is None or self._tasks:
            return
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        self._cursor = self._log.last_id()
        self._tasks.append(self._loop.create_task(self._follow()))
        if self._bus is not None:
            self._tasks.append(self._loop.create_task(self._bus.run(self._ring, self._loop)))

    def _ring(self) -> None:
        """Wakes the tailer; safe from any thread."""
        loop, wake = self._loop, self._wake
        if loop is None or wake is None or loop.is_closed():
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            wake.set()
        else:
            loop.call_soon_threadsafe(wake.set)

    async def _follow(self) -> None:
        assert self._wake is not None
        next_prune = self._loop.time() + PRUNE_SECONDS
        while not self.closed:
            try:
                await asyncio.wait_for(self._wake.wait(), POLL_SECONDS)
            except asyncio.TimeoutError:
                pass
            self._wake.clear()
            try:
                # In a worker thread: a database locked by another process must not stop the loop
                # (deliveries reach the subscribers' loops thread-safely, in order: `_fan_out`).
                await self._loop.run_in_executor(None, self.deliver_new)
                if self._loop.time() >= next_prune:
                    next_prune = self._loop.time() + PRUNE_SECONDS
                    await self._loop.run_in_executor(None, self._log.prune)
            except Exception:  # noqa: BLE001 - the database may be back in a second
                log.exception("live events: could not read the log")
                await asyncio.sleep(POLL_SECONDS)

    def deliver_new(self) -> int:
        """Hands every logged event after the cursor to this process's subscribers, in id order."""
        delivered = 0
        while True:
            rows = self._log.after(self._cursor, 500)
            for row in rows:
                self._fan_out(Event(row["id"], row["kind"], row["data"], row["at"]))
                self._cursor = row["id"]
            delivered += len(rows)
            if len(rows) < 500:
                return delivered

    def describe(self) -> dict:
        """For /healthz: how events travel."""
        return {"mode": "database" if self._log is not None else "memory",
                "bus": self._bus.describe() if self._bus is not None else "none",
                "subscribers": self.subscriber_count}

    def shutdown(self) -> None:
        """Wakes every listener with HubClosed, so open streams end and the server can stop."""
        self.closed = True
        for task in self._tasks:
            task.cancel()
        self._fan_out(None)
