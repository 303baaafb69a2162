"""Live events survive restarts and replicas: the desk's SSE stream served for real (Sanic on
loopback), apps recreated on the same database, two apps side by side on one SQLite file (polling)
and on PostgreSQL with Redis pub/sub (skipped when either is unreachable)."""
from __future__ import annotations

import json
import socket
import threading
import time

import pytest
import requests

from bot.web.events import EventHub
from tests.support.live_app import TOKEN, LiveApp, database_url, free_port, make_settings, ticket_body

REDIS_URL = "redis://127.0.0.1:6379/0"


class DeskStream:
    """A desk's SSE connection read in a thread: `events` fills as frames arrive."""

    def __init__(self, base: str, last_event_id: int | None = None):
        self.events: list[dict] = []
        self.opened = threading.Event()
        headers = {"Authorization": f"Bearer {TOKEN}"}
        if last_event_id is not None:
            headers["Last-Event-ID"] = str(last_event_id)
        self._response = requests.get(f"{base}/api/desk/events", headers=headers, stream=True, timeout=60)
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        self.opened.set()
        try:
            for line in self._response.iter_lines(decode_unicode=True):
                if line and line.startswith("data: "):
                    self.events.append(json.loads(line[len("data: "):]))
        except (requests.RequestException, ValueError, AttributeError):
            pass  # the server went away: what arrived is in self.events

    def tickets_created(self) -> list[str]:
        return [e["data"]["ticket"]["id"] for e in self.events if e["type"] == "ticket_created"]

    def wait_for_ticket(self, ticket_id: str, seconds: float = 10) -> float:
        """Seconds until the ticket's `ticket_created` arrived; fails after `seconds`."""
        started = time.monotonic()
        while ticket_id not in self.tickets_created():
            assert time.monotonic() - started < seconds, f"{ticket_id} not received; got {self.tickets_created()}"
            time.sleep(0.02)
        return time.monotonic() - started

    def close(self) -> None:
        # Shut the socket down first: closing a streamed response waits for the reader thread,
        # which sits in recv() until the next keep-alive comment (15 s).
        connection = getattr(self._response.raw, "connection", None)
        if connection is not None and connection.sock is not None:
            connection.sock.shutdown(socket.SHUT_RDWR)
        self._response.close()
        self._thread.join(5)


def create_ticket(live: LiveApp, key: str) -> dict:
    response = live.call("POST", "/api/tickets", json=ticket_body(key))
    assert response.status_code == 201, response.text
    return response.json()["ticket"]


def wait_for_subscribers(live: LiveApp, count: int = 1) -> None:
    deadline = time.monotonic() + 10
    while live.app.ctx.events.subscriber_count < count:
        assert time.monotonic() < deadline
        time.sleep(0.02)


def test_a_desk_reconnecting_after_a_restart_gets_what_it_missed_and_what_comes_next(tmp_path):
    settings = make_settings(tmp_path)
    first = LiveApp(settings).start()
    desk = DeskStream(first.base)
    wait_for_subscribers(first)
    before = create_ticket(first, "before-restart")
    desk.wait_for_ticket(before["id"])
    last_seen = desk.events[-1]["id"]
    first.stop()  # the bot service goes away; the desk's stream ends
    desk.close()

    second = LiveApp(settings).start()  # "restarted": a new process on the same database
    try:
        missed = create_ticket(second, "while-the-desk-was-away")
        desk = DeskStream(second.base, last_event_id=last_seen)
        desk.wait_for_ticket(missed["id"])  # replayed from the log
        wait_for_subscribers(second)
        after = create_ticket(second, "after-reconnecting")
        desk.wait_for_ticket(after["id"])  # live
        ids = [e["id"] for e in desk.events]
        assert ids == sorted(set(ids)) and ids[0] > last_seen  # unique, increasing, nothing old again
        assert before["id"] not in desk.tickets_created()
        desk.close()
    finally:
        second.stop()


def test_a_last_event_id_this_database_never_issued_does_not_silence_the_stream(tmp_path):
    live = LiveApp(make_settings(tmp_path)).start()
    try:
        desk = DeskStream(live.base, last_event_id=480)  # e.g. from before the database was replaced
        wait_for_subscribers(live)
        ticket = create_ticket(live, "fresh-database")
        desk.wait_for_ticket(ticket["id"])
        desk.close()
    finally:
        live.stop()


def test_in_memory_hub_keeps_the_interface_for_scripts_and_tests():
    hub = EventHub()
    seen = []
    hub.on_publish(seen.append)
    first = hub.publish("ticket_created", {"n": 1})
    second = hub.publish("message", {"n": 2})
    assert (first.id, second.id) == (1, 2) and [e.id for e in seen] == [1, 2]
    assert [e.id for e in hub.since(1)] == [2] and hub.last_id() == 2
    assert hub.describe()["mode"] == "memory"


def _replicas(tmp_path, url: str, redis_url: str = ""):
    env = {"DATABASE_URL": url, "REDIS_URL": redis_url}
    return LiveApp(make_settings(tmp_path, **env)).start(), LiveApp(make_settings(tmp_path, **env)).start()


def _redis_unreachable() -> str | None:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        return f"Redis at {REDIS_URL} unreachable: {exc}"
    return None


@pytest.mark.parametrize("kind", ["sqlite", "postgresql+redis"])
def test_every_desk_sees_every_event_with_two_replicas(tmp_path, kind):
    if kind != "sqlite" and _redis_unreachable():
        pytest.skip(_redis_unreachable())
    with database_url(kind.split("+")[0], tmp_path) as url:
        a, b = _replicas(tmp_path, url, REDIS_URL if "redis" in kind else "")
        try:
            reactions = {"a": [], "b": []}
            a.app.ctx.events.on_publish(lambda e: reactions["a"].append(e.id))
            b.app.ctx.events.on_publish(lambda e: reactions["b"].append(e.id))
            desk_a, desk_b = DeskStream(a.base), DeskStream(b.base)
            wait_for_subscribers(a)
            wait_for_subscribers(b)
            if "redis" in kind:
                deadline = time.monotonic() + 10
                while not (a.app.ctx.events.describe()["bus"]["connected"]
                           and b.app.ctx.events.describe()["bus"]["connected"]):
                    assert time.monotonic() < deadline, "Redis subscriptions not ready"
                    time.sleep(0.05)
            delays = []
            for n in range(6):
                origin = (a, b)[n % 2]
                ticket = create_ticket(origin, f"replicas-{kind.replace('+', '-')}-{n}")
                delays += [desk_a.wait_for_ticket(ticket["id"]), desk_b.wait_for_ticket(ticket["id"])]
            # Both desks saw the same events in the same order, with ids unique across the replicas.
            assert [e["id"] for e in desk_a.events] == [e["id"] for e in desk_b.events]
            assert len({e["id"] for e in desk_a.events}) == len(desk_a.events)
            # A reaction runs once, in the replica that published, never in both.
            assert reactions["a"] and reactions["b"] and not set(reactions["a"]) & set(reactions["b"])
            if "redis" in kind:
                assert max(delays) < 0.9, delays  # the doorbell, not the once-a-second poll
            desk_a.close()
            desk_b.close()
        finally:
            a.stop()
            b.stop()


def test_redis_down_loses_nothing_events_arrive_by_polling(tmp_path):
    live = LiveApp(make_settings(tmp_path, REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")).start()
    try:
        desk = DeskStream(live.base)
        wait_for_subscribers(live)
        ticket = create_ticket(live, "no-redis")
        assert desk.wait_for_ticket(ticket["id"], seconds=5) < 2
        health = live.call("GET", "/healthz").json()
        assert health["live_events"]["mode"] == "database"
        assert health["live_events"]["bus"]["connected"] is False
        desk.close()
    finally:
        live.stop()
