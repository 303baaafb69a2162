"""The desk's queue tools of issue 15, served for real on loopback: paging past the first 200 with a
total, bulk claim / assign / close (each ticket on its own: the reason rule, unknown ids, a
colleague's tickets), and a customer's earlier tickets (agents only, never another customer's)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from tests.support.live_app import AgentClient, LiveApp, add_agent, make_settings, ticket_body


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    running = LiveApp(make_settings(tmp_path_factory.mktemp("queue_tools")))
    running.app.ctx.escalation_interval = 3600
    running.start()
    add_agent(running.store, "lily", display_name="丽丽")
    add_agent(running.store, "max", display_name="小马")
    yield running
    running.stop()


@pytest.fixture(scope="module")
def lily(live):
    return AgentClient(live, "lily")


def create(live, key: str, **fields) -> dict:
    response = live.call("POST", "/api/tickets", json=ticket_body(key, **fields))
    assert response.status_code == 201, response.text
    return response.json()["ticket"]


# -- paging ---------------------------------------------------------------------------------------

def test_paging_past_the_first_200_with_a_total(live):
    made = {create(live, f"page-{n}", customer_ref="cust-paging", order_number=f"PG{n:06d}")["id"]
            for n in range(230)}
    first = live.call("GET", "/api/tickets?customer_ref=cust-paging&limit=200").json()
    second = live.call("GET", "/api/tickets?customer_ref=cust-paging&limit=200&offset=200").json()
    assert (first["total"], len(first["tickets"]), first["offset"]) == (230, 200, 0)
    assert (second["total"], len(second["tickets"]), second["offset"], second["limit"]) == (230, 30, 200, 200)
    seen = [t["id"] for t in first["tickets"] + second["tickets"]]
    assert len(seen) == len(set(seen)) and set(seen) == made, "two pages hold every ticket exactly once"
    beyond = live.call("GET", "/api/tickets?customer_ref=cust-paging&limit=200&offset=400").json()
    assert beyond["tickets"] == [] and beyond["total"] == 230
    page = live.call("GET", "/api/openapi.json").json()["paths"]["/api/tickets"]["get"]
    documented = {p["name"]: p["schema"] for p in page["parameters"]}
    assert documented["limit"]["maximum"] == 500 and documented["offset"]["minimum"] == 0


# -- bulk actions ---------------------------------------------------------------------------------

def bulk(agent: AgentClient, **body):
    return agent.call("POST", "/api/tickets/bulk", json=body)


def test_bulk_claim_leaves_a_colleagues_ticket_and_reports_unknown_ids(live, lily):
    free = create(live, "bulk-claim-free", order_number="BC000001")
    mine = create(live, "bulk-claim-mine", order_number="BC000002")
    held = create(live, "bulk-claim-held", order_number="BC000003")
    lily.call("PATCH", f"/api/tickets/{mine['id']}", json={"assignee": "lily"})
    lily.call("PATCH", f"/api/tickets/{held['id']}", json={"assignee": "max"})

    answer = bulk(lily, action="claim", ids=[free["id"], mine["id"].lower(), held["id"], "TK-20990101-9999",
                                             "nope", free["id"]])
    assert answer.status_code == 200, answer.text
    body = answer.json()
    results = {r["id"]: r for r in body["results"]}
    assert [r["id"] for r in body["results"]] == [free["id"], mine["id"], held["id"], "TK-20990101-9999", "NOPE"]
    assert results[free["id"]]["ok"] and results[free["id"]]["changed"]
    assert results[free["id"]]["ticket"]["assignee"] == "lily"
    assert results[mine["id"]]["ok"] and not results[mine["id"]]["changed"]
    assert results[held["id"]]["error"] == "assigned_to_other" and "小马" in results[held["id"]]["message"]
    for unknown in ("TK-20990101-9999", "NOPE"):
        assert results[unknown] == {"id": unknown, "ok": False, "changed": False, "error": "ticket_not_found",
                                    "message": "找不到这个工单。"}
    assert (body["succeeded"], body["failed"]) == (2, 3)
    assert live.store.get_ticket(held["id"])["assignee"] == "max", "a claim never takes a colleague's ticket"


def test_bulk_assign_to_a_colleague(live, lily):
    tickets = [create(live, f"bulk-assign-{n}", order_number=f"BA00000{n}") for n in range(3)]
    answer = bulk(lily, action="assign", assignee="max", ids=[t["id"] for t in tickets]).json()
    assert answer["succeeded"] == 3 and all(r["ticket"]["assignee"] == "max" for r in answer["results"])
    events = live.call("GET", f"/api/tickets/{tickets[0]['id']}").json()["ticket"]["events"]
    assigned = [e for e in events if e["action"] == "assigned"]
    assert [(e["actor"], e["details"]["to"]) for e in assigned] == [("lily", "max")]

    unknown = bulk(lily, action="assign", assignee="nobody", ids=[tickets[0]["id"]])
    assert unknown.status_code == 422 and unknown.json()["error"] == "unknown_agent"
    missing = bulk(lily, action="assign", ids=[tickets[0]["id"]])
    assert missing.status_code == 422 and missing.json()["field"] == "assignee"
    assert live.store.get_ticket(tickets[0]["id"])["assignee"] == "max"


def test_bulk_close_needs_a_reason_for_tickets_nobody_answered(live, lily):
    answered = create(live, "bulk-close-answered", order_number="BX000001")
    silent = create(live, "bulk-close-silent", order_number="BX000002")
    lily.call("POST", f"/api/tickets/{answered['id']}/replies", json={"text": "您好，已为您补发"})

    first = bulk(lily, action="close", ids=[answered["id"], silent["id"]]).json()
    results = {r["id"]: r for r in first["results"]}
    assert results[answered["id"]]["ok"] and results[answered["id"]]["ticket"]["status"] == "closed"
    refused = results[silent["id"]]
    assert refused["error"] == "reason_required" and "原因" in refused["message"]
    assert refused["ticket"]["status"] == "new" and live.store.get_ticket(silent["id"])["status"] == "new"

    second = bulk(lily, action="close", reason="顾客已电话确认撤回", ids=[silent["id"]]).json()
    assert second["succeeded"] == 1 and second["results"][0]["ticket"]["status"] == "closed"
    events = live.call("GET", f"/api/tickets/{silent['id']}").json()["ticket"]["events"]
    assert events[-1]["details"] == {"from": "new", "to": "closed", "reason": "顾客已电话确认撤回"}


@pytest.mark.parametrize("body, field", [
    ({"action": "claim", "ids": []}, "ids"),
    ({"action": "claim", "ids": [f"TK-20990101-{n:04d}" for n in range(201)]}, "ids"),
    ({"action": "delete", "ids": ["TK-20990101-0001"]}, "action"),
    ({"action": "close", "ids": ["TK-20990101-0001"], "reason": "  "}, "reason"),
    ({"action": "claim", "ids": ["TK-20990101-0001"], "status": "closed"}, "status"),
])
def test_bulk_bad_bodies_get_422(lily, body, field):
    answer = bulk(lily, **body)
    assert answer.status_code == 422, answer.text
    assert answer.json()["field"] == field


def test_bulk_is_for_logged_in_agents_with_the_csrf_token(live, lily):
    ticket = create(live, "bulk-auth", order_number="BU000001")
    assert live.call("POST", "/api/tickets/bulk", json={"action": "claim", "ids": [ticket["id"]]}).status_code == 403
    assert live.call("POST", "/api/tickets/bulk", token=None,
                     json={"action": "claim", "ids": [ticket["id"]]}).status_code == 401
    no_csrf = lily.call("POST", "/api/tickets/bulk", csrf=False, json={"action": "claim", "ids": [ticket["id"]]})
    assert no_csrf.status_code == 403
    assert live.store.get_ticket(ticket["id"])["assignee"] is None


# -- a customer's history ---------------------------------------------------------------------------

def test_history_lists_the_same_customers_earlier_tickets_only(live, lily):
    now = datetime.now(timezone.utc)

    def at(minutes: int, key: str, **fields) -> dict:
        return create(live, key, submitted_at=(now - timedelta(minutes=minutes)).isoformat(), **fields)

    by_ref = at(50, "hist-ref", customer_ref="cust-h1", order_number="HO000001", phone="13900000001")
    by_phone = at(40, "hist-phone", order_number="HO000002", phone="13800001111")
    by_order = at(30, "hist-order", order_number="HO000009", phone="13900000003")
    someone_else = at(20, "hist-other", customer_ref="cust-h2", order_number="HO000004", phone="13900000004")
    current = at(10, "hist-now", customer_ref="cust-h1", order_number="HO000009", phone="13800001111")
    later = create(live, "hist-later", customer_ref="cust-h1", order_number="HO000005")

    answer = lily.call("GET", f"/api/tickets/{current['id']}/history")
    assert answer.status_code == 200, answer.text
    history = answer.json()
    assert [t["id"] for t in history["tickets"]] == [by_order["id"], by_phone["id"], by_ref["id"]]
    assert history["total"] == 3
    assert [t["matched_by"] for t in history["tickets"]] == [["order_number"], ["phone"], ["customer_ref"]]
    assert history["tickets"][1]["phone"] == "138****1111", "phones stay masked"
    listed = {t["id"] for t in history["tickets"]}
    assert someone_else["id"] not in listed and later["id"] not in listed and current["id"] not in listed

    # The other customer's history holds nothing of the first one's.
    other = lily.call("GET", f"/api/tickets/{someone_else['id']}/history").json()
    assert other == {"tickets": [], "total": 0}


def test_history_is_for_agents_only(live, lily):
    ticket = create(live, "hist-auth", customer_ref="cust-h3", order_number="HA000001")
    path = f"/api/tickets/{ticket['id']}/history"
    assert live.call("GET", path).status_code == 403, "the assistant's token never reads a customer's history"
    assert live.call("GET", path, token=None).status_code == 401
    assert lily.call("GET", "/api/tickets/TK-20990101-9999/history").status_code == 404
    assert lily.call("GET", "/api/tickets/%3Cx%3E/history").status_code == 404
