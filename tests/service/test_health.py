"""/healthz and the desk tell the shop what it must act on: services restarted by the supervisor,
and holiday data missing for the coming weeks (the desk shows the same warning via /api/me)."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from tests.support.live_app import AgentClient, LiveApp, add_agent, make_settings
from tests.unit.test_holiday_coverage import last_known_year


@pytest.fixture
def live(tmp_path):
    status = tmp_path / "supervisor.json"
    status.write_text(json.dumps({"supervisor_pid": 1, "services": {
        "rasa": {"state": "up", "pid": 42, "restarts": 2, "last_exit_code": -9,
                 "last_exit_at": "2026-11-30T08:00:00+00:00", "up_since": "2026-11-30T08:00:30+00:00"},
        "actions": {"state": "up", "pid": 43, "restarts": 0, "last_exit_code": None, "last_exit_at": None},
        "bot": {"state": "up", "pid": 44, "restarts": 0, "last_exit_code": None, "last_exit_at": None}}}))
    running = LiveApp(make_settings(tmp_path, FOLLOW_CHINA_HOLIDAYS="true",
                                    SUPERVISOR_STATUS_FILE=str(status))).start()
    add_agent(running.store, "lily")
    yield running
    running.stop()


def test_health_shows_restarts_from_the_supervisor(live):
    body = live.call("GET", "/healthz", token=None).json()
    assert body["services"]["rasa"]["restarts"] == 2 and body["services"]["rasa"]["last_exit_code"] == -9
    assert body["services"]["action_server"]["restarts"] == 0
    assert body["supervisor"]["services"]["rasa"]["state"] == "up"


def test_missing_holiday_data_is_a_warning_in_health_and_on_the_desk(live):
    year = last_known_year()
    live.set_clock(datetime(year, 12, 10, 4, tzinfo=timezone.utc))
    body = live.call("GET", "/healthz", token=None).json()
    [warning] = body["warnings"]
    assert warning["code"] == "holiday_data_missing" and warning["first_uncovered_day"] == f"{year + 1}-01-01"
    assert "SHOP_CLOSED_DAYS" in warning["message"]
    me = AgentClient(live, "lily").call("GET", "/api/me").json()
    assert me["warnings"] == body["warnings"]

    live.set_clock(datetime(year, 6, 1, 4, tzinfo=timezone.utc))
    assert live.call("GET", "/healthz", token=None).json()["warnings"] == []
