"""Issue 11 rules found by the real-register conversation tests (tests/conversations/
test_conversations_real.yml) that only the real action code can show: a question about the order
number never skips it, closing words file the record, and after a hand-off the form stays shut."""
from __future__ import annotations

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.intake import ActionAcknowledgeComplaint
from tests.support.actions import (
    DOMAIN,
    action,
    form_turn,
    in_form,
    loop,
    responses,
    slot,
    slot_values,
    tracker,
    user,
)
from tests.support.actions import (
    validate_form as validate,
)


# The model reads these as dont_know, and the domain's dont_know mapping offers "unknown" (skip).
@pytest.mark.parametrize("said", ["需要订单号吗", "还要订单号吗 我得去翻", "订单号一定要吗"])
async def test_asking_whether_the_order_number_is_needed_does_not_skip_it(shop, said):
    history = in_form(requested="order_number", filled={"asked": {"order_number": 1}})
    dispatcher, events = await validate(form_turn(history, user(said, "dont_know"), {"order_number": "unknown"}))

    values = slot_values(events)
    assert values.get("order_number") is None
    assert "order_number" not in (values.get("missing_fields") or [])
    assert "utter_order_number_skipped" not in responses(dispatcher)


@pytest.mark.parametrize("said", ["没订单号不行吗", "不知道订单号"])
async def test_saying_there_is_no_order_number_skips_it(shop, said):
    history = in_form(requested="order_number", filled={"asked": {"order_number": 1}})
    _dispatcher, events = await validate(form_turn(history, user(said, "dont_know"), {"order_number": "unknown"}))

    assert slot_values(events)["order_number"] == "unknown"


async def test_closing_words_read_as_thanks_file_the_record_as_it_stands(shop):
    history = in_form(requested="expectation", filled={"order_number": "4512345678901234567",
                                                       "order_number_status": "given"})
    _dispatcher, events = await validate(form_turn(history, user("不用了 谢谢", "thank")))

    values = slot_values(events)
    assert values["filed_as_is"] is True and values["requested_slot"] is None
    assert values["missing_fields"] == ["expectation"]


async def test_after_a_handoff_a_new_complaint_does_not_start_the_form(shop):
    events = in_form(requested="order_number")
    events += [user("转人工", "request_human"), action("action_handoff"), loop(None),
               slot("handed_off", "TK-20261130-0003"), slot("promised_due", "今天 16:00 前"),
               action("action_listen"), user("对了 箱子里的杯子还碎了一个", "complain_package_damaged_or_lost")]
    dispatcher = CollectingDispatcher()
    result = await ActionAcknowledgeComplaint().run(dispatcher, tracker(events), DOMAIN)

    assert responses(dispatcher) == ["utter_after_handoff"]
    assert result == [{"event": "followup", "name": "action_listen", "timestamp": None}]
