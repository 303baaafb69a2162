"""Issue 11, the ticket API's side: a complaint recorded from its first message (`intake`,
`missing_fields`, `customer_deadline` on POST and in every view) and `PATCH /api/tickets/{id}/intake`
for the assistant — raise-only priority, united risk flags, the customer's words appended once,
an audit event and a live event per change, the team told once when the record is filed (at once
when it turns urgent) — with its refusals: 401/403 (agents), 404, 409 (resolved), 4xx for bad
input. The real bot service on loopback, a local webhook receiver."""
from __future__ import annotations

import csv
import io
import time
import uuid
from datetime import date, timedelta

import pytest

from tests.support.live_app import AgentClient, LiveApp, Receiver, add_agent, make_settings, ticket_body


@pytest.fixture(scope="module")
def receiver():
    with Receiver() as running:
        yield running


@pytest.fixture(scope="module")
def live(tmp_path_factory, receiver):
    running = LiveApp(make_settings(tmp_path_factory.mktemp("intake_api"), WEBHOOK_URL=receiver.url))
    running.app.ctx.escalation_interval = 3600  # escalation has its own tests
    running.start()
    add_agent(running.store, "lily", display_name="丽丽")
    yield running
    running.stop()


def notices(receiver: Receiver, ticket_id: str, settle: float = 0.6) -> list[str]:
    """The webhook events sent for one ticket, after giving the background sender `settle` seconds."""
    time.sleep(settle)
    return [r["json"]["event"] for r in receiver.requests if r["json"]["ticket"]["ticket_id"] == ticket_id]


def collecting(live: LiveApp, key: str, **fields) -> dict:
    body = ticket_body(key, intake="collecting", order_number=None, order_number_status=None, expectation=None,
                       description="快递五天了还没到", **fields)
    response = live.call("POST", "/api/tickets", json=body)
    assert response.status_code == 201, response.text
    return response.json()["ticket"]


def patch(live: LiveApp, ticket_id: str, body, **kwargs):
    return live.call("PATCH", f"/api/tickets/{ticket_id}/intake", json=body, **kwargs)


# -- POST -----------------------------------------------------------------------------------------

def test_a_record_opened_at_the_first_message_is_announced_when_filed(live, receiver):
    ticket = collecting(live, "first-message", missing_fields=["order_number", "expectation"],
                        customer_deadline="明天务必送到")
    assert (ticket["intake"], ticket["intake_label"]) == ("collecting", "登记中")
    assert ticket["missing_fields"] == ["order_number", "expectation"]
    assert ticket["missing_labels"] == ["订单号", "诉求"]
    assert ticket["customer_deadline"] == "明天务必送到"
    assert ticket["first_response_due"]  # the SLA clock runs from the first message
    assert notices(receiver, ticket["id"]) == []  # still being collected: the team hears when it is filed

    again = live.call("POST", "/api/tickets", json=ticket_body(
        "first-message", intake="collecting", order_number=None, expectation=None, description="快递五天了还没到"))
    assert again.status_code == 200 and again.json()["id"] == ticket["id"]  # idempotent as before

    done = patch(live, ticket["id"], {"order_number": "4512345678901234567", "expectation": "expedite",
                                      "intake": "complete"})
    assert done.status_code == 200, done.text
    filed = done.json()["ticket"]
    assert (filed["intake"], filed["missing_fields"], filed["intake_label"]) == ("complete", [], "已确认")
    assert notices(receiver, ticket["id"]) == ["new"]
    patch(live, ticket["id"], {"intake": "complete"})  # a retried confirmation tells no one again
    assert notices(receiver, ticket["id"]) == ["new"]


def test_posts_without_the_new_fields_are_complete_and_the_deadline_is_read_from_the_words(live, receiver):
    response = live.call("POST", "/api/tickets", json=ticket_body(
        "whole", description="羽绒服拉链坏了，周五前必须换好，15号的飞机"))
    ticket = response.json()["ticket"]
    assert (ticket["intake"], ticket["missing_fields"]) == ("complete", [])
    assert ticket["customer_deadline"] == "周五前必须换好；15号的飞机"
    assert ticket["priority"] == "high" and "time_pressure" in ticket["risk_flags"]
    assert notices(receiver, ticket["id"]) == ["new"]  # as before the intake existed
    progress = live.call("GET", "/api/progress?session_id=s-whole").json()["tickets"][0]
    assert (progress["intake"], progress["missing_fields"], progress["customer_deadline"]) == \
        ("complete", [], "周五前必须换好；15号的飞机")


def test_a_record_filed_as_it_stands_names_what_is_missing(live):
    ticket = collecting(live, "filed-incomplete")
    assert ticket["missing_fields"] == ["order_number", "expectation"]  # what it lacks so far
    response = patch(live, ticket["id"], {"intake": "incomplete"})
    filed = response.json()["ticket"]
    assert filed["missing_fields"] == ["order_number", "expectation"]
    assert filed["intake_label"] == "信息不全（缺：订单号、诉求）"
    unsure = collecting(live, "unsure-type", issue_type="other_complaint", missing_fields=["issue_type"])
    response = patch(live, unsure["id"], {"intake": "incomplete", "missing_fields": ["expectation", "issue_type"]})
    assert response.json()["ticket"]["missing_labels"] == ["诉求", "问题类型"]


# -- PATCH …/intake -----------------------------------------------------------------------------------

def test_what_the_intake_learnt_reaches_the_ticket_with_an_audit_trail(live):
    ticket = collecting(live, "learnt")
    since = live.app.ctx.events.since(0)[-1].id if live.app.ctx.events.since(0) else 0
    response = patch(live, ticket["id"], {
        "issue_type": "package_damaged_or_lost", "order_number": " 4512 3456 7890 1234 567 ", "expectation": "resend",
        "append_description": "显示签收了但我没收到，电话13812345678", "customer_deadline": "周五前"})
    assert response.status_code == 200, response.text
    body = response.json()
    changed = body["ticket"]
    assert changed["issue_type"] == "package_damaged_or_lost" and changed["category"] == "logistics"
    assert changed["order_number"] == "4512345678901234567" and changed["order_number_status"] == "given"
    assert changed["expectation"] == "resend" and changed["customer_deadline"] == "周五前"
    assert changed["description"] == "快递五天了还没到\n显示签收了但我没收到，电话138****5678"  # masked for agents
    assert changed["phone"] == "138****5678"
    assert changed["missing_fields"] == []
    [change] = body["changes"]
    assert change["action"] == "intake_updated" and change["details"]["appended"].endswith("138****5678")
    assert set(change["details"]["fields"]) >= {"issue_type", "order_number", "expectation", "customer_deadline"}
    live_events = [e for e in live.app.ctx.events.since(since) if e.kind == "ticket_updated"]
    assert live_events and live_events[-1].data["ticket"]["id"] == ticket["id"]

    same = patch(live, ticket["id"], {"append_description": "显示签收了但我没收到，电话13812345678"})
    assert same.status_code == 200 and same.json()["changes"] == []  # appended once
    cleared = patch(live, ticket["id"], {"customer_deadline": None})
    assert cleared.json()["ticket"]["customer_deadline"] is None
    events = live.call("GET", f"/api/tickets/{ticket['id']}").json()["ticket"]["events"]
    assert [e["action"] for e in events] == ["created", "intake_updated", "intake_updated"]
    assert all(e["actor"] == "bot" for e in events)


def test_priority_only_rises_flags_only_add_and_an_urgent_turn_is_told_at_once(live, receiver):
    ticket = collecting(live, "raise-only")
    due = ticket["first_response_due"]
    lower = patch(live, ticket["id"], {"priority": "normal", "risk_flags": ["bad_review_threat"]}).json()["ticket"]
    assert lower["priority"] == "high" and lower["risk_flags"] == ["bad_review_threat"]  # a threat implies high
    assert lower["first_response_due"] < due  # 10 minutes for high instead of 15
    assert patch(live, ticket["id"], {"priority": "normal"}).json()["changes"] == []  # never lowered
    more = patch(live, ticket["id"], {"risk_flags": ["anger"]}).json()["ticket"]
    assert more["risk_flags"] == ["anger", "bad_review_threat"] and more["priority"] == "high"
    assert notices(receiver, ticket["id"]) == []
    urgent = patch(live, ticket["id"], {"risk_flags": ["regulator"]}).json()["ticket"]
    assert urgent["priority"] == "urgent"
    assert notices(receiver, ticket["id"]) == ["urgent"]  # at once, while still collecting
    patch(live, ticket["id"], {"intake": "incomplete", "handoff_requested": True})
    final = live.call("GET", f"/api/tickets/{ticket['id']}").json()["ticket"]
    assert final["handoff_requested"] is True and final["intake"] == "incomplete"
    assert notices(receiver, ticket["id"]) == ["urgent"]  # filing an urgent one tells no one twice


def test_a_wish_that_needs_a_decision_makes_the_case_complex(live):
    ticket = collecting(live, "complex")
    assert ticket["complex_case"] is False
    changed = patch(live, ticket["id"], {"expectation": "compensation"}).json()["ticket"]
    assert changed["complex_case"] is True and changed["resolution_due"] > ticket["resolution_due"]


def test_only_the_assistant_may_patch_the_intake(live):
    ticket = collecting(live, "who")
    lily = AgentClient(live, "lily")
    refused = lily.call("PATCH", f"/api/tickets/{ticket['id']}/intake", json={"intake": "complete"})
    assert refused.status_code == 403 and refused.json()["error"] == "forbidden"
    assert patch(live, ticket["id"], {"intake": "complete"}, token=None).status_code == 401
    assert patch(live, ticket["id"], {"intake": "complete"}, token="wrong").status_code == 401


def test_unknown_and_finished_tickets(live):
    assert patch(live, "TK-20200101-0001", {"intake": "complete"}).status_code == 404
    assert patch(live, "not-a-ticket", {"intake": "complete"}).json()["error"] == "ticket_not_found"
    ticket = collecting(live, "finished")
    lily = AgentClient(live, "lily")
    resolved = lily.call("PATCH", f"/api/tickets/{ticket['id']}", json={"status": "resolved", "reason": "已电话联系"})
    assert resolved.status_code == 200
    response = patch(live, ticket["id"], {"append_description": "还有一件事"})
    assert response.status_code == 409 and response.json()["error"] == "ticket_closed"
    assert "还有一件事" not in live.call("GET", f"/api/tickets/{ticket['id']}").json()["ticket"]["description"]


@pytest.mark.parametrize("body, status, code", [
    ({}, 422, "empty_body"),
    ({"colour": "red"}, 422, "unknown_field"),
    ({"intake": "done"}, 422, "invalid_value"),
    ({"missing_fields": ["phone"]}, 422, "invalid_value"),
    ({"missing_fields": "order_number"}, 422, "wrong_type"),
    ({"priority": "asap"}, 422, "invalid_value"),
    ({"risk_flags": ["angry"]}, 422, "invalid_value"),
    ({"issue_type": None}, 422, "missing_field"),
    ({"issue_type": "broken"}, 422, "invalid_value"),
    ({"order_number": "订单#!"}, 422, "invalid_value"),
    ({"handoff_requested": "yes"}, 422, "wrong_type"),
    ({"customer_deadline": "急" * 201}, 413, "too_long"),
    ({"append_description": "长" * 5001}, 413, "too_long"),
    ({"append_description": 12}, 422, "wrong_type"),
])
def test_bad_intake_changes_get_a_clear_4xx(live, body, status, code):
    ticket = collecting(live, f"bad-{uuid.uuid4().hex[:12]}")
    response = patch(live, ticket["id"], body)
    assert response.status_code == status, response.text
    answer = response.json()
    assert answer["error"] == code and answer["message"]


@pytest.mark.parametrize("fields, code", [
    ({"intake": "started"}, "invalid_value"), ({"missing_fields": ["phone"]}, "invalid_value"),
    ({"customer_deadline": "急" * 201}, "too_long"),
])
def test_bad_new_fields_on_post_get_a_clear_4xx(live, fields, code):
    response = live.call("POST", "/api/tickets", json=ticket_body(f"bad-post-{uuid.uuid4().hex[:12]}", **fields))
    assert response.status_code in (413, 422) and response.json()["error"] == code


def test_the_csv_export_carries_the_intake(live):
    ticket = collecting(live, "csv-intake", customer_deadline="=明天务必送到")
    patch(live, ticket["id"], {"intake": "incomplete"})
    day = date.fromisoformat(ticket["created_at"][:10])  # UTC; the export counts shop-local days
    text = live.call("GET", f"/api/tickets/export.csv?from={day - timedelta(days=1)}&to={day + timedelta(days=1)}"
                     ).content.decode("utf-8")
    row = next(r for r in csv.DictReader(io.StringIO(text.lstrip("\ufeff"))) if r["ticket_id"] == ticket["id"])
    assert (row["intake"], row["intake_zh"]) == ("incomplete", "信息不全（缺：订单号、诉求）")
    assert row["missing_fields"] == "order_number expectation"
    assert row["customer_deadline"] == "'=明天务必送到"  # a spreadsheet will not run it


# -- the same complaint told again ----------------------------------------------------------------------

def test_a_record_opened_again_minutes_later_for_the_same_problem_is_the_same_ticket(live):
    session = f"s-again-{uuid.uuid4().hex[:6]}"
    first = live.call("POST", "/api/tickets", json=ticket_body(
        f"k1-{session}", session_id=session, issue_type="not_as_described", intake="complete",
        description="标的42码，穿上跟39码差不多")).json()["ticket"]
    # The customer missed the confirmation (a dropped connection) and tells it again: the assistant
    # opens a record with a new key — the service answers with the ticket that is already there.
    again = live.call("POST", "/api/tickets", json=ticket_body(
        f"k2-{session}", session_id=session, issue_type="not_as_described", intake="collecting",
        description="标的42码，穿上跟39码差不多"))
    assert again.status_code in (200, 201) and again.json()["ticket"]["id"] == first["id"]
    # Another kind of problem in the same chat is a complaint of its own.
    other = live.call("POST", "/api/tickets", json=ticket_body(
        f"k3-{session}", session_id=session, issue_type="logistics_delay", intake="collecting",
        description="另一单快递五天没动了")).json()["ticket"]
    assert other["id"] != first["id"]
    tickets = live.call("GET", f"/api/tickets?session_id={session}").json()["tickets"]
    assert sorted(t["id"] for t in tickets) == sorted([first["id"], other["id"]])
