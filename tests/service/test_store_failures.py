"""Issue 13, finding 2: a database hiccup never drops a customer's message nor freezes the service.

On a real SQLite file, with STORE_TIMEOUT_SECONDS=1: another connection holds the write lock
(BEGIN EXCLUSIVE) longer than that, the database refuses writes (read-only), the database is full. Each time the
chat POST answers politely at once, /healthz answers fast and says "unwritable", and once the
database is back every message is there exactly once (the refused ones from the chat spool, with
the needs_triage ticket degraded mode would have opened).
"""
from __future__ import annotations

import sqlite3
import time

import pytest
import requests
from sqlalchemy import event

from tests.support.live_app import LiveApp, make_settings


@pytest.fixture
def live(tmp_path):
    running = LiveApp(make_settings(tmp_path, STORE_TIMEOUT_SECONDS="1")).start()
    yield running
    running.stop()


def say(live, session: str, text: str) -> tuple[requests.Response, float]:
    started = time.monotonic()
    response = requests.post(f"{live.base}/api/chat/{session}/messages", json={"text": text}, timeout=30)
    return response, time.monotonic() - started


def health(live) -> tuple[dict, float]:
    started = time.monotonic()
    body = requests.get(f"{live.base}/healthz", timeout=30).json()
    return body["services"]["bot"], time.monotonic() - started


def customer_texts(live, session: str) -> list[str]:
    return [m["text"] for m in live.store.list_messages(session) if m["sender"] == "customer"]


def wait_for(condition, seconds: float = 20.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    return condition()


def assert_polite(response: requests.Response, elapsed: float) -> None:
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["mode"] == "degraded" and "记录" in body["replies"][0]["text"]
    assert elapsed < 4, f"the chat answer took {elapsed:.1f} s"


def test_a_lock_held_past_the_timeout_gets_a_polite_reply_and_loses_nothing(live, tmp_path):
    locker = sqlite3.connect(tmp_path / "desk.sqlite3", isolation_level=None, timeout=5)
    locker.execute("BEGIN EXCLUSIVE")
    try:
        response, elapsed = say(live, "s-locked", "快递五天没动了，订单号 4512345678901234567")
        assert_polite(response, elapsed)
        bot, took = health(live)
        assert took < 4, f"/healthz took {took:.1f} s while the database was locked"
        assert bot["ok"] is False and bot["database"] == "unwritable"
        static = requests.get(f"{live.base}/widget.js", timeout=30)
        assert static.status_code == 200
        assert customer_texts(live, "s-locked") == []  # still waiting behind the lock
    finally:
        locker.execute("ROLLBACK")
        locker.close()
    assert wait_for(lambda: customer_texts(live, "s-locked")) == ["快递五天没动了，订单号 4512345678901234567"]
    assert wait_for(lambda: health(live)[0]["database"] == "ok")
    response, elapsed = say(live, "s-locked", "还在吗")
    assert response.status_code == 200 and elapsed < 4
    assert customer_texts(live, "s-locked") == ["快递五天没动了，订单号 4512345678901234567", "还在吗"]


def refuse_writes(dbapi_conn, _record):
    dbapi_conn.execute("PRAGMA query_only=1")


def test_a_read_only_database_keeps_messages_in_the_spool_until_it_is_writable(live):
    # SQLite's own "attempt to write a readonly database" on every new connection. A file mode
    # would not do it here: root ignores it, and SQLite reuses a descriptor it already has open
    # for the same file (opened read-write) when another connection of the process holds it.
    event.listen(live.store.engine, "connect", refuse_writes)
    try:
        first, elapsed = say(live, "s-readonly", "衣服洗一次就掉色了，想退货")
        assert_polite(first, elapsed)
        second, elapsed = say(live, "s-readonly", "订单号 4512345678901234567")
        assert_polite(second, elapsed)
        bot, took = health(live)
        assert took < 4 and bot["ok"] is False and bot["database"] == "unwritable"
        assert bot["spooled_messages"] >= 2
        assert customer_texts(live, "s-readonly") == []
        assert "readonly" in bot["last_error"]
    finally:
        event.remove(live.store.engine, "connect", refuse_writes)
    assert wait_for(lambda: len(customer_texts(live, "s-readonly")) == 2)
    assert customer_texts(live, "s-readonly") == ["衣服洗一次就掉色了，想退货", "订单号 4512345678901234567"]
    kept = [m for m in live.store.list_messages("s-readonly") if m["sender"] == "customer"]
    assert all(m["meta"].get("spooled_at") for m in kept)
    [ticket] = live.store.tickets_for_customer(session_id="s-readonly")
    assert "needs_triage" in ticket["risk_flags"] and "掉色" in ticket["description"]
    assert ticket["order_number"] == "4512345678901234567"  # the second message reached the ticket
    assert wait_for(lambda: health(live)[0]["database"] == "ok")
    assert health(live)[0]["spooled_messages"] == 0


def test_a_full_database_keeps_messages_in_the_spool_until_there_is_room(live):
    # "database or disk is full" from SQLite itself, without root: every new connection may not
    # grow the file past its current size (PRAGMA max_page_count).
    def no_room(dbapi_conn, _record):
        pages = dbapi_conn.execute("PRAGMA page_count").fetchone()[0]
        dbapi_conn.execute(f"PRAGMA max_page_count={pages}")

    rant = "收到的锅底是裂的，" * 150  # longer than a page: needs room the file does not have
    event.listen(live.store.engine, "connect", no_room)
    try:
        response, elapsed = say(live, "s-full", rant)
        assert_polite(response, elapsed)
        bot, took = health(live)
        assert took < 4 and bot["database"] == "unwritable" and bot["spooled_messages"] == 1
        assert "full" in bot["last_error"]
    finally:
        event.remove(live.store.engine, "connect", no_room)
    assert wait_for(lambda: customer_texts(live, "s-full")) == [rant]
    assert wait_for(lambda: health(live)[0]["database"] == "ok")
