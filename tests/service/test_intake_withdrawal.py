"""A complaint withdrawn while its record was being collected (intake `withdrawn`, 顾客已撤销), the
bot service's side: the record is kept with everything said and closed by the system with the
reason in its history, it leaves the active queue, the team is not told, and the customer gets no
closing message and no rating request (nor is a later "5" taken as one). Only a record nobody has
touched is closed so: a claimed, answered, confirmed or handed-off ticket stays open with a note.
The real bot service on loopback with a fake Rasa and a webhook receiver; the store's part also on
PostgreSQL when it is reachable."""
from __future__ import annotations

import csv
import io
import time
from datetime import date, datetime, timedelta, timezone

import pytest
import requests

from bot.services import wording
from bot.services.tickets import IntakeUpdate, NewTicket, TicketService
from tests.support.fake_rasa import live_app
from tests.support.live_app import AgentClient, Receiver, make_settings, ticket_body

ACTIVE = "status=new&status=open&status=pending_customer"


@pytest.fixture()
def live(tmp_path, rasa, receiver):
    with live_app(tmp_path, rasa, WEBHOOK_URL=receiver.url) as running:
        yield running


def say(live, session: str, text: str) -> dict:
    response = requests.post(f"{live.base}/api/chat/{session}/messages", json={"text": text}, timeout=15)
    assert response.status_code == 200, response.text
    return response.json()


def record(live, session: str, **fields) -> dict:
    """The record the assistant opens at the first message that states the problem."""
    body = ticket_body(f"intake-{session}", session_id=session, intake="collecting", order_number=None,
                       order_number_status=None, expectation=None, description="快递五天了还没到 一直不更新", **fields)
    response = live.call("POST", "/api/tickets", json=body)
    assert response.status_code == 201, response.text
    return response.json()["ticket"]


def withdraw(live, ticket_id: str, **extra) -> requests.Response:
    """What action_cancel_complaint sends."""
    return live.call("PATCH", f"/api/tickets/{ticket_id}/intake", json={"intake": "withdrawn", **extra})


def kinds(live, session: str) -> list[str]:
    return [m["meta"].get("kind") for m in live.store.list_messages(session) if m["sender"] != "customer"]


def notices(receiver: Receiver, ticket_id: str, settle: float = 0.6) -> list[str]:
    time.sleep(settle)
    return [r["json"]["event"] for r in receiver.requests if r["json"]["ticket"]["ticket_id"] == ticket_id]


def test_a_withdrawn_record_is_closed_quietly_and_leaves_the_queue(live, rasa, receiver):
    session = "s-withdrawn"
    say(live, session, "快递五天了还没到 一直不更新")
    ticket = record(live, session)
    say(live, session, "算了 不投诉了 快递刚到了")  # appended by the bot service before the assistant answers
    before = kinds(live, session)

    response = withdraw(live, ticket["id"], missing_fields=["order_number", "expectation"])
    assert response.status_code == 200, response.text
    closed = response.json()["ticket"]
    assert (closed["status"], closed["intake"], closed["intake_label"]) == ("closed", "withdrawn", "顾客已撤销")
    assert closed["resolved_at"] and closed["overdue"] is False
    assert "快递五天了还没到" in closed["description"] and "不投诉了 快递刚到了" in closed["description"]
    changes = {c["action"]: c["details"] for c in response.json()["changes"]}
    assert changes["intake_updated"]["reason"] == "withdrawn"
    assert changes["intake_updated"]["fields"]["intake"] == {"from": "collecting", "to": "withdrawn"}
    assert changes["status_changed"] == {"from": "new", "to": "closed", "reason": "顾客在登记过程中撤销了投诉"}
    events = live.call("GET", f"/api/tickets/{ticket['id']}").json()["ticket"]["events"]
    assert [(e["actor"], e["details"].get("reason")) for e in events if e["action"] == "status_changed"] == [
        ("system", "顾客在登记过程中撤销了投诉")]  # the desk's history shows who closed it and why

    # Out of the active queue, and nobody told anything: no closing notice, no rating request,
    # no pause or resume of the assistant, no webhook to the team.
    active = live.call("GET", f"/api/tickets?{ACTIVE}&session_id={session}").json()["tickets"]
    assert active == []
    assert kinds(live, session) == before
    assert rasa.events_for(session) == []
    assert notices(receiver, ticket["id"]) == []

    # A "5" afterwards is no rating of a complaint taken back: it goes to the assistant.
    say(live, session, "5")
    assert live.store.get_ticket(ticket["id"])["csat"] is None and rasa.texts(session)[-1] == "5"
    # Asked about it, the customer hears that they withdrew it.
    [progress] = live.call("GET", f"/api/progress?session_id={session}").json()["tickets"]
    assert progress["summary"] == wording.SUMMARY_WITHDRAWN and progress["intake"] == "withdrawn"
    # Said twice (a retried request): nothing more happens.
    again = withdraw(live, ticket["id"])
    assert again.status_code == 200 and again.json()["changes"] == []


def test_after_a_withdrawal_a_new_complaint_in_the_same_chat_gets_its_own_ticket(live, rasa):
    session = "s-withdrawn-again"
    first = record(live, session)
    withdraw(live, first["id"])
    # The assistant opens the new complaint's record under a new key; same kind, minutes later.
    response = live.call("POST", "/api/tickets", json=ticket_body(
        f"intake-2-{session}", session_id=session, intake="collecting", order_number=None, expectation=None,
        description="还是要投诉 快递五天了还没到"))
    assert response.status_code == 201
    second = response.json()["ticket"]
    assert second["id"] != first["id"] and (second["status"], second["intake"]) == ("new", "collecting")
    assert second["repeat_contacts"] == 0 and "repeat_contact" not in second["risk_flags"]
    say(live, session, "订单号4512345678901234567")  # the customer's words reach the working ticket
    assert live.store.get_ticket(second["id"])["order_number"] == "4512345678901234567"
    assert "4512345678901234567" not in live.store.get_ticket(first["id"])["description"]


@pytest.mark.parametrize("touched", ["claimed", "answered", "confirmed", "handed_off"])
def test_only_a_record_nobody_touched_is_closed_by_a_withdrawal(live, rasa, touched):
    session = f"s-kept-{touched}"
    ticket = record(live, session, handoff_requested=touched == "handed_off")
    lily = AgentClient(live, "lily")
    path = f"/api/tickets/{ticket['id']}"
    if touched == "claimed":
        lily.call("PATCH", path, json={"assignee": "lily"})
    elif touched == "answered":
        lily.call("POST", f"{path}/replies", json={"text": "您好，我来帮您查一下物流"})
    elif touched == "confirmed":
        live.call("PATCH", f"{path}/intake", json={"order_number": "4512345678901234567", "expectation": "expedite",
                                                   "intake": "complete"})
    before = live.store.get_ticket(ticket["id"])
    said = kinds(live, session)

    response = withdraw(live, ticket["id"])
    assert response.status_code == 200
    kept = response.json()["ticket"]
    assert (kept["status"], kept["intake"]) == (before["status"], before["intake"])
    assert kept["status"] in ("new", "open")
    assert [c["action"] for c in response.json()["changes"]] == ["note"]
    notes = [e["details"]["text"] for e in live.store.list_events(ticket["id"]) if e["action"] == "note"]
    assert notes == [wording.NOTE_WITHDRAWAL_KEPT]
    assert kinds(live, session) == said  # nothing said to the customer by the desk side


def test_a_finished_ticket_refuses_the_withdrawal_and_a_new_ticket_is_never_posted_withdrawn(live):
    ticket = record(live, "s-finished")
    lily = AgentClient(live, "lily")
    lily.call("PATCH", f"/api/tickets/{ticket['id']}", json={"status": "resolved", "reason": "已电话联系"})
    response = withdraw(live, ticket["id"])
    assert response.status_code == 409 and response.json()["error"] == "ticket_closed"
    assert live.store.get_ticket(ticket["id"])["intake"] == "collecting"

    posted = live.call("POST", "/api/tickets", json=ticket_body("posted-withdrawn", intake="withdrawn"))
    assert posted.status_code == 422 and posted.json()["error"] == "invalid_value"


def test_the_desk_labels_and_the_export_carry_the_state(live):
    ticket = record(live, "s-labels")
    withdraw(live, ticket["id"])
    listed = live.call("GET", "/api/tickets?status=closed&session_id=s-labels").json()["tickets"]
    assert [(t["id"], t["intake_label"], t["status"]) for t in listed] == [(ticket["id"], "顾客已撤销", "closed")]
    day = date.fromisoformat(ticket["created_at"][:10])
    text = live.call("GET", f"/api/tickets/export.csv?from={day - timedelta(days=1)}&to={day + timedelta(days=1)}"
                     ).content.decode("utf-8")
    row = next(r for r in csv.DictReader(io.StringIO(text.lstrip("\ufeff"))) if r["ticket_id"] == ticket["id"])
    assert (row["intake"], row["intake_zh"]) == ("withdrawn", "顾客已撤销")
    schema = live.call("GET", "/api/openapi.json", token=None).json()
    described = str(schema["paths"]["/api/tickets/{ticket_id}/intake"]) + str(schema["components"])
    assert "withdrawn" in described


# -- the store's part, on SQLite and PostgreSQL -------------------------------------------------------------

MONDAY_10 = datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc)


def test_the_withdrawal_is_one_transaction_and_the_idle_pass_leaves_it_alone(store, tmp_path):
    service = TicketService(store, make_settings(tmp_path))
    ticket, _ = service.open(NewTicket(idempotency_key="w-1", issue_type="logistics_delay", session_id="s-w-1",
                                       description="快递五天没到", intake="collecting"), now=MONDAY_10)
    closed, written = service.update_intake(ticket["id"], IntakeUpdate(intake="withdrawn"), "bot", now=MONDAY_10)
    assert [w["action"] for w in written] == ["intake_updated", "status_changed"]
    stored = store.get_ticket(ticket["id"])
    assert (stored["status"], stored["intake"], stored["resolved_at"]) == ("closed", "withdrawn", MONDAY_10)
    assert [e["action"] for e in store.list_events(ticket["id"])] == ["created", "intake_updated", "status_changed"]
    assert service.file_quiet_intakes(10, MONDAY_10 + timedelta(hours=1)) == []
    assert store.get_ticket(ticket["id"])["intake"] == "withdrawn"
