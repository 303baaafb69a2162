"""ID numbers and bank cards never become the order number, and the read-back masks what it
shows and never cuts a number in half (issue 13, finding 4). Real Trackers, a real dispatcher."""
from __future__ import annotations

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.intake import ActionAcknowledgeComplaint, ValidateComplaintForm
from actions.submission import ActionAskConfirm, ticket_payload
from tests.support.actions import (
    DOMAIN,
    FORM,
    action,
    entity,
    first_message,
    form_turn,
    in_form,
    slot,
    slot_values,
    texts,
    tracker,
    user,
)

ID_NUMBER = "110101199003074514"
CARD = "6222020200001234562"
ORDER = "4512345678901234077"



async def acknowledge(text: str, order_slot: str) -> list[dict]:
    """The first reply after Rasa's order-number regex put `order_slot` into the slot."""
    turn = first_message(text, "complain_product_quality", entities=[entity("order_number", order_slot)],
                         slots={"issue_type": "product_quality", "order_number": order_slot})
    return await ActionAcknowledgeComplaint().run(CollectingDispatcher(), turn, DOMAIN)


async def test_the_reported_message_files_the_order_number_not_the_id(shop):
    events = await acknowledge(f"订单号 {ORDER}，我身份证号 {ID_NUMBER}，衣服破了", ID_NUMBER)
    assert slot_values(events)["order_number"] == ORDER


@pytest.mark.parametrize("text, number", [(f"我身份证号{ID_NUMBER} 衣服破了要退货", ID_NUMBER),
                                          (f"衣服破了 钱退到{CARD}", CARD)])
async def test_an_id_or_card_the_nlu_took_for_an_order_number_is_cleared(shop, text, number):
    events = await acknowledge(text, number)
    assert slot_values(events)["order_number"] is None


async def test_an_id_typed_as_the_answer_is_refused_and_not_kept(shop):
    dispatcher = CollectingDispatcher()
    turn = form_turn(in_form(requested="order_number"), user(ID_NUMBER, "inform"), {"order_number": ID_NUMBER})
    events = await ValidateComplaintForm().run(dispatcher, turn, DOMAIN)

    assert slot_values(events)["order_number"] is None
    assert "身份证号或银行卡号" in texts(dispatcher) and ID_NUMBER not in texts(dispatcher)


async def test_a_prefilled_id_is_dropped_quietly_when_the_form_starts(shop):
    said_id = user(f"身份证{ID_NUMBER}", "inform", entities=[entity("order_number", ID_NUMBER)])
    history = [action("action_listen"), said_id, slot("order_number", ID_NUMBER), action("action_listen"),
               user("快递五天了还没到", "complain_logistics_delay"), slot("issue_type", "logistics_delay"),
               action("action_acknowledge_complaint")]
    dispatcher = CollectingDispatcher()
    events = await ValidateComplaintForm().run(dispatcher, tracker([
        *history, slot("requested_slot", None), action(FORM), slot("issue_type", "logistics_delay"),
        slot("order_number", ID_NUMBER)]), DOMAIN)

    assert slot_values(events)["order_number"] is None
    assert dispatcher.messages == []


async def test_a_card_shaped_number_given_as_the_order_number_is_accepted(shop):
    turn = form_turn(in_form(requested="order_number"), user(CARD, "inform"))
    assert await ValidateComplaintForm().extract_order_number(CollectingDispatcher(), turn, DOMAIN) == \
        {"order_number": CARD}
    assert ValidateComplaintForm().validate_order_number(CARD, CollectingDispatcher(), turn, DOMAIN) == \
        {"order_number": CARD, "order_number_status": "given"}


async def test_a_card_shaped_order_number_the_form_accepted_is_read_back_and_filed(shop):
    """A 19-digit order number given after the number was first skipped: the form accepts it, so
    the read-back and the ticket both name it (the read-back once said "暂未提供")."""
    events = in_form(filled={"order_number": CARD, "order_number_status": "given", "expectation": "expedite",
                             "issue_type": "logistics_delay", "description": "一直是运输中"}, requested="confirm")
    dispatcher = CollectingDispatcher()
    await ActionAskConfirm().run(dispatcher, tracker(events), DOMAIN)
    assert f"订单号：{CARD}" in texts(dispatcher) and "暂未提供" not in texts(dispatcher)
    assert ticket_payload(tracker(events))["order_number"] == CARD


async def test_an_order_number_sent_in_groups_at_the_read_back_is_taken(shop):
    """The read-back said "订单号：暂未提供"; the customer pastes the number in groups. It is
    extracted, accepted (it answers the read-back) and confirmed back in one line."""
    from tests.support.actions import validate_form

    history = in_form(filled={"order_number": "unknown", "order_number_status": "unknown", "expectation": "refund",
                              "asked": {"order_number": 2, "confirm": 1}}, requested="confirm")
    grouped = "6222 0202 0000 1234 562"  # card-shaped too: given here as the order number
    turn = form_turn(history, user(grouped, "inform"))
    extracted = await ValidateComplaintForm().extract_order_number(CollectingDispatcher(), turn, DOMAIN)
    assert extracted == {"order_number": CARD}
    dispatcher, events = await validate_form(form_turn(history, user(grouped, "inform"), extracted))
    assert slot_values(events)["order_number"] == CARD and slot_values(events)["order_number_status"] == "given"
    assert f"订单号 {CARD} 已经补上了" in texts(dispatcher)


async def test_the_read_back_masks_personal_data_and_never_cuts_a_number(shop):
    for padding in range(0, 40):
        description = "丢件了" + "啊" * padding + f"，联系我 +86 138 1234 5678 或者身份证 {ID_NUMBER} 核对"
        events = in_form(filled={"order_number": ORDER, "order_number_status": "given", "expectation": "refund",
                                 "description": description}, requested="confirm")
        dispatcher = CollectingDispatcher()
        await ActionAskConfirm().run(dispatcher, tracker(events), DOMAIN)
        line = next(t for t in texts(dispatcher).splitlines() if t.startswith("· 问题"))
        assert "1234" not in line and "199003074" not in line, line
        assert ("138" not in line or "138****5678" in line) and ("110101" not in line or "110101********4514" in line)


async def test_a_handoff_never_files_an_id_as_the_order_number(shop):
    events = [action("action_listen"), user(f"我身份证{ID_NUMBER} 转人工", "request_human",
                                            entities=[entity("order_number", ID_NUMBER)]),
              slot("order_number", ID_NUMBER)]
    payload = ticket_payload(tracker(events), handoff=True)
    assert payload["order_number"] is None and payload["order_number_status"] == "unknown"
