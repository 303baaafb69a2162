"""SLA clocks and escalation: due times come from the business calendar, an overdue ticket is
escalated exactly once (priority one step up, an audit event, a live event, an `overdue`
webhook), answered or resolved tickets are left alone, and the app's background task does it
by itself. Runs on SQLite and PostgreSQL."""
from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta, timezone

import pytest

from bot.services.tickets import NewTicket, TicketService, open_ticket
from bot.web.events import EventHub
from tests.support.live_app import LiveApp, Receiver, make_settings

MONDAY_10 = datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc)  # Monday 10:00 in Shanghai
FRIDAY_2330 = datetime(2026, 11, 27, 15, 30, tzinfo=timezone.utc)  # Friday 23:30 in Shanghai


@pytest.fixture
def settings(tmp_path):
    # Weekdays 09:00-18:00 and weekends 10:00-18:00, no public holidays: predictable promises.
    return make_settings(tmp_path, BUSINESS_HOURS="mon-fri 09:00-18:00; sat-sun 10:00-18:00")


def new(key: str, description: str = "快递还没到，麻烦看一下", **extra) -> NewTicket:
    fields = {"session_id": f"s-{key}", "expectation": "expedite", **extra}
    return NewTicket(idempotency_key=key, issue_type="logistics_delay", description=description, **fields)


class RecordingNotifier:
    """Stands in for the webhook sender, which has its own tests against a real receiver."""

    def __init__(self):
        self.sent: list[tuple[str, str]] = []

    def notify(self, kind: str, ticket: dict) -> None:
        self.sent.append((kind, ticket["id"]))


def test_due_times_follow_the_business_calendar(store, settings):
    ticket, _ = open_ticket(store, settings, new("open-hours"), now=MONDAY_10)
    assert ticket["first_response_due"] == MONDAY_10 + timedelta(minutes=15)
    assert ticket["resolution_due"] == MONDAY_10 + timedelta(hours=24)
    assert ticket["off_hours"] is False
    night, _ = open_ticket(store, settings, new("night"), now=FRIDAY_2330)
    saturday_open = datetime(2026, 11, 28, 2, 0, tzinfo=timezone.utc)  # Saturday 10:00 in Shanghai
    assert night["off_hours"] is True
    assert night["first_response_due"] == saturday_open + timedelta(minutes=15)
    assert night["resolution_due"] == saturday_open + timedelta(hours=24)
    urgent, _ = open_ticket(store, settings, new("urgent", "孩子用了过敏了，我要找律师"), now=MONDAY_10)
    assert urgent["priority"] == "urgent" and urgent["first_response_due"] == MONDAY_10 + timedelta(minutes=5)
    wants_money, _ = open_ticket(store, settings, new("complex", expectation="compensation"), now=MONDAY_10)
    assert wants_money["complex_case"] and wants_money["resolution_due"] == MONDAY_10 + timedelta(hours=48)


def test_overdue_ticket_is_escalated_once(store, settings):
    hub, notifier = EventHub(), RecordingNotifier()
    tickets = TicketService(store, settings, hub=hub, notifier=notifier)
    ticket, _ = open_ticket(store, settings, new("late"), now=MONDAY_10)
    assert tickets.escalate_overdue(MONDAY_10 + timedelta(minutes=14)) == []
    later = MONDAY_10 + timedelta(minutes=16)
    escalated = tickets.escalate_overdue(later)
    assert [t["id"] for t in escalated] == [ticket["id"]]
    stored = store.get_ticket(ticket["id"])
    assert stored["priority"] == "high" and stored["escalated_at"] == later
    event = store.list_events(ticket["id"])[-1]
    assert (event["actor"], event["action"]) == ("system", "escalated")
    assert event["details"]["reason"] == "first_response" and event["details"]["from"] == "normal"
    assert notifier.sent == [("overdue", ticket["id"])]
    assert [e.kind for e in hub.since(0)] == ["ticket_updated"]
    # Once only: later passes leave it alone, also past the resolution due time.
    assert tickets.escalate_overdue(later + timedelta(days=3)) == []
    assert store.get_ticket(ticket["id"])["priority"] == "high"
    assert len(notifier.sent) == 1


def test_answered_tickets_wait_for_the_resolution_due_time(store, settings):
    ticket, _ = open_ticket(store, settings, new("answered"), now=MONDAY_10)
    store.add_reply(ticket["id"], "您好，正在处理", "lily", MONDAY_10 + timedelta(minutes=3))
    assert TicketService(store, settings).escalate_overdue(MONDAY_10 + timedelta(hours=2)) == []
    escalated = TicketService(store, settings).escalate_overdue(MONDAY_10 + timedelta(hours=25))
    assert [t["id"] for t in escalated] == [ticket["id"]]
    assert store.list_events(ticket["id"])[-1]["details"]["reason"] == "resolution"


def test_resolved_tickets_are_never_escalated_and_urgent_stays_urgent(store, settings):
    done, _ = open_ticket(store, settings, new("done"), now=MONDAY_10)
    store.update_ticket(done["id"], {"status": "resolved"}, "lily", MONDAY_10 + timedelta(minutes=1))
    urgent, _ = open_ticket(store, settings, new("urgent", "再不处理我就曝光你们"), now=MONDAY_10)
    escalated = TicketService(store, settings).escalate_overdue(MONDAY_10 + timedelta(days=5))
    assert [t["id"] for t in escalated] == [urgent["id"]]
    assert store.get_ticket(urgent["id"])["priority"] == "urgent"
    assert store.get_ticket(done["id"])["escalated_at"] is None


def test_repeat_contact_within_seven_days_raises_priority(store, settings):
    first, _ = open_ticket(store, settings, new("r1", customer_ref="cust-r"), now=MONDAY_10)
    assert first["priority"] == "normal" and first["repeat_contacts"] == 0
    second, _ = open_ticket(store, settings, new("r2", customer_ref="cust-r"), now=MONDAY_10 + timedelta(days=2))
    assert second["priority"] == "high" and "repeat_contact" in second["risk_flags"]
    assert any("第 2 次" in reason for reason in second["triage_reasons"])
    much_later, _ = open_ticket(store, settings, new("r3", customer_ref="cust-r"), now=MONDAY_10 + timedelta(days=20))
    assert much_later["priority"] == "normal" and much_later["repeat_contacts"] == 0


def test_the_app_escalates_by_itself_in_the_background(tmp_path):
    with Receiver() as receiver:
        settings = make_settings(tmp_path, WEBHOOK_URL=receiver.url, WEBHOOK_FORMAT="feishu")
        live = LiveApp(settings)
        live.app.ctx.escalation_interval = 0.2
        ticket, _ = open_ticket(live.store, settings, new("bg"), now=datetime.now(timezone.utc) - timedelta(hours=1))
        live.start()
        try:
            deadline = time.monotonic() + 10
            while live.store.get_ticket(ticket["id"])["escalated_at"] is None and time.monotonic() < deadline:
                time.sleep(0.05)
            assert live.store.get_ticket(ticket["id"])["escalated_at"] is not None
            assert receiver.received.wait(10)
        finally:
            live.stop()
    assert receiver.requests[0]["json"]["content"]["text"].startswith(f"投诉工单超时未处理 {ticket['id']}")


async def test_events_reach_subscribers_in_order():
    hub = EventHub()
    with hub.subscribe() as subscription:
        hub.publish("ticket_created", {"n": 1})
        hub.publish("ticket_updated", {"n": 2})
        first, second = await subscription.next(1), await subscription.next(1)
        assert (first.kind, second.kind) == ("ticket_created", "ticket_updated") and second.id > first.id
        assert await subscription.next(0.05) is None
    assert hub.subscriber_count == 0
    with pytest.raises(ValueError):
        hub.publish("made_up", {})
    await asyncio.sleep(0)
