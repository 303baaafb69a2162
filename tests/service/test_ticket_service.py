"""The ticket service (bot.services.tickets.service) is the one place a ticket change is written,
announced on the event hub and notified: each change tells the desk exactly once, with what
changed, and nothing is announced when nothing was written. A real SQLite store and event hub."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from bot.services.tickets import NewTicket, TicketService
from bot.store import open_store
from bot.web.events import EventHub
from tests.support.live_app import make_settings

MONDAY_10 = datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc)  # Monday 10:00 in Shanghai


class RecordingNotifier:
    def __init__(self):
        self.sent: list[tuple[str, str]] = []

    def notify(self, kind: str, ticket: dict) -> None:
        self.sent.append((kind, ticket["id"]))


@pytest.fixture
def setup(tmp_path):
    store = open_store(f"sqlite:///{tmp_path / 'store.sqlite3'}")
    hub, notifier = EventHub(), RecordingNotifier()
    service = TicketService(store, make_settings(tmp_path), hub=hub, notifier=notifier, clock=lambda: MONDAY_10)
    yield service, hub, notifier
    store.close()


def complaint(key: str, description: str = "快递五天了还没到，麻烦催一下") -> NewTicket:
    return NewTicket(idempotency_key=key, issue_type="logistics_delay", description=description, session_id=f"s-{key}")


def events(hub: EventHub, after: int = 0) -> list[tuple[str, list[str]]]:
    """(kind, the actions of its changes) of every event published after id `after`."""
    return [(e.kind, [c["action"] for c in e.data.get("changes", [])]) for e in hub.since(after)]


def test_opening_announces_and_notifies_once_and_a_retry_tells_nobody(setup):
    service, hub, notifier = setup
    ticket, created = service.open(complaint("k1"))
    again, created_again = service.open(complaint("k1"))
    urgent, _ = service.open(complaint("k2", "孩子用了过敏了，我要找律师"))

    assert created and not created_again and again["id"] == ticket["id"]
    assert events(hub) == [("ticket_created", []), ("ticket_created", [])]
    assert hub.since(0)[0].data["ticket"]["id"] == ticket["id"]
    assert notifier.sent == [("new", ticket["id"]), ("urgent", urgent["id"])]


def test_update_reply_rate_and_resolve_each_announce_what_was_written(setup):
    service, hub, notifier = setup
    ticket, _ = service.open(complaint("k3"))
    seen = hub.since(0)[-1].id

    service.update(ticket["id"], {"assignee": "lily"}, "lily")
    _, nothing = service.update(ticket["id"], {"assignee": "lily"}, "lily")  # no change, no event
    _, message = service.reply(ticket["id"], "您好，正在为您催件", "lily", display_name="丽丽")
    service.resolve(ticket["id"], "lily", "已补发", now=MONDAY_10 + timedelta(minutes=30))
    rated = service.rate(ticket["id"], ticket["session_id"], 4, "挺快的")

    assert nothing == []
    assert events(hub, seen) == [
        ("ticket_updated", ["assigned", "status_changed"]),
        ("message", []),
        ("ticket_updated", ["replied"]),
        ("ticket_updated", ["status_changed", "note"]),
        ("ticket_updated", ["csat"]),
    ]
    published = hub.since(seen)
    assert published[1].data == {"session_id": ticket["session_id"], "ticket_id": ticket["id"], "message": message}
    assert published[-1].data["changes"][0]["details"] == {"score": 4, "comment": "挺快的"}
    assert published[-1].data["ticket"]["csat"] == rated["csat"] == 4
    assert notifier.sent == [("new", ticket["id"])]  # changes tell the desk, not the shop's webhook


def test_resolve_only_ends_a_ticket(setup):
    service, hub, _ = setup
    ticket, _ = service.open(complaint("k4"))
    with pytest.raises(ValueError):
        service.resolve(ticket["id"], "lily", "换个状态", status="open")
    closed, written = service.resolve(ticket["id"], "system", "重复工单", status="closed", merged_into="TK-x")

    assert closed["status"] == "closed" and closed["resolved_at"] is not None
    assert [c["action"] for c in written] == ["status_changed", "note"]
    assert hub.since(0)[-1].data["merged_into"] == "TK-x"
