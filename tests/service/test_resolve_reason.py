"""Resolving means answered: ending a ticket nobody replied to needs a reason, which is written in
the audit trail and told to the customer instead of "客服已处理完您的问题"."""
from __future__ import annotations

from tests.service.test_handoff import history, open_ticket_for, wait_for  # noqa: F401 (fixtures)
from tests.support.live_app import AgentClient


def test_resolving_without_a_reply_is_refused_without_a_reason(live):
    ticket = open_ticket_for(live, "s-noreply")
    lily = AgentClient(live, "lily")
    path = f"/api/tickets/{ticket['id']}"
    lily.call("PATCH", path, json={"assignee": "lily"})
    for status in ("resolved", "closed"):
        refused = lily.call("PATCH", path, json={"status": status})
        assert refused.status_code == 422, refused.text
        assert refused.json()["error"] == "reason_required" and refused.json()["field"] == "reason"
        assert "还没有回复过顾客" in refused.json()["message"]
    assert live.store.get_ticket(ticket["id"])["status"] == "open"
    assert lily.call("PATCH", path, json={"status": "resolved", "reason": "   "}).status_code == 422

    done = lily.call("PATCH", path, json={"status": "resolved", "reason": "已电话联系顾客，同意补发"})
    assert done.status_code == 200 and done.json()["ticket"]["status"] == "resolved"
    events = live.call("GET", path).json()["ticket"]["events"]
    assert events[-1]["action"] == "status_changed"
    assert events[-1]["details"] == {"from": "open", "to": "resolved", "reason": "已电话联系顾客，同意补发"}
    closing = wait_for(lambda: [m for m in history(live, "s-noreply")["messages"]
                                if m["meta"].get("kind") == "agent_done"])
    assert "已电话联系顾客，同意补发" in closing[-1]["text"] and "客服已处理完" not in closing[-1]["text"]


def test_after_a_reply_no_reason_is_needed_and_machines_need_one_too(live):
    answered = open_ticket_for(live, "s-answered")
    lily = AgentClient(live, "lily")
    path = f"/api/tickets/{answered['id']}"
    lily.call("POST", f"{path}/replies", json={"text": "您好，已为您补发"})
    assert lily.call("PATCH", path, json={"status": "resolved"}).status_code == 200
    closing = [m for m in history(live, "s-answered")["messages"] if m["meta"].get("kind") == "agent_done"]
    assert "客服已处理完您的问题" in closing[-1]["text"]

    silent = open_ticket_for(live, "s-machine")
    assert live.call("PATCH", f"/api/tickets/{silent['id']}", json={"status": "closed"}).status_code == 422
    assert live.call("PATCH", f"/api/tickets/{silent['id']}",
                     json={"status": "closed", "reason": "顾客已撤回投诉"}).status_code == 200
