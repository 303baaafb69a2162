"""The ticket service's intake on SQLite and PostgreSQL: quiet records filed once even when two
replicas run the pass at the same moment, a record the dialogue filed meanwhile left alone, and a
message appended while the dialogue sets a field at the same moment — nothing lost."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest

from bot.services.tickets import IntakeUpdate, NewTicket, TicketService
from tests.support.live_app import make_settings

MONDAY_10 = datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc)  # Monday 10:00 in Shanghai


@pytest.fixture
def settings(tmp_path):
    return make_settings(tmp_path, BUSINESS_HOURS="daily 00:00-24:00")


class RecordingNotifier:
    def __init__(self):
        self.sent: list[tuple[str, str]] = []
        self._lock = threading.Lock()

    def notify(self, kind: str, ticket: dict) -> None:
        with self._lock:
            self.sent.append((kind, ticket["id"]))


def collecting(service: TicketService, key: str, **extra) -> dict:
    ticket, _ = service.open(NewTicket(idempotency_key=key, issue_type="logistics_delay", session_id=f"s-{key}",
                                       description="快递五天没到", intake="collecting", **extra), now=MONDAY_10)
    return ticket


def test_a_quiet_record_is_filed_once_by_two_replicas_at_once(store, settings):
    notifier = RecordingNotifier()
    replicas = [TicketService(store, settings, notifier=notifier) for _ in range(2)]
    ticket = collecting(replicas[0], "quiet")
    assert notifier.sent == []  # being collected: the team hears when it is filed
    later = MONDAY_10 + timedelta(minutes=11)
    assert replicas[0].file_quiet_intakes(10, MONDAY_10 + timedelta(minutes=9)) == []  # not quiet long enough
    results: list[list[dict]] = []
    start = threading.Barrier(2)

    def run(service):
        start.wait()
        results.append(service.file_quiet_intakes(10, later))

    threads = [threading.Thread(target=run, args=(service,)) for service in replicas]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(len(found) for found in results) == [0, 1]
    filed = store.get_ticket(ticket["id"])
    assert (filed["intake"], filed["missing_fields"]) == ("incomplete", ["order_number", "expectation"])
    assert [e["action"] for e in store.list_events(ticket["id"])] == ["created", "intake_updated"]
    assert notifier.sent == [("new", ticket["id"])]


def test_a_record_filed_by_the_dialogue_meanwhile_is_left_alone(store, settings):
    service = TicketService(store, settings)
    ticket = collecting(service, "confirmed")
    service.update_intake(ticket["id"], IntakeUpdate(order_number="4512345678901234567", expectation="expedite",
                                                     intake="complete"), "bot", now=MONDAY_10)
    filing = IntakeUpdate(intake="incomplete", reason="idle", only_while_collecting=True)
    _, written = service.update_intake(ticket["id"], filing, "system", now=MONDAY_10 + timedelta(minutes=11))
    assert written == [] and store.get_ticket(ticket["id"])["intake"] == "complete"


def test_a_message_and_a_field_written_at_the_same_moment_both_stay(store, settings):
    services = [TicketService(store, settings) for _ in range(2)]
    ticket = collecting(services[0], "race")
    start = threading.Barrier(2)
    changes = [IntakeUpdate(append_description="真的很急，X号的飞机", deadline_found="X号的飞机", priority="high",
                            risk_flags=["time_pressure"]),
               IntakeUpdate(expectation="expedite", risk_flags=["anger"])]

    def run(service, change):
        start.wait()
        service.update_intake(ticket["id"], change, "bot", now=MONDAY_10 + timedelta(minutes=1))

    threads = [threading.Thread(target=run, args=pair) for pair in zip(services, changes, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    now = store.get_ticket(ticket["id"])
    assert now["description"] == "快递五天没到\n真的很急，X号的飞机" and now["expectation"] == "expedite"
    assert now["risk_flags"] == ["anger", "time_pressure"] and now["customer_deadline"] == "X号的飞机"
    assert len([e for e in store.list_events(ticket["id"]) if e["action"] == "intake_updated"]) == 2


def test_a_wish_stated_in_a_message_counts_once_the_intake_is_filed(store, settings):
    """After a hand-off a wish the customer names fills the ticket's empty one ("要她道歉") and a
    stated one replaces it ("不对 我要换货不要退款"); while the dialogue is still collecting nothing
    changes (the form decides), and a question names no wish."""
    from bot.services.tickets.intake import message_update

    service = TicketService(store, settings)
    ticket = collecting(service, "wish")
    patterns = settings.order_number_patterns
    service.update_intake(ticket["id"], message_update("还是退款吧", patterns), "customer", now=MONDAY_10)
    assert store.get_ticket(ticket["id"])["expectation"] is None
    service.update_intake(ticket["id"], IntakeUpdate(intake="incomplete", handoff_requested=True), "bot",
                          now=MONDAY_10 + timedelta(minutes=1))
    service.update_intake(ticket["id"], message_update("能不能换货", patterns), "customer",
                          now=MONDAY_10 + timedelta(minutes=2))
    assert store.get_ticket(ticket["id"])["expectation"] is None
    # A wish merely named fills one not given, but does not replace one on record.
    service.update_intake(ticket["id"], message_update("要她道歉", patterns), "customer",
                          now=MONDAY_10 + timedelta(minutes=3))
    assert store.get_ticket(ticket["id"])["expectation"] == "explanation"
    service.update_intake(ticket["id"], message_update("换货", patterns), "customer",
                          now=MONDAY_10 + timedelta(minutes=4))
    assert store.get_ticket(ticket["id"])["expectation"] == "explanation"
    service.update_intake(ticket["id"], message_update("不对 我要换货不要退款 样子我挺喜欢的", patterns), "customer",
                          now=MONDAY_10 + timedelta(minutes=5))
    after = store.get_ticket(ticket["id"])
    assert after["expectation"] == "exchange" and "expectation" not in after["missing_fields"]
    assert after["description"].endswith("不对 我要换货不要退款 样子我挺喜欢的")
