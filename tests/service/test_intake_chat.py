"""Issue 11 in the message pipeline: every customer message with content reaches the session's open
ticket — appended once in the customer's words, re-triaged (priority only raised), scanned for a
deadline — whoever answers (the assistant, a person, degraded mode), and without Rasa's help; and a
quiet chat's record is filed as it stands after INTAKE_IDLE_MINUTES, with the team told once.
The real bot service on loopback, a fake Rasa, a local webhook receiver."""
from __future__ import annotations

import time

import pytest
import requests

from tests.support.fake_rasa import live_app
from tests.support.live_app import AgentClient, LiveApp, ticket_body


def wait_for(predicate, seconds: float = 10.0):
    deadline = time.time() + seconds
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


def say(live: LiveApp, session: str, text: str, **extra) -> dict:
    response = requests.post(f"{live.base}/api/chat/{session}/messages", json={"text": text, **extra}, timeout=15)
    assert response.status_code == 200, response.text
    return response.json()


def open_record(live: LiveApp, session: str, **fields) -> dict:
    """What the assistant does at the first message that states a problem (the dialogue's half)."""
    body = ticket_body(f"intake-{session}", session_id=session, intake="collecting", order_number=None,
                       order_number_status=None, expectation=None, description="快递五天了还没到", **fields)
    response = live.call("POST", "/api/tickets", json=body)
    assert response.status_code == 201, response.text
    return response.json()["ticket"]


def ticket_now(live: LiveApp, ticket_id: str) -> dict:
    return live.call("GET", f"/api/tickets/{ticket_id}").json()["ticket"]


@pytest.fixture()
def live(tmp_path, rasa, receiver):
    with live_app(tmp_path, rasa, WEBHOOK_URL=receiver.url) as running:
        yield running


# -- every message with content reaches the ticket ------------------------------------------------------

def test_later_messages_are_appended_once_retriaged_and_scanned_for_a_deadline(live, rasa):
    session = "s-append"
    say(live, session, "快递五天了还没到")
    ticket = open_record(live, session)
    assert ticket["priority"] == "normal"

    assert say(live, session, "真的很急，X号的飞机")["mode"] == "bot"
    assert "真的很急，X号的飞机" in rasa.texts(session)  # the assistant still answers
    for text in ("嗯", "好的", "👍", "真的很急，X号的飞机"):  # nothing new: acknowledgements, a repeat
        say(live, session, text)
    say(live, session, "退货退款", button_title="退货退款")  # a button press is the dialogue's business
    say(live, session, '/inform{"expectation": "return_refund"}')
    now = ticket_now(live, ticket["id"])
    assert now["description"] == "快递五天了还没到\n真的很急，X号的飞机"
    assert now["priority"] == "high" and now["risk_flags"] == ["time_pressure"]
    assert now["customer_deadline"] == "X号的飞机"
    assert "顾客着急：很急、X号的飞机" in now["triage_reasons"]
    assert now["first_response_due"] < ticket["first_response_due"]  # high: a sooner first reply

    say(live, session, "明天务必送到，不然给差评")
    now = ticket_now(live, ticket["id"])
    assert now["customer_deadline"] == "X号的飞机；明天务必送到"  # the earlier words are kept
    assert now["risk_flags"] == ["bad_review_threat", "time_pressure"] and now["priority"] == "high"
    assert now["description"].endswith("\n明天务必送到，不然给差评")
    appended = [e["details"]["appended"] for e in now["events"] if e["action"] == "intake_updated"]
    assert appended == ["真的很急，X号的飞机", "明天务必送到，不然给差评"]
    assert all(e["actor"] == "customer" for e in now["events"] if e["action"] == "intake_updated")


def test_a_pasted_order_card_gives_the_number_and_never_a_risk(live):
    session = "s-card"
    say(live, session, "东西坏了")
    ticket = open_record(live, session, issue_type="product_quality")
    say(live, session, "咨询订单号:88812345678 订单金额:12315.00 下单时间:2026-11-01 12:00:00")
    now = ticket_now(live, ticket["id"])
    assert (now["order_number"], now["order_number_status"]) == ("88812345678", "given")
    assert now["priority"] == "normal" and now["risk_flags"] == []  # the amount is not the 12315 hotline
    assert now["customer_deadline"] is None
    say(live, session, "订单号 4512345678901234567")  # the ticket has its number: the dialogue corrects it
    assert ticket_now(live, ticket["id"])["order_number"] == "88812345678"


def test_with_a_person_and_in_degraded_mode_the_words_reach_the_ticket_too(live, rasa):
    session = "s-human"
    say(live, session, "快递五天了还没到")
    ticket = open_record(live, session)
    lily = AgentClient(live, "lily")
    assert lily.call("PATCH", f"/api/tickets/{ticket['id']}", json={"assignee": "lily"}).status_code == 200
    assert say(live, session, "明天务必送到")["mode"] == "human"
    assert "明天务必送到" not in rasa.texts()
    now = ticket_now(live, ticket["id"])
    assert now["customer_deadline"] == "明天务必送到" and now["description"].endswith("\n明天务必送到")

    session = "s-degraded"
    say(live, session, "快递五天了还没到")
    ticket = open_record(live, session)
    rasa.mode = "down"
    assert say(live, session, "我要找律师")["mode"] == "degraded"
    now = ticket_now(live, ticket["id"])
    assert now["description"].endswith("\n我要找律师") and now["priority"] == "urgent"
    assert len(live.call("GET", f"/api/tickets?session_id={session}").json()["tickets"]) == 1  # no second ticket

    say(live, "s-degraded-new", "东西坏了，订单号4512345678901234567")  # no ticket yet: one recorded as it stands
    [recorded] = live.call("GET", "/api/tickets?session_id=s-degraded-new").json()["tickets"]
    assert (recorded["intake"], recorded["missing_fields"]) == ("incomplete", ["expectation", "issue_type"])
    assert recorded["order_number"] == "4512345678901234567"
    say(live, "s-degraded-new", "我要退款")
    recorded = ticket_now(live, recorded["id"])
    assert recorded["description"] == "东西坏了，订单号4512345678901234567\n我要退款"


def test_a_resolved_ticket_is_left_as_it_was(live):
    session = "s-resolved"
    ticket = open_record(live, session)
    lily = AgentClient(live, "lily")
    resolved = lily.call("PATCH", f"/api/tickets/{ticket['id']}",
                         json={"status": "resolved", "reason": "已电话联系顾客，快递已送达"})
    assert resolved.status_code == 200 and ticket_now(live, ticket["id"])["status"] == "resolved"
    say(live, session, "其实还有个问题，赠品没收到")
    assert ticket_now(live, ticket["id"])["description"] == "快递五天了还没到"


# -- a quiet chat files its record ----------------------------------------------------------------------

@pytest.fixture()
def quiet_live(tmp_path, rasa, receiver):
    # 0.1 minutes: the record is filed 6 seconds after the customer's last message.
    with live_app(tmp_path, rasa, WEBHOOK_URL=receiver.url, INTAKE_IDLE_MINUTES="0.1") as running:
        yield running


def test_a_quiet_chat_files_its_record_incomplete_and_tells_the_team_once(quiet_live, rasa, receiver):
    live = quiet_live
    session = "s-quiet"
    say(live, session, "快递五天了还没到")
    ticket = open_record(live, session, issue_type="logistics_delay")
    since = live.app.ctx.events.since(0)[-1].id
    talking_until = time.time() + 8
    while time.time() < talking_until:  # the customer keeps writing: nothing is filed
        say(live, session, "在吗")
        time.sleep(1)
    assert ticket_now(live, ticket["id"])["intake"] == "collecting"

    filed = wait_for(lambda: (t := ticket_now(live, ticket["id"]))["intake"] == "incomplete" and t, seconds=30)
    assert filed["missing_fields"] == ["order_number", "expectation"]
    assert filed["intake_label"] == "信息不全（缺：订单号、诉求）"
    [event] = [e for e in filed["events"] if e["action"] == "intake_updated"]
    assert event["actor"] == "system" and event["details"]["reason"] == "idle"
    assert any(e.kind == "ticket_updated" and e.data["ticket"]["id"] == ticket["id"]
               and e.data["changes"][0]["action"] == "intake_updated" for e in live.app.ctx.events.since(since))
    wait_for(lambda: receiver.requests, seconds=10)
    time.sleep(3)  # several more passes of the loop: still one notice
    sent = [r["json"] for r in receiver.requests if r["json"]["ticket"]["ticket_id"] == ticket["id"]]
    assert [body["event"] for body in sent] == ["new"]
    history = requests.get(f"{live.base}/api/chat/{session}/messages", timeout=10).json()["messages"]
    assert [m["sender"] for m in history].count("customer") == len(rasa.texts(session))  # no message to the customer
    assert history[-1]["sender"] == "bot"


def test_a_confirmed_record_is_not_filed_again(quiet_live, receiver):
    live = quiet_live
    ticket = open_record(live, "s-confirmed")
    live.call("PATCH", f"/api/tickets/{ticket['id']}/intake", json={"order_number": "4512345678901234567",
                                                                     "expectation": "expedite", "intake": "complete"})
    time.sleep(9)
    now = ticket_now(live, ticket["id"])
    assert now["intake"] == "complete" and now["missing_fields"] == []
    sent = [r["json"]["event"] for r in receiver.requests if r["json"]["ticket"]["ticket_id"] == ticket["id"]]
    assert sent == ["new"]
