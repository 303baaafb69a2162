"""Suggested next steps: at least two solution options for every issue type and expectation, in
Chinese, with drafts the agent edits; served to agents only by `GET /api/tickets/{id}/suggestions`
and never sent to the customer by the service."""
from __future__ import annotations

import re

import pytest
import requests

from bot.domain.suggestions import (
    EXPECTATION_OPTIONS,
    ISSUE_OPTIONS,
    MAX_SUGGESTIONS,
    every_combination,
    suggestions_for,
    suggestions_for_ticket,
)
from bot.domain.taxonomy import EXPECTATIONS, ISSUE_TYPES
from tests.support.live_app import AgentClient, LiveApp, add_agent, make_settings, ticket_body

CHINESE = re.compile(r"[\u4e00-\u9fff]")


# -- the tables ----------------------------------------------------------------------------------

def test_tables_cover_the_whole_taxonomy():
    assert set(EXPECTATION_OPTIONS) == set(EXPECTATIONS)
    assert set(ISSUE_OPTIONS) == set(ISSUE_TYPES)
    assert all(len(options) >= 2 for options in EXPECTATION_OPTIONS.values())


@pytest.mark.parametrize("issue_type, expectation", every_combination())
def test_every_combination_offers_at_least_two_distinct_chinese_options(issue_type, expectation):
    options = suggestions_for(issue_type, expectation, order_number="4512345678901234567")
    assert 2 <= len(options) <= MAX_SUGGESTIONS
    assert len({o.key for o in options}) == len(options)
    assert len({o.title for o in options}) == len(options)
    for option in options:
        assert CHINESE.search(option.title) and CHINESE.search(option.reply)
        assert "{" not in option.reply and "}" not in option.reply, option.reply


def test_quality_problem_with_return_refund_offers_the_pickup_and_the_keep_it_options():
    options = suggestions_for("product_quality", "return_refund", order_number="4512345678901234567")
    titles = [o.title for o in options]
    assert titles[:2] == ["同意退货退款，提供上门取件并承担运费", "先补偿小额红包请顾客保留商品"]
    assert any("照片" in t for t in titles), "the problem's own remedy is offered too"
    assert "订单 4512345678901234567" in options[0].reply


def test_the_customers_wish_comes_first_and_the_problem_decides_the_rest():
    delay = [o.key for o in suggestions_for("logistics_delay", "expedite")]
    assert delay[:2] == ["expedite.chase", "expedite.cancel"] and "logistics_delay.chase" in delay
    stock = [o.key for o in suggestions_for("out_of_stock", "refund")]
    assert stock[:2] == ["refund.full", "refund.partial"]
    assert {"out_of_stock.refund_bonus", "out_of_stock.alternative"} <= set(stock)


def test_no_or_unknown_wish_asks_what_the_customer_wants():
    for expectation in (None, "other", "no-such-wish"):
        keys = [o.key for o in suggestions_for("other_complaint", expectation)]
        assert keys == ["general.ask", "general.timeline"]
    assert len(suggestions_for("no-such-issue", None)) >= 2


def test_without_an_order_number_the_draft_says_your_order():
    reply = suggestions_for("after_sales_refund", "refund")[0].reply
    assert "您的订单" in reply and "订单 None" not in reply


def test_risks_put_their_handling_first():
    safety = suggestions_for("product_quality", "return_refund", ["safety", "regulator"])
    assert safety[0].key == "risk.safety" and "就医" in safety[0].reply
    regulator = suggestions_for("logistics_delay", "expedite", ["regulator"])
    assert regulator[0].key == "risk.lead_call"
    assert [o.key for o in regulator][1:3] == ["expedite.chase", "expedite.cancel"]
    assert suggestions_for("logistics_delay", "expedite", ["anger"])[0].key == "expedite.chase"


def test_money_options_tell_the_agent_to_fill_in_the_amount():
    for option in suggestions_for("other_complaint", "compensation"):
        if "元" in option.reply:
            assert "＿＿" in option.reply, "an amount is never promised by the template itself"


def test_ticket_shortcut_reads_the_ticket_fields():
    ticket = {"issue_type": "price_dispute", "expectation": "refund", "risk_flags": [], "order_number": "ABC-1234"}
    keys = [o.key for o in suggestions_for_ticket(ticket)]
    assert keys[:2] == ["refund.full", "refund.partial"] and "price_dispute.price_protection" in keys


# -- the endpoint ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def live(tmp_path_factory):
    running = LiveApp(make_settings(tmp_path_factory.mktemp("suggestions")))
    running.app.ctx.escalation_interval = 3600
    running.start()
    add_agent(running.store, "lily", display_name="丽丽")
    yield running
    running.stop()


@pytest.fixture(scope="module")
def ticket(live):
    live.store.append_message("s-sugg-1", "customer", "水壶漏水了，我要退货退款")
    response = live.call("POST", "/api/tickets", json=ticket_body(
        "sugg-1", session_id="s-sugg-1", issue_type="product_quality", expectation="return_refund",
        description="水壶漏水了，我要退货退款"))
    assert response.status_code == 201
    return response.json()["ticket"]


def test_agents_get_the_options_for_a_ticket(live, ticket):
    agent = AgentClient(live, "lily")
    response = agent.call("GET", f"/api/tickets/{ticket['id'].lower()}/suggestions")
    assert response.status_code == 200
    body = response.json()
    assert body["ticket_id"] == ticket["id"]
    assert (body["issue_type"], body["expectation"]) == ("product_quality", "return_refund")
    titles = [s["title"] for s in body["suggestions"]]
    assert "同意退货退款，提供上门取件并承担运费" in titles and "先补偿小额红包请顾客保留商品" in titles
    assert all(set(s) == {"key", "title", "reply", "note"} for s in body["suggestions"])
    assert "4512345678901234567" in body["suggestions"][0]["reply"]


def test_asking_for_options_sends_nothing_and_changes_nothing(live, ticket):
    agent = AgentClient(live, "lily")
    before_chat = requests.get(f"{live.base}/api/chat/s-sugg-1/messages", timeout=10).json()["messages"]
    before = live.call("GET", f"/api/tickets/{ticket['id']}").json()["ticket"]
    for _ in range(2):
        assert agent.call("GET", f"/api/tickets/{ticket['id']}/suggestions").status_code == 200
    after_chat = requests.get(f"{live.base}/api/chat/s-sugg-1/messages", timeout=10).json()["messages"]
    after = live.call("GET", f"/api/tickets/{ticket['id']}").json()["ticket"]
    assert after_chat == before_chat
    assert after["events"] == before["events"] and after["status"] == before["status"] == "new"


def test_only_logged_in_agents_may_ask(live, ticket):
    path = f"/api/tickets/{ticket['id']}/suggestions"
    assert live.call("GET", path, token=None).status_code == 401
    assert live.call("GET", path, token="wrong").status_code == 401
    machine = live.call("GET", path)
    assert machine.status_code == 403 and machine.json()["error"] == "forbidden"


@pytest.mark.parametrize("ticket_id", ["TK-20000101-9999", "not-a-ticket", "TK-1"])
def test_unknown_tickets_are_404(live, ticket_id):
    agent = AgentClient(live, "lily")
    response = agent.call("GET", f"/api/tickets/{ticket_id}/suggestions")
    assert response.status_code == 404 and response.json()["error"] == "ticket_not_found"
