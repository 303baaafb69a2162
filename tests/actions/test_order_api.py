"""The optional order lookup (ORDER_API_URL) against a real HTTP server on loopback: found, not
found, broken and slow answers, on its own and inside the form's order-number validation."""
from __future__ import annotations

import time

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.clients.orders import OrderLookup, lookup_order
from actions.intake import ValidateComplaintForm
from tests.support.actions import (
    DOMAIN,
    TAOBAO,
    LocalServer,
    Reply,
    closed_port_url,
    entity,
    form_turn,
    in_form,
    payloads,
    responses,
    set_up_shop,
    slot_values,
    texts,
    user,
)

PDD = "240612-123456789012345"
SLOW = 0.8  # seconds; longer than ORDER_API_TIMEOUT_SECONDS=0.3


def shop_orders(request):
    """The shop's order system: knows two orders, fails on one, is slow on another."""
    number = request.path.rsplit("/", 1)[-1]
    if number in (TAOBAO, PDD):
        return Reply(200, {"order_number": number, "status": "shipped"})
    if number == "4512345678901234500":
        return Reply(500, {"error": "database unavailable"})
    if number == "4512345678901234501":
        return Reply(200, {"order_number": number}, delay=SLOW)
    return Reply(404, {"error": "no such order"})


@pytest.fixture
def order_api():
    with LocalServer(shop_orders) as server:
        yield server


# -- lookup_order -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("number, expected", [
    (TAOBAO, OrderLookup.FOUND),
    (PDD, OrderLookup.FOUND),
    ("4512345678901234599", OrderLookup.NOT_FOUND),
    ("4512345678901234500", OrderLookup.UNAVAILABLE),  # 500
])
def test_lookup_answers(order_api, number, expected):
    assert lookup_order(f"{order_api.url}/orders", number, 0.3) == expected
    assert order_api.received[-1].path == f"/orders/{number}"
    assert order_api.received[-1].method == "GET"


def test_a_slow_lookup_is_unavailable_within_the_timeout(order_api):
    started = time.monotonic()
    assert lookup_order(order_api.url, "4512345678901234501", 0.3) == OrderLookup.UNAVAILABLE
    assert time.monotonic() - started < SLOW


def test_a_lookup_with_the_order_system_down_is_unavailable():
    assert lookup_order(closed_port_url(), TAOBAO, 0.3) == OrderLookup.UNAVAILABLE


def test_a_trailing_slash_in_the_configured_url_is_harmless(order_api):
    assert lookup_order(f"{order_api.url}/orders/", PDD, 0.3) == OrderLookup.FOUND
    assert order_api.received[-1].path == f"/orders/{PDD}"


# -- inside the form ------------------------------------------------------------------------------------------

@pytest.fixture
def shop(monkeypatch, tmp_path, order_api):
    settings, _client = set_up_shop(monkeypatch, tmp_path, ORDER_API_URL=f"{order_api.url}/orders",
                                    ORDER_API_TIMEOUT_SECONDS="0.3")
    return settings


async def answer_order_number(number: str, history=None):
    history = history or in_form(requested="order_number")
    message = user(f"订单号{number}", "inform", entities=[entity("order_number", number)])
    dispatcher = CollectingDispatcher()
    events = await ValidateComplaintForm().run(dispatcher, form_turn(history, message, {"order_number": number}),
                                               DOMAIN)
    return dispatcher, events


async def test_a_found_order_is_verified(shop, order_api):
    dispatcher, events = await answer_order_number(TAOBAO)

    values = slot_values(events)
    assert values["order_number"] == TAOBAO
    assert values["order_number_status"] == "verified"
    assert dispatcher.messages == []
    assert [r.path for r in order_api.received] == [f"/orders/{TAOBAO}"]


async def test_an_order_not_found_is_asked_again(shop):
    dispatcher, events = await answer_order_number("4512345678901234599")

    values = slot_values(events)
    assert values["order_number"] is None
    assert "4512345678901234599 没有查到" in texts(dispatcher)
    assert payloads(dispatcher) == ["/dont_know"]


async def test_a_second_order_not_found_spends_the_budget_and_carries_on(shop):
    history = in_form(requested="order_number", filled={"asked": {"issue_type": 0, "order_number": 2}})
    dispatcher, events = await answer_order_number("4512345678901234598", history)

    values = slot_values(events)
    assert values["order_number"] == "unknown" and values["order_number_status"] == "unknown"
    assert values["missing_fields"] == ["order_number"]
    assert responses(dispatcher) == ["utter_order_number_skipped"]
    assert "没有查到" not in texts(dispatcher)


@pytest.mark.parametrize("number, why", [("4512345678901234500", "500"), ("4512345678901234501", "slow")])
async def test_an_order_system_in_trouble_accepts_the_number_unverified(shop, number, why):
    started = time.monotonic()
    dispatcher, events = await answer_order_number(number)

    values = slot_values(events)
    assert values["order_number"] == number
    assert values["order_number_status"] == "given"  # not verified, but the customer is not blocked
    assert dispatcher.messages == []
    assert time.monotonic() - started < SLOW


async def test_a_malformed_number_is_refused_without_asking_the_order_system(shop, order_api):
    turn = form_turn(in_form(requested="order_number"), user("123456", "inform"))
    dispatcher = CollectingDispatcher()
    await ValidateComplaintForm().run(dispatcher, turn, DOMAIN)

    assert order_api.received == []
    assert dispatcher.messages == []  # the second ask explains the format and that it can be skipped
