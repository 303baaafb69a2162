"""A mis-tapped rating corrected in the chat within 10 minutes (bot.services.handoff.csat): the
stored score changes, the audit trail says from what to what, the customer gets one confirmation;
later than that, or without a rating to correct, the words go to the assistant as usual.
Harness: tests/service/test_handoff.py (real bot service on loopback, a fake Rasa)."""
from __future__ import annotations

from datetime import timedelta

from tests.service.test_handoff import history, open_ticket_for, say  # noqa: F401 (fixtures)
from tests.support.live_app import AgentClient


def resolved_ticket(live, session: str) -> dict:
    ticket = open_ticket_for(live, session)
    lily = AgentClient(live, "lily")
    lily.call("PATCH", f"/api/tickets/{ticket['id']}", json={"assignee": "lily"})
    lily.call("POST", f"/api/tickets/{ticket['id']}/replies", json={"text": "已经给您补发了"})
    lily.call("PATCH", f"/api/tickets/{ticket['id']}", json={"status": "resolved"})
    return ticket


def csat_events(live, ticket_id: str) -> list[dict]:
    events = live.call("GET", f"/api/tickets/{ticket_id}").json()["ticket"]["events"]
    return [e["details"] for e in events if e["action"] == "csat"]


def test_a_mistapped_rating_is_corrected_in_one_message(live, rasa):
    session = "s-fix-1"
    ticket = resolved_ticket(live, session)
    say(live, session, '/rate{"rating": 1}', button_title="1 非常不满意")
    assert live.store.get_ticket(ticket["id"])["csat"] == 1

    answer = say(live, session, "刚才点错了，应该是5分").json()
    assert [r["text"] for r in answer["replies"]] == ["好的，已把您的评分改为 5 分，谢谢您的评价！"]
    stored = live.store.get_ticket(ticket["id"])
    assert stored["csat"] == 5 and stored["csat_comment"] is None, "the correction is not taken for a comment"
    assert csat_events(live, ticket["id"])[-1] == {"score": 5, "comment": None, "corrected_from": 1}
    assert rasa.texts(session) == []


def test_a_bare_mistake_gets_the_buttons_and_the_next_rating_replaces_the_old(live, rasa):
    session = "s-fix-2"
    ticket = resolved_ticket(live, session)
    say(live, session, "2分 太慢了")
    answer = say(live, session, "点错了").json()
    assert len(answer["replies"]) == 1 and "改成几分" in answer["replies"][0]["text"]
    assert [b["payload"] for b in answer["replies"][0]["buttons"]][0] == '/rate{"rating": 5}'
    answer = say(live, session, '/rate{"rating": 4}', button_title="4 满意").json()
    assert [r["text"] for r in answer["replies"]] == ["好的，已把您的评分改为 4 分，谢谢您的评价！"]
    stored = live.store.get_ticket(ticket["id"])
    assert stored["csat"] == 4 and stored["csat_comment"] == "太慢了", "the comment is kept"
    assert csat_events(live, ticket["id"])[-1]["corrected_from"] == 2
    kinds = [m["meta"].get("kind") for m in history(live, session)["messages"] if m["sender"] == "bot"]
    assert kinds[-2:] == ["rating_fix", "rating_done"]


def test_no_correction_after_ten_minutes_or_without_a_rating(live, rasa):
    session = "s-fix-3"
    ticket = resolved_ticket(live, session)
    say(live, session, "点错了")  # nothing rated yet: the assistant answers
    assert rasa.texts(session) == ["点错了"]
    say(live, session, "1")
    now = live.app.ctx.clock
    live.app.ctx.clock = lambda: now() + timedelta(minutes=11)
    try:
        say(live, session, "改成5分")
    finally:
        live.app.ctx.clock = now
    assert live.store.get_ticket(ticket["id"])["csat"] == 1
    assert rasa.texts(session)[-1] == "改成5分"
