"""The ticket API served for real on loopback (Sanic, a SQLite file): credentials, bad input of
every field, idempotency, 50 simultaneous creates, filters, agents' login/CSRF, replies reaching
the customer's chat, live events, the progress lookup that shows a customer only their own
tickets, CSV export and the OpenAPI description."""
from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import requests

from bot.services.tickets import NewTicket, open_ticket
from tests.support.live_app import TOKEN, AgentClient, LiveApp, add_agent, make_settings, ticket_body

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("tickets_api")
    running = LiveApp(make_settings(tmp))
    # Escalation has its own tests; here a pass while a test moves the clock would change priorities.
    running.app.ctx.escalation_interval = 3600
    running.start()
    add_agent(running.store, "lily", display_name="丽丽")
    add_agent(running.store, "max", display_name="小马")
    yield running
    running.stop()


@pytest.fixture(scope="module")
def lily(live):
    return AgentClient(live, "lily")


def create(live, key: str, **fields) -> requests.Response:
    return live.call("POST", "/api/tickets", json=ticket_body(key, **fields))


# -- credentials ------------------------------------------------------------------------------

PROTECTED = [
    ("POST", "/api/tickets"), ("GET", "/api/tickets"), ("GET", "/api/tickets/TK-20261123-0001"),
    ("PATCH", "/api/tickets/TK-20261123-0001"), ("POST", "/api/tickets/TK-20261123-0001/replies"),
    ("GET", "/api/tickets/export.csv"), ("GET", "/api/progress?session_id=s1"),
    ("POST", "/api/tickets/TK-20261123-0001/csat"), ("GET", "/api/me"), ("GET", "/api/agents"),
    ("GET", "/api/desk/events"),
]


@pytest.mark.parametrize("method, path", PROTECTED)
@pytest.mark.parametrize("token", [None, "wrong-token", ""])
def test_missing_or_wrong_credentials_get_401(live, method, path, token):
    response = live.call(method, path, token=token, json={})
    assert response.status_code == 401
    body = response.json()
    assert body["error"] == "unauthorized" and "登录" in body["message"]


@pytest.mark.parametrize("header", ["Basic " + TOKEN, TOKEN, "Bearer", f"Bearer {TOKEN}x"])
def test_malformed_authorization_headers_get_401(live, header):
    response = requests.get(f"{live.base}/api/tickets", headers={"Authorization": header}, timeout=10)
    assert response.status_code == 401


def test_forged_or_stale_session_cookies_get_401(live):
    forged = requests.get(f"{live.base}/api/tickets", cookies={"desk_session": "abc.def"}, timeout=10)
    assert forged.status_code == 401
    agent = AgentClient(live, "max")
    cookie = agent.http.cookies.get("desk_session")
    assert agent.call("POST", "/desk/logout").status_code == 200
    stale = requests.get(f"{live.base}/api/me", cookies={"desk_session": cookie}, timeout=10)
    assert stale.status_code == 401


def test_each_credential_only_where_it_belongs(live, lily):
    ticket = create(live, "belongs").json()["ticket"]
    # Replies come from people, not from the machine token.
    response = live.call("POST", f"/api/tickets/{ticket['id']}/replies", json={"text": "您好"})
    assert response.status_code == 403 and response.json()["error"] == "forbidden"
    # Progress and ratings are the assistant's; an agent's cookie is not enough.
    assert lily.call("GET", "/api/progress?session_id=s-belongs").status_code == 403
    assert lily.call("POST", f"/api/tickets/{ticket['id']}/csat", json={"session_id": "s-belongs",
                                                                          "score": 5}).status_code == 403
    assert live.call("GET", "/api/me").status_code == 403


# -- creating ---------------------------------------------------------------------------------------

def test_create_returns_the_ticket_and_the_promise(live):
    response = create(live, "first", description="买的电热水壶漏电，孩子差点被电到，我要找12315", customer_ref="cust-9",
                      expectation="refund", issue_type="product_quality", phone="138-1234-5678")
    assert response.status_code == 201
    body = response.json()
    ticket = body["ticket"]
    assert body["id"] == ticket["id"] and body["created"] is True
    assert ticket["id"].startswith("TK-") and len(ticket["id"]) == len("TK-20261123-0007")
    assert ticket["priority"] == "urgent" and {"regulator", "safety"} <= set(ticket["risk_flags"])
    assert ticket["category"] == "product" and ticket["issue_type_label"] == "质量问题"
    assert ticket["phone"] == "138****5678"  # never the full number in the API
    assert body["first_response_due_text"].endswith("前") and ticket["status"] == "new"
    created = datetime.fromisoformat(ticket["created_at"])
    due = datetime.fromisoformat(ticket["first_response_due"])
    assert due - created == timedelta(minutes=5)  # urgent target, the shop is open around the clock here


def test_service_retriages_with_the_whole_conversation_and_keeps_the_higher_priority(live):
    requests.post(f"{live.base}/api/chat/s-angry/messages", json={"text": "再不处理我就去消协投诉！"}, timeout=30)
    calm = create(live, "calm", session_id="s-angry", description="快递没到", priority="normal").json()["ticket"]
    assert calm["priority"] == "urgent" and "regulator" in calm["risk_flags"]
    told = create(live, "told-high", description="快递没到", priority="high",
                  risk_flags=["bad_review_threat"]).json()["ticket"]
    assert told["priority"] == "high" and told["risk_flags"] == ["bad_review_threat"]


def test_a_second_ticket_from_the_same_customer_counts_as_repeat_contact(live):
    create(live, "rep-1", session_id="s-rep", description="物流不动")
    second = create(live, "rep-2", session_id="s-rep", description="物流不动").json()["ticket"]
    assert second["repeat_contacts"] == 1
    assert "repeat_contact" in second["risk_flags"] and second["priority"] in ("high", "urgent")


def test_the_action_servers_payload_is_accepted_as_it_is(live):
    """What actions/submission.py sends, including a ticket delivered late from its outbox."""
    taken = (datetime.now(timezone.utc) - timedelta(hours=2)).replace(microsecond=0)
    body = ticket_body("outbox-late", order_number=None, order_number_status="given", customer_ref=None,
                       expectation="other", priority="normal", risk_flags=[], off_hours=False,
                       handoff_requested=True, submitted_at=taken.isoformat())
    response = live.call("POST", "/api/tickets", json=body)
    assert response.status_code == 201, response.text
    ticket = response.json()["ticket"]
    assert datetime.fromisoformat(ticket["created_at"]) == taken  # promises count from the customer's time
    assert datetime.fromisoformat(ticket["first_response_due"]) == taken + timedelta(minutes=15)
    assert ticket["overdue"] is True and ticket["handoff_requested"] is True
    assert ticket["order_number_status"] == "unknown"  # "given" without a number cannot be true
    ahead = ticket_body("clock-ahead", submitted_at=(datetime.now(timezone.utc) + timedelta(hours=3)).isoformat())
    created = datetime.fromisoformat(live.call("POST", "/api/tickets", json=ahead).json()["ticket"]["created_at"])
    assert created <= datetime.now(timezone.utc)


def test_same_idempotency_key_returns_the_same_ticket(live):
    first = create(live, "idem")
    again = create(live, "idem", description="另一段描述")
    assert first.status_code == 201 and again.status_code == 200
    assert again.json()["id"] == first.json()["id"] and again.json()["created"] is False
    assert again.json()["ticket"]["description"] == first.json()["ticket"]["description"]


def test_fifty_simultaneous_creates_lose_nothing_and_never_share_an_id(live):
    keys = [f"burst-{n}" for n in range(50)]
    barrier = threading.Barrier(50)

    def submit(key: str) -> requests.Response:
        barrier.wait(30)
        return create(live, key, session_id=f"burst-{key}")

    with ThreadPoolExecutor(max_workers=50) as pool:
        responses = list(pool.map(submit, keys))
    assert [r.status_code for r in responses] == [201] * 50
    ids = {r.json()["id"] for r in responses}
    assert len(ids) == 50
    # Retried all at once: the same 50 tickets, nothing new.
    barrier = threading.Barrier(50)
    with ThreadPoolExecutor(max_workers=50) as pool:
        retried = list(pool.map(submit, keys))
    assert [r.status_code for r in retried] == [200] * 50
    assert {r.json()["id"] for r in retried} == ids
    stored = {t["id"] for t in live.store.find_tickets(_all_filter(), datetime.now(timezone.utc))[0]
              if t["idempotency_key"].startswith("burst-")}
    assert stored == ids


def _all_filter():
    from bot.store import TicketFilter

    return TicketFilter(limit=500)


BAD_FIELDS = [
    ({"idempotency_key": None}, 422, "missing_field"),
    ({"idempotency_key": 5}, 422, "wrong_type"),
    ({"idempotency_key": "有空格 的 key"}, 422, "invalid_value"),
    ({"idempotency_key": "k" * 10_000}, 413, "too_long"),
    ({"session_id": "<script>"}, 422, "invalid_value"),
    ({"session_id": ["s"]}, 422, "wrong_type"),
    ({"customer_ref": "a\nb"}, 422, "invalid_value"),
    ({"customer_ref": "c" * 10_000}, 413, "too_long"),
    ({"channel": "Web Chat!"}, 422, "invalid_value"),
    ({"channel": 3}, 422, "wrong_type"),
    ({"order_number": "12 34'; drop"}, 422, "invalid_value"),
    ({"order_number": 4512345678901234567}, 422, "wrong_type"),
    ({"order_number": "9" * 10_000}, 413, "too_long"),
    ({"order_number_status": "maybe"}, 422, "invalid_value"),
    ({"handoff_requested": "yes"}, 422, "wrong_type"),
    ({"submitted_at": 1700000000}, 422, "wrong_type"),
    ({"submitted_at": "yesterday"}, 422, "invalid_value"),
    ({"submitted_at": "2026-11-23T09:30:00"}, 422, "invalid_value"),
    ({"submitted_at": "2001-01-01T00:00:00+08:00"}, 422, "invalid_value"),
    ({"issue_type": None}, 422, "missing_field"),
    ({"issue_type": "broken"}, 422, "invalid_value"),
    ({"issue_type": ["logistics_delay"]}, 422, "wrong_type"),
    ({"expectation": "money"}, 422, "invalid_value"),
    ({"expectation": 1}, 422, "wrong_type"),
    ({"description": None}, 422, "missing_field"),
    ({"description": "   "}, 422, "empty_field"),
    ({"description": {"text": "x"}}, 422, "wrong_type"),
    ({"description": "气" * 10_000}, 413, "too_long"),
    ({"priority": "critical"}, 422, "invalid_value"),
    ({"priority": 1}, 422, "wrong_type"),
    ({"risk_flags": "anger"}, 422, "wrong_type"),
    ({"risk_flags": ["anger", 3]}, 422, "wrong_type"),
    ({"risk_flags": ["made_up"]}, 422, "invalid_value"),
    ({"off_hours": "yes"}, 422, "wrong_type"),
    ({"phone": "call me"}, 422, "invalid_value"),
    ({"phone": "1" * 10_000}, 413, "too_long"),
]


@pytest.mark.parametrize("fields, status, code", BAD_FIELDS)
def test_bad_input_of_every_field_gets_a_clear_4xx(live, fields, status, code):
    response = create(live, "bad-input", **fields)
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"] == code and body["message"]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in body["message"])  # Chinese for people
    assert live.store.ticket_by_idempotency_key("bad-input") is None


@pytest.mark.parametrize("data, code", [
    (b"", "empty_body"), (b"{not json", "invalid_json"), (b"[1, 2]", "invalid_json"), (b'"text"', "invalid_json"),
])
def test_malformed_bodies_get_400(live, data, code):
    response = live.call("POST", "/api/tickets", data=data, headers={"Content-Type": "application/json"})
    assert response.status_code == 400 and response.json()["error"] == code


def test_oversized_body_gets_413_json(live):
    response = live.call("POST", "/api/tickets", data=b"{" + b" " * 1_100_000 + b"}",
                         headers={"Content-Type": "application/json"})
    assert response.status_code == 413 and response.json()["error"] == "payload_too_large"


def test_unknown_ids_and_paths_get_404_json(live, lily):
    for path in ("/api/tickets/TK-20000101-9999", "/api/tickets/nonsense", "/api/tickets/%3Cscript%3E"):
        response = live.call("GET", path)
        assert response.status_code == 404 and response.json()["error"] == "ticket_not_found"
    assert lily.call("PATCH", "/api/tickets/TK-20000101-9999", json={"status": "open"}).status_code == 404
    assert lily.call("POST", "/api/tickets/TK-20000101-9999/replies", json={"text": "x"}).status_code == 404
    response = live.call("GET", "/api/nothing-here")
    assert response.status_code == 404 and response.json()["error"] == "not_found"
    assert live.call("DELETE", "/api/tickets").status_code == 405


# -- reading and filtering ------------------------------------------------------------------------

def test_get_one_ticket_with_transcript_and_events(live):
    requests.post(f"{live.base}/api/chat/s-detail/messages", json={"text": "<b>包裹丢了</b>"}, timeout=30)
    ticket = create(live, "detail", session_id="s-detail").json()["ticket"]
    body = live.call("GET", f"/api/tickets/{ticket['id'].lower()}").json()["ticket"]
    assert body["id"] == ticket["id"]
    assert [m["text"] for m in body["transcript"] if m["sender"] == "customer"] == ["<b>包裹丢了</b>"]
    assert [e["action"] for e in body["events"]] == ["created"] and body["events"][0]["actor"] == "bot"


def test_phone_numbers_typed_by_the_customer_are_masked_wherever_agents_see_them(live, lily):
    words = "电话13912345678，订单号3927461058273649105，联系我"
    requests.post(f"{live.base}/api/chat/s-phone/messages", json={"text": words}, timeout=30)
    ticket = create(live, "phone-in-text", session_id="s-phone", description=words).json()["ticket"]
    masked = "电话139****5678，订单号3927461058273649105，联系我"
    assert ticket["description"] == masked
    detail = lily.call("GET", f"/api/tickets/{ticket['id']}").json()["ticket"]
    assert detail["description"] == masked
    assert [m["text"] for m in detail["transcript"] if m["sender"] == "customer"] == [masked]
    listed = lily.call("GET", "/api/tickets?status=new").json()
    assert ticket["id"] in {t["id"] for t in listed["tickets"]}
    assert "13912345678" not in json.dumps(listed, ensure_ascii=False)
    today = datetime.now(live.settings.tz).date().isoformat()
    csv_text = live.call("GET", f"/api/tickets/export.csv?from={today}&to={today}").text
    assert masked in csv_text and "13912345678" not in csv_text
    # The customer's own chat still shows what they typed.
    own = requests.get(f"{live.base}/api/chat/s-phone/messages", timeout=30).json()["messages"]
    assert [m["text"] for m in own if m["sender"] == "customer"] == [words]


def test_list_filters_and_sort_order(live, lily):
    urgent = create(live, "f-urgent", description="我要起诉你们", customer_ref="cust-f", issue_type="payment_issue",
                    order_number="250101-123456789012345", phone="13900001111").json()["ticket"]
    # The same customer again within 7 days: a repeat contact, so high rather than normal.
    normal = create(live, "f-normal", customer_ref="cust-f", issue_type="payment_issue").json()["ticket"]
    lily.call("PATCH", f"/api/tickets/{normal['id']}", json={"assignee": "lily"})

    def ids(query: str) -> list[str]:
        response = live.call("GET", f"/api/tickets?{query}")
        assert response.status_code == 200, response.text
        return [t["id"] for t in response.json()["tickets"]]

    assert ids("customer_ref=cust-f") == [urgent["id"], normal["id"]]  # urgent first
    assert ids("customer_ref=cust-f&priority=high") == [normal["id"]]
    assert ids("customer_ref=cust-f&priority=normal") == []
    assert ids("customer_ref=cust-f&status=open") == [normal["id"]]
    assert ids("customer_ref=cust-f&status=new,open") == [urgent["id"], normal["id"]]
    assert ids("customer_ref=cust-f&assignee=lily") == [normal["id"]]
    assert ids("customer_ref=cust-f&assignee=none") == [urgent["id"]]
    assert [t["id"] for t in lily.call("GET", "/api/tickets?assignee=me").json()["tickets"]] == [normal["id"]]
    assert ids("issue_type=payment_issue&customer_ref=cust-f") == [urgent["id"], normal["id"]]
    assert ids(f"session_id=s-f-urgent&q={urgent['id']}") == [urgent["id"]]
    assert ids("q=250101-123456789012345") == [urgent["id"]]
    assert ids("q=139 0000 1111") == [urgent["id"]]
    assert ids("customer_ref=cust-f&overdue=true") == []
    live.set_clock(datetime.now(timezone.utc) + timedelta(hours=2))
    try:
        assert ids("customer_ref=cust-f&overdue=true") == [urgent["id"], normal["id"]]
        overdue = live.call("GET", "/api/tickets?customer_ref=cust-f").json()["tickets"]
        assert all(t["overdue"] for t in overdue)
    finally:
        live.set_clock(None)
    page = live.call("GET", "/api/tickets?customer_ref=cust-f&limit=1&offset=1").json()
    assert page["total"] == 2 and [t["id"] for t in page["tickets"]] == [normal["id"]]


@pytest.mark.parametrize("query", [
    "status=done", "priority=critical", "issue_type=x", "overdue=yes", "limit=0", "limit=abc", "limit=501",
    "offset=-1", "session_id=%3Cx%3E", "q=" + "9" * 65, "assignee=me",
])
def test_bad_filters_get_400(live, query):
    response = live.call("GET", f"/api/tickets?{query}")
    assert response.status_code == 400 and response.json()["error"] == "invalid_filter"


# -- agents: login, CSRF, changes, replies --------------------------------------------------------------

def test_login_sets_a_strict_http_only_cookie(live):
    response = requests.post(f"{live.base}/desk/login", json={"name": "lily", "password": "correct horse 1"},
                             timeout=30)
    assert response.status_code == 200
    cookie = response.headers["Set-Cookie"]
    assert "desk_session=" in cookie and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert response.json()["agent"] == {"name": "lily", "display_name": "丽丽"}
    me = requests.get(f"{live.base}/api/me", cookies=response.cookies, timeout=10).json()
    assert me["agent"]["name"] == "lily" and me["csrf_token"] == response.json()["csrf_token"]
    assert me["shop"]["timezone"] == "Asia/Shanghai"


@pytest.mark.parametrize("credentials", [
    {"name": "lily", "password": "wrong password"}, {"name": "nobody", "password": "correct horse 1"},
])
def test_wrong_login_gets_401(live, credentials):
    response = requests.post(f"{live.base}/desk/login", json=credentials, timeout=30)
    assert response.status_code == 401 and response.json()["error"] == "invalid_credentials"
    assert "Set-Cookie" not in response.headers


def test_form_login_redirects_only_to_local_pages(live):
    session = requests.Session()
    form = {"name": "lily", "password": "correct horse 1", "next": "//evil.example/x"}
    response = session.post(f"{live.base}/desk/login", data=form, allow_redirects=False, timeout=30)
    assert response.status_code == 303 and response.headers["Location"] == "/desk"
    form["next"] = "/desk/tickets/TK-20261123-0001"
    response = session.post(f"{live.base}/desk/login", data=form, allow_redirects=False, timeout=30)
    assert response.headers["Location"] == "/desk/tickets/TK-20261123-0001"
    form["password"] = "nope"
    response = session.post(f"{live.base}/desk/login", data=form, allow_redirects=False, timeout=30)
    assert response.status_code == 303 and "error=invalid_credentials" in response.headers["Location"]


def test_cross_site_login_is_refused(live):
    response = requests.post(f"{live.base}/desk/login", json={"name": "lily", "password": "correct horse 1"},
                             headers={"Origin": "https://evil.example"}, timeout=30)
    assert response.status_code == 403 and response.json()["error"] == "csrf_failed"


def test_repeated_failed_logins_are_throttled(live):
    add_agent(live.store, "target")
    for _ in range(5):
        requests.post(f"{live.base}/desk/login", json={"name": "target", "password": "guess1234"}, timeout=30)
    response = requests.post(f"{live.base}/desk/login", json={"name": "target", "password": "correct horse 1"},
                             timeout=30)
    assert response.status_code == 429 and response.json()["error"] == "too_many_attempts"


def test_state_changes_from_the_cookie_need_the_csrf_token(live, lily):
    ticket = create(live, "csrf").json()["ticket"]
    path = f"/api/tickets/{ticket['id']}"
    assert lily.call("PATCH", path, csrf=False, json={"status": "open"}).status_code == 403
    wrong = lily.call("PATCH", path, csrf=False, json={"status": "open"}, headers={"X-CSRF-Token": "guess"})
    assert wrong.status_code == 403 and wrong.json()["error"] == "csrf_failed"
    assert lily.call("POST", f"{path}/replies", csrf=False, json={"text": "hi"}).status_code == 403
    assert lily.call("PATCH", path, json={"status": "open"}).status_code == 200
    form = lily.call("PATCH", path, csrf=False, data={"csrf_token": lily.csrf_token},
                     headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert form.status_code == 400  # the token is accepted from the form; the body just is not JSON
    assert live.store.get_ticket(ticket["id"])["status"] == "open"


def test_agent_claims_replies_notes_and_resolves_with_an_audit_trail(live, lily):
    requests.post(f"{live.base}/api/chat/s-flow/messages", json={"text": "我的快递丢了"}, timeout=30)
    ticket = create(live, "flow", session_id="s-flow", description="快递丢了").json()["ticket"]
    path = f"/api/tickets/{ticket['id']}"
    claimed = lily.call("PATCH", path, json={"assignee": "lily"}).json()["ticket"]
    assert claimed["assignee"] == "lily" and claimed["status"] == "open"
    reply = lily.call("POST", f"{path}/replies", json={"text": "您好，我是丽丽，马上为您核实。"})
    assert reply.status_code == 201
    assert reply.json()["ticket"]["first_responded_at"] is not None
    chat = requests.get(f"{live.base}/api/chat/s-flow/messages", timeout=10).json()["messages"]
    assert chat[-1]["sender"] == "agent" and chat[-1]["text"] == "您好，我是丽丽，马上为您核实。"
    assert chat[-1]["meta"]["display_name"] == "丽丽"
    lily.call("PATCH", path, json={"note": "已联系快递公司，等回复", "priority": "high"})
    done = lily.call("PATCH", path, json={"status": "resolved"}).json()["ticket"]
    assert done["status"] == "resolved" and done["resolved_at"] is not None
    events = live.call("GET", path).json()["ticket"]["events"]
    assert [(e["actor"], e["action"]) for e in events] == [
        ("bot", "created"), ("lily", "assigned"), ("lily", "status_changed"), ("lily", "replied"),
        ("lily", "priority_changed"), ("lily", "note"), ("lily", "status_changed")]
    # Internal notes never reach the customer.
    chat = requests.get(f"{live.base}/api/chat/s-flow/messages", timeout=10).json()["messages"]
    assert all("等回复" not in m["text"] for m in chat)


@pytest.mark.parametrize("body, status, code", [
    ({}, 422, "empty_body"),
    ({"state": "open"}, 422, "unknown_field"),
    ({"status": "done"}, 422, "invalid_value"),
    ({"status": None}, 422, "missing_field"),
    ({"priority": "critical"}, 422, "invalid_value"),
    ({"assignee": "ghost"}, 422, "unknown_agent"),
    ({"assignee": 7}, 422, "wrong_type"),
    ({"note": ""}, 422, "empty_field"),
    ({"note": "长" * 10_000}, 413, "too_long"),
])
def test_bad_changes_get_a_clear_4xx(live, lily, body, status, code):
    ticket = create(live, "bad-change").json()["ticket"]
    response = lily.call("PATCH", f"/api/tickets/{ticket['id']}", json=body)
    assert response.status_code == status and response.json()["error"] == code


def test_bad_replies_get_a_clear_4xx(live, lily):
    ticket = create(live, "bad-reply").json()["ticket"]
    path = f"/api/tickets/{ticket['id']}/replies"
    assert lily.call("POST", path, json={}).json()["error"] == "missing_field"
    assert lily.call("POST", path, json={"text": 5}).json()["error"] == "wrong_type"
    assert lily.call("POST", path, json={"text": "字" * 10_000}).status_code == 413
    phone_ticket = create(live, "no-chat", session_id=None, channel="phone").json()["ticket"]
    response = lily.call("POST", f"/api/tickets/{phone_ticket['id']}/replies", json={"text": "您好"})
    assert response.status_code == 409 and response.json()["error"] == "no_conversation"


def test_unassigning_and_agent_list(live, lily):
    ticket = create(live, "unassign").json()["ticket"]
    path = f"/api/tickets/{ticket['id']}"
    lily.call("PATCH", path, json={"assignee": "max"})
    assert lily.call("PATCH", path, json={"assignee": None}).json()["ticket"]["assignee"] is None
    names = [a["name"] for a in live.call("GET", "/api/agents").json()["agents"]]
    assert {"lily", "max"} <= set(names)


# -- live events -------------------------------------------------------------------------------------------

def test_desk_receives_new_tickets_and_messages_as_server_sent_events(live, lily):
    received: list[dict] = []
    opened = threading.Event()

    def listen() -> None:
        with lily.http.get(f"{live.base}/api/desk/events", stream=True, timeout=30) as stream:
            assert stream.headers["Content-Type"].startswith("text/event-stream")
            opened.set()
            for line in stream.iter_lines(decode_unicode=True):
                if line and line.startswith("data: "):
                    received.append(json.loads(line[len("data: "):]))
                    if sum(e["type"] == "message" for e in received) >= 2:
                        return

    listener = threading.Thread(target=listen, daemon=True)
    listener.start()
    assert opened.wait(10)
    _wait_for(lambda: live.app.ctx.events.subscriber_count >= 1)
    ticket = create(live, "live", session_id="s-live").json()["ticket"]
    lily.call("POST", f"/api/tickets/{ticket['id']}/replies", json={"text": "在的"})
    requests.post(f"{live.base}/api/chat/s-live/messages", json={"text": "好的，谢谢，我电话13912345678"}, timeout=30)
    listener.join(20)
    kinds = [e["type"] for e in received]
    assert kinds[0] == "ticket_created" and received[0]["data"]["ticket"]["id"] == ticket["id"]
    messages = [e["data"] for e in received if e["type"] == "message"]
    assert [(m["session_id"], m["message"]["sender"], m["message"]["text"]) for m in messages] == [
        ("s-live", "agent", "在的"), ("s-live", "customer", "好的，谢谢，我电话139****5678")]
    assert messages[0]["ticket_id"] == ticket["id"]
    # A browser that reconnects with Last-Event-ID gets what it missed.
    with lily.http.get(f"{live.base}/api/desk/events", headers={"Last-Event-ID": str(received[0]["id"] - 1)},
                       stream=True, timeout=30) as stream:
        for line in stream.iter_lines(decode_unicode=True):
            if line and line.startswith("data: "):
                assert json.loads(line[len("data: "):])["id"] == received[0]["id"]
                break


def _wait_for(condition, seconds: float = 10.0) -> None:
    deadline = datetime.now() + timedelta(seconds=seconds)
    while not condition():
        assert datetime.now() < deadline, "condition not met in time"
        threading.Event().wait(0.05)


# -- what one customer may see ----------------------------------------------------------------------------

def test_progress_shows_a_customer_only_their_own_tickets(live):
    mine = create(live, "iso-a", session_id="s-alice", customer_ref="alice",
                  description="我的手机号13811112222，快递丢了").json()["ticket"]
    create(live, "iso-a2", session_id="s-alice-2", customer_ref="alice")
    theirs = create(live, "iso-b", session_id="s-bob", customer_ref="bob").json()["ticket"]

    def progress(query: str) -> requests.Response:
        return live.call("GET", f"/api/progress?{query}")

    alice = progress("session_id=s-alice").json()["tickets"]
    assert [t["id"] for t in alice] == [mine["id"]]
    assert "priority" not in alice[0] and "risk_flags" not in alice[0] and "description" not in alice[0]
    assert alice[0]["summary"].startswith("已登记") and alice[0]["assignee"] is None
    AgentClient(live, "lily").call("PATCH", f"/api/tickets/{mine['id']}", json={"assignee": "lily"})
    assert progress("session_id=s-alice").json()["tickets"][0]["assignee"] == "丽丽"  # the name shown in chat
    assert len(progress("customer_ref=alice").json()["tickets"]) == 2
    # Bob, with Alice's ticket id, her order number or her phone, learns nothing.
    for query in (f"session_id=s-bob&ticket_id={mine['id']}", f"customer_ref=bob&ticket_id={mine['id']}"):
        response = progress(query)
        assert response.status_code == 404 and response.json()["error"] == "ticket_not_found"
    assert [t["id"] for t in progress("session_id=s-bob").json()["tickets"]] == [theirs["id"]]
    assert progress("session_id=s-nobody").json()["tickets"] == []
    assert progress(f"ticket_id={mine['id']}").status_code == 422  # no customer given → no answer
    response = live.call("POST", f"/api/tickets/{mine['id']}/csat", json={"session_id": "s-bob", "score": 1})
    assert response.status_code == 404
    assert live.store.get_ticket(mine["id"])["csat"] is None
    bob_chat = requests.get(f"{live.base}/api/chat/s-bob/messages", timeout=10).json()["messages"]
    assert all("13811112222" not in m["text"] for m in bob_chat)
    # Without the machine token or an agent login, nothing about the ticket is readable at all.
    for path in (f"/api/tickets/{mine['id']}", f"/api/tickets?q={mine['id']}", "/api/progress?session_id=s-alice",
                 "/api/tickets/export.csv"):
        assert live.call("GET", path, token=None).status_code == 401


def test_customer_rates_their_own_ticket(live):
    ticket = create(live, "rate", session_id="s-rate").json()["ticket"]
    path = f"/api/tickets/{ticket['id']}/csat"
    response = live.call("POST", path, json={"session_id": "s-rate", "score": 4, "comment": "还行"})
    assert response.status_code == 200 and response.json()["ticket"]["csat"] == 4
    stored = live.store.get_ticket(ticket["id"])
    assert (stored["csat"], stored["csat_comment"]) == (4, "还行")
    for body, code in [({"session_id": "s-rate"}, "missing_field"), ({"session_id": "s-rate", "score": 6},
                                                                      "invalid_value"),
                       ({"session_id": "s-rate", "score": True}, "invalid_value"),
                       ({"session_id": "s-rate", "score": "5"}, "invalid_value"), ({"score": 5}, "missing_field")]:
        response = live.call("POST", path, json=body)
        assert response.status_code == 422 and response.json()["error"] == code


def test_progress_needs_a_valid_customer(live):
    assert live.call("GET", "/api/progress").status_code == 422
    assert live.call("GET", "/api/progress?session_id=%3Cx%3E").status_code == 400


# -- export and documentation ---------------------------------------------------------------------------

def test_csv_export_for_a_date_range(live):
    moment = datetime(2026, 3, 10, 4, 0, tzinfo=timezone.utc)
    new = NewTicket(idempotency_key="csv-1", issue_type="price_dispute", description="=1+1 降价了要退差价",
                    session_id="s-csv", expectation="refund")
    ticket, _ = open_ticket(live.store, live.settings, new, now=moment)
    response = live.call("GET", "/api/tickets/export.csv?from=2026-03-10&to=2026-03-10")
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in response.headers["Content-Disposition"]
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert [r["ticket_id"] for r in rows] == [ticket["id"]]
    assert rows[0]["issue_type_zh"] == "价格争议" and rows[0]["description"].startswith("'=")
    empty = live.call("GET", "/api/tickets/export.csv?from=2026-03-11&to=2026-03-12").content.decode("utf-8")
    assert len(empty.strip().splitlines()) == 1  # the header only


@pytest.mark.parametrize("query", ["from=2026-13-01", "from=yesterday", "from=2026-03-10&to=2026-03-01",
                                   "from=2020-01-01&to=2026-01-01"])
def test_bad_export_ranges_get_400(live, query):
    response = live.call("GET", f"/api/tickets/export.csv?{query}")
    assert response.status_code == 400 and response.json()["error"] == "invalid_date"


def test_openapi_describes_every_route(live):
    response = requests.get(f"{live.base}/api/openapi.json", timeout=10)
    assert response.status_code == 200
    spec = response.json()
    assert spec["openapi"].startswith("3.")
    documented = {(path, method.upper()) for path, item in spec["paths"].items() for method in item
                  if method != "parameters"}
    for route in live.app.router.routes:
        path = re.sub(r"<(\w+)(:[^>]*)?>", r"{\1}", "/" + route.path.strip("/"))
        for method in route.methods:
            if method in ("HEAD", "OPTIONS"):
                continue
            assert (path, method) in documented, f"{method} {path} is not in the OpenAPI description"
    ticket_fields = spec["components"]["schemas"]["Ticket"]["properties"]
    for name in ("id", "session_id", "customer_ref", "channel", "order_number", "order_number_status", "issue_type",
                 "category", "expectation", "description", "priority", "risk_flags", "off_hours", "created_at",
                 "first_response_due", "resolution_due", "status", "assignee", "csat"):
        assert name in ticket_fields


# -- the command line ---------------------------------------------------------------------------------------

def test_agent_add_command_creates_a_login(live):
    env = {**os.environ, "DATABASE_URL": live.settings.database_url, "BOT_API_TOKEN": TOKEN,
           "RASA_AUTH_TOKEN": live.settings.rasa_auth_token, "SESSION_SECRET": live.settings.session_secret,
           "SHOP_SECRET": live.settings.shop_secret, "IDENTITY_SECRET": "identity-secret-0123456789",
           "ACTION_SERVER_TOKEN": "action-secret-0123456789"}
    command = [sys.executable, "-m", "bot", "agent", "add", "cli-agent", "--display-name", "小命令",
               "--password-stdin"]
    done = subprocess.run(command, input="a long password\n", text=True, capture_output=True, env=env, cwd=ROOT,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    again = subprocess.run(command, input="a long password\n", text=True, capture_output=True, env=env, cwd=ROOT,
                           timeout=120)
    assert again.returncode == 1 and "已存在" in again.stderr
    short = subprocess.run([*command[:4], "cli-short", "--password-stdin"], input="short\n", text=True,
                           capture_output=True, env=env, cwd=ROOT, timeout=120)
    assert short.returncode == 2
    stored = live.store.get_agent("cli-agent", with_hash=True)
    assert stored["display_name"] == "小命令" and stored["password_hash"].startswith("scrypt$")
    assert "a long password" not in stored["password_hash"]
    response = requests.post(f"{live.base}/desk/login", json={"name": "cli-agent", "password": "a long password"},
                             timeout=30)
    assert response.status_code == 200
