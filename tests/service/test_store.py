"""The ticket store on SQLite and on PostgreSQL (the same tests; PostgreSQL is skipped with the
reason when the local server cannot be reached): migrations, per-day ticket numbers in the shop's
time zone under concurrency, idempotency, the audit trail, agents and their sessions, CSV."""
from __future__ import annotations

import csv
import io
import threading
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import inspect

from bot.store import TicketFilter, TicketNotFound, open_store
from bot.store.agents import AgentExists
from bot.store.migrations import MIGRATIONS, migrate
from bot.store.tickets import NoConversation, day_bounds

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc)  # Monday 10:00 in Shanghai


def values(key: str, created_at: datetime = T0, **extra) -> dict:
    row = {
        "idempotency_key": key, "session_id": f"s-{key}", "customer_ref": None, "channel": "web",
        "order_number": "4512345678901234567", "order_number_status": "given", "issue_type": "logistics_delay",
        "category": "logistics", "expectation": "expedite", "description": "快递一直没到", "phone": None,
        "priority": "normal", "risk_flags": [], "triage_reasons": [], "repeat_contacts": 0, "complex_case": False,
        "off_hours": False, "status": "new", "assignee": None, "created_at": created_at,
        "first_response_due": created_at + timedelta(minutes=15), "resolution_due": created_at + timedelta(hours=24),
    }
    row.update(extra)
    return row


def test_migrations_are_idempotent_and_versioned(store):
    version = migrate(store.engine)
    assert version == len(MIGRATIONS) == migrate(store.engine)
    with store.engine.connect() as conn:
        tables = set(inspect(conn).get_table_names())
        versions = [row[0] for row in conn.exec_driver_sql("SELECT version FROM schema_version ORDER BY version")]
    assert {"chat_messages", "tickets", "ticket_counters", "ticket_events", "agents", "agent_sessions"} <= tables
    assert versions == list(range(1, len(MIGRATIONS) + 1))


def test_a_database_from_the_first_release_is_upgraded_in_place(tmp_path):
    from sqlalchemy import create_engine

    from bot.store import schema

    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    engine = create_engine(url, future=True)
    with engine.begin() as conn:  # what version 1 left behind: the chat log only
        schema.schema_version.create(conn)
        MIGRATIONS[0](conn)
        conn.execute(schema.schema_version.insert().values(version=1, applied_at=T0.replace(tzinfo=None)))
        conn.execute(schema.chat_messages.insert().values(session_id="old", sender="customer", text="旧消息",
                                                          created_at=T0.replace(tzinfo=None)))
    engine.dispose()
    upgraded = open_store(url)
    assert [m["text"] for m in upgraded.list_messages("old")] == ["旧消息"]
    ticket, created = upgraded.create_ticket(values("after-upgrade"), "Asia/Shanghai")
    assert created and ticket["id"] == "TK-20261123-0001"
    upgraded.close()


def test_ticket_ids_count_per_day_in_the_shop_time_zone(store):
    before_midnight = datetime(2026, 11, 23, 15, 59, tzinfo=timezone.utc)  # 23:59 in Shanghai
    after_midnight = datetime(2026, 11, 23, 16, 0, tzinfo=timezone.utc)  # 00:00 on the 24th
    first, _ = store.create_ticket(values("a", before_midnight), "Asia/Shanghai")
    second, _ = store.create_ticket(values("b", after_midnight), "Asia/Shanghai")
    third, _ = store.create_ticket(values("c", before_midnight - timedelta(hours=10)), "Asia/Shanghai")
    assert [first["id"], second["id"], third["id"]] == ["TK-20261123-0001", "TK-20261124-0001", "TK-20261123-0002"]
    # A shop in New York: 2026-11-24 03:00 UTC is still the 23rd there.
    fourth, _ = store.create_ticket(values("d", datetime(2026, 11, 24, 3, 0, tzinfo=timezone.utc)),
                                    "America/New_York")
    assert fourth["id"] == "TK-20261123-0003"
    assert first["created_at"] == before_midnight  # stored as UTC, returned aware


def test_same_idempotency_key_gives_the_first_ticket(store):
    first, created = store.create_ticket(values("same"), "Asia/Shanghai")
    again, created_again = store.create_ticket(values("same", description="不同的描述"), "Asia/Shanghai")
    assert created and not created_again
    assert again["id"] == first["id"] and again["description"] == "快递一直没到"
    tickets, total = store.find_tickets(TicketFilter(), T0)
    assert total == 1


def test_concurrent_creates_never_share_a_number_and_lose_nothing(store):
    errors: list[BaseException] = []
    results: list[tuple[dict, bool]] = []
    lock = threading.Lock()

    def create(worker: int) -> None:
        try:
            for n in range(4):
                # Worker 0 and 1 also race on the same keys: one ticket each, never two.
                key = f"shared-{n}" if worker < 2 else f"w{worker}-{n}"
                result = store.create_ticket(values(key), "Asia/Shanghai")
                with lock:
                    results.append(result)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=create, args=(w,)) for w in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not errors, errors
    tickets, total = store.find_tickets(TicketFilter(limit=500), T0)
    assert total == 10 * 4 + 4
    ids = sorted(t["id"] for t in tickets)
    assert ids == [f"TK-20261123-{n:04d}" for n in range(1, total + 1)]  # unique and without gaps
    assert sum(1 for _, created in results if created) == total
    shared = {t["id"] for t, _ in results if t["idempotency_key"].startswith("shared-")}
    assert len(shared) == 4


def test_audit_trail_records_every_step(store):
    ticket, _ = store.create_ticket(values("audit", created_by="bot"), "Asia/Shanghai")
    store.create_agent("lily", "丽丽", "scrypt$x", T0)
    later = T0 + timedelta(minutes=3)
    ticket, written = store.update_ticket(ticket["id"], {"assignee": "lily"}, "lily", later)
    assert ticket["status"] == "open"  # claiming opens it
    assert [e["action"] for e in written] == ["assigned", "status_changed"]
    ticket, message, _created = store.add_reply(ticket["id"], "您好，我马上帮您查物流。", "lily", later,
                                                display_name="丽丽")
    assert ticket["first_responded_at"] == later
    store.add_reply(ticket["id"], "已催快递。", "lily", later + timedelta(minutes=5))
    assert store.get_ticket(ticket["id"])["first_responded_at"] == later  # only the first reply counts
    store.update_ticket(ticket["id"], {"priority": "high"}, "lily", later, note="顾客很着急，已电话联系快递")
    resolved, _ = store.update_ticket(ticket["id"], {"status": "resolved"}, "lily", later + timedelta(hours=1))
    assert resolved["resolved_at"] == later + timedelta(hours=1)
    store.set_csat(ticket["id"], ticket["session_id"], 5, "很快", later + timedelta(hours=2))
    events = store.list_events(ticket["id"])
    assert [(e["actor"], e["action"]) for e in events] == [
        ("bot", "created"), ("lily", "assigned"), ("lily", "status_changed"), ("lily", "replied"),
        ("lily", "replied"), ("lily", "priority_changed"), ("lily", "note"), ("lily", "status_changed"),
        ("customer", "csat")]
    assert events[1]["details"] == {"from": None, "to": "lily"}
    assert events[6]["details"]["text"] == "顾客很着急，已电话联系快递"
    assert events[-1]["details"]["score"] == 5
    # The agent's reply is part of the customer's conversation.
    transcript = store.list_messages(ticket["session_id"])
    assert [(m["sender"], m["text"]) for m in transcript][0] == ("agent", "您好，我马上帮您查物流。")
    assert transcript[0]["meta"]["display_name"] == "丽丽" and message["id"] == transcript[0]["id"]


def test_changes_to_unknown_or_conversationless_tickets(store):
    with pytest.raises(TicketNotFound):
        store.update_ticket("TK-20990101-0001", {"status": "open"}, "lily", T0)
    with pytest.raises(TicketNotFound):
        store.add_reply("TK-20990101-0001", "hi", "lily", T0)
    phone_ticket, _ = store.create_ticket(values("phone", session_id=None, channel="phone"), "Asia/Shanghai")
    with pytest.raises(NoConversation):
        store.add_reply(phone_ticket["id"], "hi", "lily", T0)
    other, _ = store.create_ticket(values("mine"), "Asia/Shanghai")
    with pytest.raises(TicketNotFound):  # a rating from another session is refused like a missing ticket
        store.set_csat(other["id"], "someone-else", 1, None, T0)


def test_find_tickets_sorts_by_urgency_then_due_time_and_filters(store):
    store.create_ticket(values("n-late", priority="normal", first_response_due=T0 + timedelta(minutes=40)), "UTC")
    store.create_ticket(values("n-soon", priority="normal", first_response_due=T0 + timedelta(minutes=5)), "UTC")
    store.create_ticket(values("urgent", priority="urgent", first_response_due=T0 + timedelta(minutes=50)), "UTC")
    done, _ = store.create_ticket(values("done", priority="urgent", phone="13812345678"), "UTC")
    store.update_ticket(done["id"], {"status": "resolved"}, "lily", T0)
    tickets, _ = store.find_tickets(TicketFilter(), T0)
    assert [t["idempotency_key"] for t in tickets] == ["urgent", "n-soon", "n-late", "done"]
    only_open, total = store.find_tickets(TicketFilter(statuses=["new"]), T0)
    assert total == 3
    overdue, _ = store.find_tickets(TicketFilter(overdue=True), T0 + timedelta(minutes=10))
    assert [t["idempotency_key"] for t in overdue] == ["n-soon"]
    by_phone, _ = store.find_tickets(TicketFilter(q="138 1234 5678"), T0)
    assert [t["id"] for t in by_phone] == [done["id"]]
    store.create_ticket(values("other-order", order_number="250101-123456789012345"), "UTC")
    by_order, _ = store.find_tickets(TicketFilter(q="250101-123456789012345"), T0)
    assert [t["idempotency_key"] for t in by_order] == ["other-order"]
    by_id, _ = store.find_tickets(TicketFilter(q=done["id"].lower()), T0)
    assert [t["id"] for t in by_id] == [done["id"]]
    assert store.find_tickets(TicketFilter(q="%"), T0)[1] == 0  # LIKE wildcards are literal


def test_tickets_for_customer_and_repeat_counting(store):
    store.create_ticket(values("a1", session_id="sa", customer_ref="cust-a"), "UTC")
    store.create_ticket(values("a2", session_id="sa2", customer_ref="cust-a"), "UTC")
    store.create_ticket(values("b1", session_id="sb", customer_ref="cust-b"), "UTC")
    assert {t["idempotency_key"] for t in store.tickets_for_customer(session_id="sa")} == {"a1"}
    assert {t["idempotency_key"] for t in store.tickets_for_customer(customer_ref="cust-a")} == {"a1", "a2"}
    assert store.tickets_for_customer() == []
    assert store.count_recent_tickets(T0 - timedelta(days=7), customer_ref="cust-a") == 2
    assert store.count_recent_tickets(T0 + timedelta(minutes=1), customer_ref="cust-a") == 0


def test_agents_and_login_sessions(store):
    store.create_agent("lily", "丽丽", "scrypt$hash", T0)
    with pytest.raises(AgentExists):
        store.create_agent("lily", "另一个", "scrypt$hash", T0)
    assert store.get_agent("lily")["display_name"] == "丽丽"
    assert "password_hash" not in store.get_agent("lily")
    store.create_agent_session("h1", "lily", "csrf1", T0, T0 + timedelta(hours=12))
    agent, csrf = store.agent_for_session("h1", T0 + timedelta(hours=1))
    assert agent["name"] == "lily" and csrf == "csrf1"
    assert store.agent_for_session("h1", T0 + timedelta(hours=13)) is None  # expired
    assert store.agent_for_session("unknown", T0) is None
    store.update_agent("lily", active=False)  # disabling ends every session
    store.create_agent_session("h2", "lily", "csrf2", T0, T0 + timedelta(hours=12))
    assert store.agent_for_session("h2", T0) is None
    store.update_agent("lily", active=True)
    assert store.agent_for_session("h2", T0) is not None
    store.delete_agent_session("h2")
    assert store.agent_for_session("h2", T0) is None


def test_csv_export_covers_the_shop_local_days(store):
    store.create_ticket(values("in", description="=HYPERLINK(\"http://x\")", phone="13812345678",
                               created_at=datetime(2026, 11, 22, 16, 30, tzinfo=timezone.utc)), "Asia/Shanghai")
    store.create_ticket(values("out", created_at=datetime(2026, 11, 22, 15, 30, tzinfo=timezone.utc)),
                        "Asia/Shanghai")
    start, end = day_bounds(date(2026, 11, 23), date(2026, 11, 23), "Asia/Shanghai")
    text = store.export_csv(start, end, "Asia/Shanghai")
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert [r["ticket_id"] for r in rows] == ["TK-20261123-0001"]
    row = rows[0]
    assert row["created_at"] == "2026-11-23 00:30:00" and row["issue_type_zh"] == "物流延误"
    assert row["phone"] == "138****5678"
    assert row["description"].startswith("'=")  # a spreadsheet will not run it


def test_a_file_database_is_in_wal_mode_and_every_read_sees_the_latest_commit(tmp_path):
    store = open_store(f"sqlite:///{tmp_path / 'wal.sqlite3'}")
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    first = store.append_message("s-wal", "customer", "一")
    assert [m["id"] for m in store.list_messages("s-wal")] == [first]
    second = store.append_message("s-wal", "customer", "二")
    assert [m["id"] for m in store.list_messages("s-wal")] == [first, second]
    store.close()
