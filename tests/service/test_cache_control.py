"""Answers about tickets, conversations and agents carry `Cache-Control: no-store`, errors too, so
no browser or proxy keeps a copy (issue 13, finding 6). The bot service served for real."""
from __future__ import annotations

import pytest
import requests

from tests.support.live_app import AgentClient, LiveApp, add_agent, make_settings, ticket_body


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    running = LiveApp(make_settings(tmp_path_factory.mktemp("cache_control")))
    running.app.ctx.escalation_interval = 3600
    running.start()
    add_agent(running.store, "lily")
    yield running
    running.stop()


def test_ticket_chat_and_agent_answers_are_never_stored(live):
    ticket = live.call("POST", "/api/tickets", json=ticket_body("no-store-1")).json()["ticket"]
    lily = AgentClient(live, "lily")
    answers = {
        "create": live.call("POST", "/api/tickets", json=ticket_body("no-store-1")),
        "list": live.call("GET", "/api/tickets"),
        "one": live.call("GET", f"/api/tickets/{ticket['id']}"),
        "missing": live.call("GET", "/api/tickets/TK-20200101-9999"),
        "unauthorised": live.call("GET", "/api/tickets", token=None),
        "export": live.call("GET", "/api/tickets/export.csv"),
        "progress": live.call("GET", f"/api/progress?session_id={ticket['session_id']}"),
        "me": lily.call("GET", "/api/me"),
        "agents": lily.call("GET", "/api/agents"),
        "chat_history": requests.get(f"{live.base}/api/chat/s-no-store/messages", timeout=30),
        "chat_post": requests.post(f"{live.base}/api/chat/s-no-store/messages", json={"text": "快递丢了"}, timeout=30),
        "chat_bad": requests.post(f"{live.base}/api/chat/s-no-store/messages", json={}, timeout=30),
    }
    assert {name: r.headers.get("Cache-Control") for name, r in answers.items()} == \
        {name: "no-store" for name in answers}
    assert answers["one"].status_code == 200 and answers["unauthorised"].status_code == 401
    assert answers["chat_post"].status_code == 200


def test_public_pages_keep_their_own_caching(live):
    response = requests.get(f"{live.base}/api/shop/status", timeout=30)
    assert response.status_code == 200 and response.headers.get("Cache-Control") != "no-store"
