"""Live events survive restarts and replicas: the desk's SSE stream served for real (Sanic on
loopback), apps recreated on the same database, two apps side by side on one SQLite file (the
once-a-second poll) and on PostgreSQL (LISTEN/NOTIFY; skipped when PostgreSQL is unreachable)."""
from __future__ import annotations

import time

import pytest

from bot.web.events import EventHub
from tests.support.desk_stream import DeskStream
from tests.support.live_app import LiveApp, database_url, make_settings, ticket_body


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


def _replicas(tmp_path, url: str):
    env = {"DATABASE_URL": url}
    return LiveApp(make_settings(tmp_path, **env)).start(), LiveApp(make_settings(tmp_path, **env)).start()


def _wait_for_bus(*lives: LiveApp, connected: bool = True) -> None:
    deadline = time.monotonic() + 10
    while not all(live.app.ctx.events.describe()["bus"]["connected"] is connected for live in lives):
        assert time.monotonic() < deadline, "LISTEN connections not in the expected state"
        time.sleep(0.05)


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_every_desk_sees_every_event_with_two_replicas(tmp_path, kind):
    with database_url(kind, tmp_path) as url:
        a, b = _replicas(tmp_path, url)
        try:
            reactions = {"a": [], "b": []}
            a.app.ctx.events.on_publish(lambda e: reactions["a"].append(e.id))
            b.app.ctx.events.on_publish(lambda e: reactions["b"].append(e.id))
            desk_a, desk_b = DeskStream(a.base), DeskStream(b.base)
            wait_for_subscribers(a)
            wait_for_subscribers(b)
            if kind == "postgresql":
                _wait_for_bus(a, b)
            delays = []
            for n in range(6):
                origin = (a, b)[n % 2]
                ticket = create_ticket(origin, f"replicas-{kind}-{n}")
                delays += [desk_a.wait_for_ticket(ticket["id"]), desk_b.wait_for_ticket(ticket["id"])]
            # Both desks saw the same events in the same order, with ids unique across the replicas.
            assert [e["id"] for e in desk_a.events] == [e["id"] for e in desk_b.events]
            assert len({e["id"] for e in desk_a.events}) == len(desk_a.events)
            # A reaction runs once, in the replica that published, never in both.
            assert reactions["a"] and reactions["b"] and not set(reactions["a"]) & set(reactions["b"])
            if kind == "postgresql":
                assert max(delays) < 0.9, delays  # the doorbell, not the once-a-second poll
            desk_a.close()
            desk_b.close()
        finally:
            a.stop()
            b.stop()


def test_a_broken_listen_connection_loses_nothing_and_comes_back(tmp_path):
    import psycopg2

    from tests.support.live_app import POSTGRES

    with database_url("postgresql", tmp_path) as url:
        a, b = _replicas(tmp_path, url)
        try:
            desk = DeskStream(b.base)
            wait_for_subscribers(b)
            _wait_for_bus(a, b)
            health = b.call("GET", "/healthz").json()["live_events"]
            assert health["mode"] == "database" and health["bus"]["kind"] == "postgresql_notify"
            channel = b.app.ctx.events.describe()["bus"]["channel"]
            admin = psycopg2.connect(**POSTGRES)
            admin.autocommit = True

            def listeners() -> set[int]:
                with admin.cursor() as cursor:
                    cursor.execute("SELECT pid FROM pg_stat_activity WHERE query = %s", (f'LISTEN "{channel}"',))
                    return {row[0] for row in cursor.fetchall()}

            before = listeners()
            assert len(before) == 2
            with admin.cursor() as cursor:  # both replicas' LISTEN connections go, as in a database restart
                cursor.execute("SELECT pg_terminate_backend(pid) FROM unnest(%s) AS pid", (list(before),))
            ticket = create_ticket(a, "listener-broken")
            assert desk.wait_for_ticket(ticket["id"], seconds=5) < 2.5  # by the poll, or the bell once back
            deadline = time.monotonic() + 15
            while not (len(listeners()) == 2 and not listeners() & before):
                assert time.monotonic() < deadline, "the replicas did not LISTEN again"
                time.sleep(0.1)
            admin.close()
            _wait_for_bus(a, b)
            again = create_ticket(a, "listener-back")
            assert desk.wait_for_ticket(again["id"]) < 0.9
            desk.close()
        finally:
            a.stop()
            b.stop()


def test_the_log_reconnects_after_postgresql_dropped_its_connection(tmp_path):
    import psycopg2

    from bot.store.db import _make_engine
    from bot.store.live_events import EventLog
    from tests.support.live_app import POSTGRES

    with database_url("postgresql", tmp_path) as url:
        events = EventLog(_make_engine(url))
        first = events.append("message", {"n": 1})["id"]
        backend = events._run(lambda cursor: (cursor.execute("SELECT pg_backend_pid()"), cursor.fetchone()[0])[1])
        admin = psycopg2.connect(**POSTGRES)
        admin.autocommit = True
        admin.cursor().execute("SELECT pg_terminate_backend(%s)", (backend,))  # as a database restart would
        admin.close()
        second = events.append("message", {"n": 2})["id"]
        assert second > first and [e["data"]["n"] for e in events.after(0)] == [1, 2]
        events.close()
