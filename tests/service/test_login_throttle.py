"""Failed desk logins back off per name *and* address and survive a restart (issue 13, finding 6):
the right password still works from another address and for colleagues behind the same address.
The bot service is served for real; the second address is 127.0.0.2 (all of 127/8 is loopback)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import requests
from requests.adapters import HTTPAdapter

from bot.store import open_store
from bot.web.auth import LoginThrottle
from tests.support.live_app import LiveApp, add_agent, make_settings

PASSWORD = "correct horse 1"
T0 = datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc)


class FromAddress(HTTPAdapter):
    """Connections that leave from `address` (a second loopback address plays another office)."""

    def __init__(self, address: str):
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = (self.address, 0)
        super().init_poolmanager(*args, **kwargs)


def client(address: str = "127.0.0.1") -> requests.Session:
    session = requests.Session()
    session.mount("http://", FromAddress(address))
    return session


def login(live: LiveApp, name: str, password: str, address: str = "127.0.0.1") -> requests.Response:
    return client(address).post(f"{live.base}/desk/login", json={"name": name, "password": password}, timeout=30)


@pytest.fixture()
def live(tmp_path):
    running = LiveApp(make_settings(tmp_path))
    running.app.ctx.escalation_interval = 3600
    running.start()
    running.set_clock(T0)
    for name in ("target", "colleague"):
        add_agent(running.store, name, PASSWORD)
    yield running
    running.stop()


def test_guessing_a_password_blocks_that_name_from_that_address_only(live):
    for _ in range(4):
        assert login(live, "target", "guess1234").status_code == 401  # free failures: no wait
    assert login(live, "target", PASSWORD).status_code == 200  # and the owner still gets in
    for _ in range(5):
        login(live, "target", "guess1234")
    blocked = login(live, "target", PASSWORD)
    assert blocked.status_code == 429 and blocked.json()["error"] == "too_many_attempts"
    assert blocked.json()["retry_after"] == 15 and "15 秒" in blocked.json()["message"]
    # The owner from home, and a colleague in the same office, are not locked out.
    assert login(live, "target", PASSWORD, address="127.0.0.2").status_code == 200
    assert login(live, "colleague", PASSWORD).status_code == 200
    # The wait ends on its own; then the right password works and clears the count.
    live.set_clock(T0 + timedelta(seconds=16))
    assert login(live, "target", PASSWORD).status_code == 200
    assert login(live, "target", "guess1234").status_code == 401
    assert login(live, "target", PASSWORD).status_code == 200


def test_each_further_failure_doubles_the_wait_up_to_fifteen_minutes(live):
    throttle: LoginThrottle = live.app.ctx.login_throttle
    waits = []
    for failure in range(1, 13):
        now = T0 + timedelta(hours=failure)  # after the previous wait, within the day failures are kept
        live.set_clock(now)
        assert login(live, "target", "guess1234").status_code == 401
        waits.append(throttle.retry_after("target", "127.0.0.1", now))
    assert waits == [0, 0, 0, 0, 15, 30, 60, 120, 240, 480, 900, 900]
    live.set_clock(T0 + timedelta(days=2))  # a day without failures: forgotten
    assert login(live, "target", "guess1234").status_code == 401
    assert throttle.retry_after("target", "127.0.0.1", T0 + timedelta(days=2)) == 0


def test_failed_logins_survive_a_restart(tmp_path):
    settings = make_settings(tmp_path)
    first = LiveApp(settings).start()
    add_agent(first.store, "target", PASSWORD)
    for _ in range(6):
        login(first, "target", "guess1234")
    first.stop()
    first.store.close()

    second = LiveApp(settings).start()  # the same database file, a new process state
    try:
        assert login(second, "target", PASSWORD).status_code == 429
        assert login(second, "target", PASSWORD, address="127.0.0.2").status_code == 200
    finally:
        second.stop()


def test_nothing_typed_is_stored_only_a_hash(tmp_path):
    store = open_store(make_settings(tmp_path).database_url)
    throttle = LoginThrottle(store)
    throttle.failed("my-password-in-the-name-box", "203.0.113.9", T0)
    with store.engine.connect() as conn:
        rows = [tuple(row) for row in conn.exec_driver_sql("SELECT * FROM login_failures")]
    assert len(rows) == 1 and "my-password" not in str(rows) and "203.0.113.9" not in str(rows)
    assert throttle.retry_after("my-password-in-the-name-box", "203.0.113.9", T0) == 0
