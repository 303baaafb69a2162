"""The desk and ticket API when the database is locked by another process (issue 13, the rest):
the routes use it from worker threads with a bounded wait (bot.services.store_access), so they
answer a 503 `store_busy` (the chat's answer, word for word) within STORE_TIMEOUT_SECONDS while
/healthz, the desk's files, the login page and the widget keep answering at once; once the lock
is gone the same requests answer 200.

Two real locks on a real SQLite file, served on loopback, STORE_TIMEOUT_SECONDS=1:
- a database in rollback-journal mode held with BEGIN EXCLUSIVE by another connection: nobody
  may even read (GET /api/tickets, the agent's session behind every desk request);
- the service's own WAL file held with BEGIN EXCLUSIVE: reads go on, writes wait (an agent's
  change). Before, one waiting write held up the event loop and so every other request.
"""
from __future__ import annotations

import sqlite3
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import pytest
import requests
from sqlalchemy import create_engine, event

from bot.store import Store
from bot.store.migrations import migrate
from tests.support.live_app import AgentClient, LiveApp, add_agent, make_settings, ticket_body

STORE_TIMEOUT = 1.0
ANSWER_WITHIN = STORE_TIMEOUT + 1.5  # the 503 comes after the store timeout, not SQLite's 30 s
PROMPT = 1.0  # what does not need the database answers at once
BUSY = {"error": "store_busy", "message": "系统暂时有点忙，请稍后再试。"}


def rollback_journal_store(path) -> Store:
    """The service's store on a file in rollback-journal mode (open_store makes every file WAL,
    where another connection's lock stops writers only): here a lock stops readers too."""
    engine = create_engine(f"sqlite:///{path}", future=True, connect_args={"check_same_thread": False, "timeout": 30})

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn, _record):
        dbapi_conn.execute("PRAGMA busy_timeout=30000")
        dbapi_conn.execute("PRAGMA foreign_keys=ON")

    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode=DELETE").scalar() == "delete"
    migrate(engine)
    return Store(engine)


def start(tmp_path, store=None) -> tuple[LiveApp, AgentClient, dict]:
    live = LiveApp(make_settings(tmp_path, STORE_TIMEOUT_SECONDS=str(STORE_TIMEOUT)), store)
    live.app.ctx.escalation_interval = 3600  # no background pass in the middle of the measurements
    live.start()
    add_agent(live.store, "lily", display_name="丽丽")
    lily = AgentClient(live, "lily")
    ticket = live.call("POST", "/api/tickets", json=ticket_body("busy-1")).json()["ticket"]
    return live, lily, ticket


@contextmanager
def locked(path):
    """Another connection holds the database's exclusive lock until the block ends."""
    locker = sqlite3.connect(path, isolation_level=None, timeout=5)
    locker.execute("BEGIN EXCLUSIVE")
    try:
        yield
    finally:
        locker.execute("ROLLBACK")
        locker.close()


def timed(call, *args, **kwargs) -> tuple[requests.Response, float]:
    started = time.monotonic()
    response = call(*args, **kwargs)
    return response, time.monotonic() - started


def assert_busy(response: requests.Response, elapsed: float) -> None:
    assert response.status_code == 503, response.text
    assert response.json() == BUSY
    assert elapsed < ANSWER_WITHIN, f"the 503 took {elapsed:.1f} s"


def assert_prompt(response: requests.Response, elapsed: float, what: str) -> None:
    assert response.status_code == 200, f"{what}: {response.status_code} {response.text[:200]}"
    assert elapsed < PROMPT, f"{what} took {elapsed:.1f} s while desk requests waited for the database"


@pytest.fixture
def journal(tmp_path):
    path = tmp_path / "journal.sqlite3"
    live, lily, ticket = start(tmp_path, rollback_journal_store(path))
    yield live, lily, ticket, path
    live.stop()


def test_a_database_nobody_can_read_makes_the_desk_answer_503_and_nothing_else_waits(journal):
    live, lily, ticket, path = journal
    with locked(path):
        assert_busy(*timed(live.call, "GET", "/api/tickets"))
        # The same answer as the chat's history when the database does not answer.
        chat = requests.get(f"{live.base}/api/chat/{ticket['session_id']}/messages", timeout=30)
        assert (chat.status_code, chat.json()) == (503, BUSY)
        # An agent's session is read once per request: one wait, not two (middleware and route).
        assert_busy(*timed(lily.call, "GET", "/api/tickets"))
        for method, path_ in (("GET", f"/api/tickets/{ticket['id']}"), ("GET", "/api/desk/canned-replies"),
                              ("GET", "/api/desk/live"), ("PATCH", f"/api/tickets/{ticket['id']}"),
                              ("GET", "/api/stats/alerts")):
            body = {"json": {"priority": "high"}} if method == "PATCH" else {}
            assert_busy(*timed(lily.call, method, path_, **body))

        # Several desk requests waiting for the database at once; the rest is served meanwhile.
        with ThreadPoolExecutor(4) as pool:
            waiting = [pool.submit(timed, lily.call, "GET", "/api/tickets") for _ in range(3)]
            waiting.append(pool.submit(timed, live.call, "GET", f"/api/tickets/{ticket['id']}"))
            time.sleep(0.2)
            health, took = timed(requests.get, f"{live.base}/healthz", timeout=30)
            assert took < PROMPT + 3, f"/healthz took {took:.1f} s"  # its own probe gives up after 3 s
            assert health.json()["services"]["bot"]["ok"] is False
            assert_prompt(*timed(lily.call, "GET", "/desk/assets/common.js"), "a desk file (with the cookie)")
            assert_prompt(*timed(requests.get, f"{live.base}/desk/login", timeout=30), "the login page")
            assert_prompt(*timed(requests.get, f"{live.base}/widget.js", timeout=30), "the widget")
            for future in waiting:
                assert_busy(*future.result())

        page = lily.call("GET", "/desk")  # a page says it in words, not JSON, and keeps the agent logged in
        assert page.status_code == 503 and "系统暂时有点忙" in page.text
        assert page.headers["Content-Type"].startswith("text/html")
        login = requests.post(f"{live.base}/desk/login", allow_redirects=False, timeout=30,
                              data={"name": "lily", "password": "correct horse 1", "next": "/desk/stats"})
        assert login.status_code == 303
        assert login.headers["Location"] == "/desk/login?error=store_busy&next=%2Fdesk%2Fstats"

    response, elapsed = timed(live.call, "GET", "/api/tickets")
    assert response.status_code == 200 and elapsed < ANSWER_WITHIN
    assert [t["id"] for t in response.json()["tickets"]] == [ticket["id"]]
    assert lily.call("GET", "/api/tickets").status_code == 200
    assert lily.call("GET", "/desk").status_code == 200
    assert "系统暂时有点忙" in requests.get(f"{live.base}/desk/login?error=store_busy", timeout=30).text


@pytest.fixture
def wal(tmp_path):
    live, lily, ticket = start(tmp_path)
    yield live, lily, ticket, tmp_path / "desk.sqlite3"
    live.stop()


def test_a_write_lock_on_the_wal_file_stops_only_the_writes(wal):
    live, lily, ticket, path = wal
    with locked(path):
        with ThreadPoolExecutor(2) as pool:
            change = pool.submit(timed, lily.call, "PATCH", f"/api/tickets/{ticket['id']}", json={"priority": "high"})
            created = pool.submit(timed, live.call, "POST", "/api/tickets", json=ticket_body("busy-2"))
            time.sleep(0.2)
            # Reads need no lock in WAL mode: the queue still loads while the writes wait.
            assert_prompt(*timed(lily.call, "GET", "/api/tickets"), "the queue")
            assert_prompt(*timed(requests.get, f"{live.base}/widget.js", timeout=30), "the widget")
            assert_busy(*change.result())
            assert_busy(*created.result())
    response, elapsed = timed(lily.call, "PATCH", f"/api/tickets/{ticket['id']}", json={"priority": "high"})
    assert response.status_code == 200 and elapsed < ANSWER_WITHIN
    assert live.store.get_ticket(ticket["id"])["priority"] == "high"
    again = live.call("POST", "/api/tickets", json=ticket_body("busy-2"))  # the assistant retries: one ticket
    assert again.status_code in (200, 201)
    assert len(live.store.tickets_for_customer(session_id="s-busy-2")) == 1
