"""An agent's reply sent again with the same client_id (the desk retries after a timeout or a 503,
or the agent presses 发送 twice) reaches the customer once; a new client_id is a new message."""
from __future__ import annotations

import pytest

from tests.service.test_handoff import history, open_ticket_for  # noqa: F401 (fixtures)
from tests.support.live_app import AgentClient


def test_the_same_reply_sent_twice_is_stored_and_shown_once(live):
    ticket = open_ticket_for(live, "s-twice")
    lily = AgentClient(live, "lily")
    path = f"/api/tickets/{ticket['id']}/replies"
    first = lily.call("POST", path, json={"text": "您好，已为您补发", "client_id": "draft-1"})
    again = lily.call("POST", path, json={"text": "您好，已为您补发", "client_id": "draft-1"})
    assert first.status_code == 201 and again.status_code == 201
    assert again.json()["message"]["id"] == first.json()["message"]["id"]
    other = lily.call("POST", path, json={"text": "您好，已为您补发", "client_id": "draft-2"})
    assert other.json()["message"]["id"] != first.json()["message"]["id"]
    without = lily.call("POST", path, json={"text": "还有别的需要吗"})
    assert without.status_code == 201

    agent_texts = [m["text"] for m in history(live, "s-twice")["messages"] if m["sender"] == "agent"]
    assert agent_texts == ["您好，已为您补发", "您好，已为您补发", "还有别的需要吗"]
    replied = [e for e in live.store.list_events(ticket["id"]) if e["action"] == "replied"]
    assert len(replied) == 3


@pytest.mark.parametrize("client_id", ["has space", "x" * 65, 12, "<b>"])
def test_a_bad_client_id_is_a_clear_422(live, client_id):
    ticket = open_ticket_for(live, "s-bad-id")
    response = AgentClient(live, "lily").call("POST", f"/api/tickets/{ticket['id']}/replies",
                                              json={"text": "您好", "client_id": client_id})
    assert response.status_code == 422 and "client_id" in response.json()["message"]
