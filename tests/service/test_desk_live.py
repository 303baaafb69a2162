"""The desk's live lane and the online/away switch: a customer asking for a person shows up at the
top (`GET /api/desk/live`) and is pushed as `live_waiting`; an agent who switched to away is not
counted for the wait the customer is told."""
from __future__ import annotations

from tests.service.test_handoff import history, say  # noqa: F401 (fixtures)
from tests.support.live_app import AgentClient


def test_a_live_customer_is_in_the_lane_with_the_waiting_time_and_leaves_it_when_claimed(live):
    lily = AgentClient(live, "lily")
    assert lily.call("GET", "/api/desk/live").json()["waiting"] == []
    assert say(live, "s-live-1", "转人工").json()["queue"]["position"] == 1
    lane = lily.call("GET", "/api/desk/live").json()
    assert lane["status"] == "online" and lane["agents_online"] == 1
    [item] = lane["waiting"]
    assert item["session_id"] == "s-live-1" and item["position"] == 1 and item["waiting_seconds"] >= 0
    assert item["ticket"]["handoff_requested"] is True
    pushed = [e.data for e in live.app.ctx.events.since(0) if e.kind == "live_waiting"]
    assert pushed and pushed[-1]["ticket_id"] == item["ticket"]["id"]

    lily.call("PATCH", f"/api/tickets/{item['ticket']['id']}", json={"assignee": "lily"})
    assert lily.call("GET", "/api/desk/live").json()["waiting"] == []


def test_away_agents_are_not_counted_for_the_wait(live):
    lily, max_ = AgentClient(live, "lily"), AgentClient(live, "max")
    lily.call("GET", "/api/me")
    max_.call("GET", "/api/me")
    assert say(live, "s-two-online", "转人工").json()["queue"] == {"position": 1, "wait_minutes": 2}

    answer = max_.call("PUT", "/api/desk/presence", json={"status": "away"})
    assert answer.status_code == 200 and answer.json() == {"status": "away", "agents_online": 1}
    assert say(live, "s-one-online", "转人工").json()["queue"] == {"position": 2, "wait_minutes": 8}

    lily.call("PUT", "/api/desk/presence", json={"status": "away"})
    assert "没有人在线" in say(live, "s-none-online", "转人工").json()["replies"][-1]["text"]
    assert lily.call("PUT", "/api/desk/presence", json={"status": "online"}).json()["status"] == "online"
    assert max_.call("PUT", "/api/desk/presence", json={"status": "busy"}).status_code == 422


def test_the_lane_is_for_agents_only(live):
    assert live.call("GET", "/api/desk/live").status_code == 403
    assert live.call("GET", "/api/desk/live", token=None).status_code == 401
