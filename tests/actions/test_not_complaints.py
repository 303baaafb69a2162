"""Messages that are not complaints must not start the intake: praise the classifier half-read as a
complaint is thanked, and an order number typed on its own (after asking where the parcel is) is
noted without an apology and kept for a complaint that may follow. Real `Tracker`s, a real
`CollectingDispatcher`, and a real bot service on loopback that records every ticket posted."""
from __future__ import annotations

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.general import ActionFallback
from actions.intake import ActionAcknowledgeComplaint
from tests.support.actions import (
    DOMAIN,
    FORM,
    TAOBAO,
    LocalServer,
    action,
    created_ticket,
    entity,
    first_message,
    payloads,
    responses,
    set_up_shop,
    slot,
    slot_values,
    texts,
    tracker,
    user,
)
from tests.support.actions import (
    validate_form as validate,
)

LISTEN = {"event": "followup", "name": "action_listen", "timestamp": None}


@pytest.fixture
def bot_service(monkeypatch, tmp_path):
    """A bot service on loopback that creates tickets and records each request."""
    with LocalServer(lambda request: created_ticket(request.body)) as service:
        set_up_shop(monkeypatch, tmp_path, BOT_SERVICE_URL=service.url)
        yield service


def unsure(text: str, *ranking: tuple[str, float]) -> dict:
    """A user event the FallbackClassifier turned into nlu_fallback, with the model's own ranking."""
    event = user(text, "nlu_fallback", confidence=0.45)
    event["parse_data"]["intent_ranking"] = [{"name": "nlu_fallback", "confidence": 0.45}] + [
        {"name": name, "confidence": confidence} for name, confidence in ranking]
    return event


def started(events: list[dict]) -> bool:
    return any(e.get("event") == "followup" and e.get("name") in (FORM, "action_acknowledge_complaint")
               for e in events)


# -- praise ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, likely", [
    ("东西到了 用了两天 很好用", ("complain_wrong_or_missing_item", 0.34)),
    ("上回你们处理得特别快 谢谢", ("complain_service_attitude", 0.29)),
    ("物流神速 给力👍", ("complain_logistics_delay", 0.27)),
])
async def test_praise_read_as_an_unsure_complaint_is_thanked_and_files_nothing(bot_service, text, likely):
    dispatcher = CollectingDispatcher()
    events = await ActionFallback().run(dispatcher, tracker([unsure(text, likely, ("thank", 0.2))]), DOMAIN)

    assert responses(dispatcher) == ["utter_thanks_for_feedback"]
    assert not started(events)
    assert bot_service.received == []  # no record, no ticket
    assert "抱歉" not in texts(dispatcher)


async def test_praise_with_an_order_number_is_still_only_thanks(bot_service):
    message = unsure(f"订单{TAOBAO} 收到了 很喜欢 谢谢", ("inform", 0.28))
    dispatcher = CollectingDispatcher()
    events = await ActionFallback().run(dispatcher, tracker([message]), DOMAIN)

    assert responses(dispatcher) == ["utter_thanks_for_feedback"]
    assert not started(events) and bot_service.received == []


async def test_an_unsure_complaint_that_also_praises_still_starts_the_intake(shop):
    message = unsure("外观挺好看 就是用两天就不制冷了", ("complain_product_quality", 0.41))
    events = await ActionFallback().run(CollectingDispatcher(), tracker([message]), DOMAIN)

    assert slot_values(events)["issue_type"] == "product_quality"
    assert events[-1]["name"] == "action_acknowledge_complaint"


async def test_praise_the_rule_sent_to_the_acknowledgement_on_a_weak_reading_is_thanked(bot_service):
    """0.3–0.5 sure of a complaint: the rule runs the acknowledgement; praise alone stops there."""
    dispatcher = CollectingDispatcher()
    events = await ActionAcknowledgeComplaint().run(
        dispatcher, first_message("快递小哥送上楼了 很贴心", "complain_courier_attitude", confidence=0.42,
                                  slots={"issue_type": "courier_attitude"}), DOMAIN)

    assert responses(dispatcher) == ["utter_thanks_for_feedback"]
    assert slot_values(events)["issue_type"] is None
    assert events[-1] == LISTEN  # the form the rule would run next is not started
    assert bot_service.received == []


async def test_a_confident_complaint_with_kind_words_is_still_a_complaint(bot_service):
    dispatcher = CollectingDispatcher()
    text = "客服挺耐心的 谢谢 但是退款五天了还没到"
    events = await ActionAcknowledgeComplaint().run(
        dispatcher, first_message(text, "complain_after_sales_refund", confidence=0.91,
                                  slots={"issue_type": "after_sales_refund"}), DOMAIN)

    assert responses(dispatcher) == ["utter_ack_after_sales_refund"]
    assert slot_values(events)["description"] == text
    [request] = bot_service.received
    assert request.body["issue_type"] == "after_sales_refund" and request.body["intake"] == "collecting"


# -- an order number on its own ---------------------------------------------------------------------------

def after_a_tracking_question(number_text: str, intent: str = "inform") -> list[dict]:
    return [action("action_listen"), user("在吗 我的快递到哪了", "ask_policy"), action("action_answer_question"),
            action("action_listen"),
            user(number_text, intent, confidence=0.8, entities=[entity("order_number", TAOBAO)]),
            slot("order_number", TAOBAO)]


@pytest.mark.parametrize("said", [TAOBAO, f"订单号 {TAOBAO}", f"亲 {TAOBAO} 你查下",
                                  f"咨询订单号:{TAOBAO} 订单金额:¥36.80 下单时间:2026-11-21"])
async def test_an_order_number_alone_is_noted_without_an_apology_and_starts_nothing(bot_service, said):
    dispatcher = CollectingDispatcher()
    events = await ActionAcknowledgeComplaint().run(dispatcher, tracker(after_a_tracking_question(said)), DOMAIN)

    assert responses(dispatcher) == ["utter_order_number_received"]
    text = texts(dispatcher)
    assert TAOBAO in text and ("需要帮您" in text or "咨询什么" in text)
    assert "抱歉" not in text and "不满意" not in text
    assert "/complain_other" in payloads(dispatcher)  # the customer can still say it is a problem
    values = slot_values(events)
    assert values["order_number"] == TAOBAO and values["order_number_status"] == "given"
    assert values["issue_type"] is None and "description" not in values
    assert events[-1] == LISTEN and not started(events)
    assert bot_service.received == []


async def test_an_order_number_the_nlu_was_unsure_about_is_noted_the_same_way(bot_service):
    events = after_a_tracking_question(TAOBAO, intent="nlu_fallback")
    fallback_events = await ActionFallback().run(CollectingDispatcher(), tracker(events), DOMAIN)
    assert fallback_events[-1]["name"] == "action_acknowledge_complaint"

    dispatcher = CollectingDispatcher()
    result = await ActionAcknowledgeComplaint().run(dispatcher, tracker([*events, *fallback_events[:-1]]), DOMAIN)
    assert responses(dispatcher) == ["utter_order_number_received"]
    assert result[-1] == LISTEN and bot_service.received == []


async def test_after_a_complaint_an_order_number_alone_still_starts_the_intake(shop):
    """A complaint was said earlier in this conversation (and filed): the number belongs to one."""
    events = [action("action_listen"), user("杯子碎了", "complain_package_damaged_or_lost"),
              slot("ticket_id", "TK-20261123-0007"), action("action_listen"),
              user(TAOBAO, "inform", entities=[entity("order_number", TAOBAO)]), slot("order_number", TAOBAO)]
    dispatcher = CollectingDispatcher()
    result = await ActionAcknowledgeComplaint().run(dispatcher, tracker(events), DOMAIN)

    assert responses(dispatcher) == ["utter_ack_other_complaint"]
    assert result[-1] == {"event": "followup", "name": FORM, "timestamp": None}


async def test_a_complaint_after_the_number_keeps_it_on_the_record_and_never_asks_for_it(bot_service):
    events = after_a_tracking_question(TAOBAO)
    noted = await ActionAcknowledgeComplaint().run(CollectingDispatcher(), tracker(events), DOMAIN)
    events += [action("action_acknowledge_complaint"), *[e for e in noted if e.get("event") == "slot"],
               action("action_listen"), user("物流五天没动了 一直在中转站", "complain_logistics_delay"),
               slot("issue_type", "logistics_delay")]

    dispatcher = CollectingDispatcher()
    result = await ActionAcknowledgeComplaint().run(dispatcher, tracker(events), DOMAIN)
    assert responses(dispatcher) == ["utter_ack_logistics_delay"]
    [request] = bot_service.received
    assert request.body["order_number"] == TAOBAO and request.body["order_number_status"] == "given"
    assert "order_number" not in request.body["missing_fields"]

    # The form's activation validates the number it already has: it is not asked for again.
    events += [action("action_acknowledge_complaint"), *[e for e in result if e.get("event") == "slot"]]
    form_dispatcher, form_events = await validate(tracker([*events, slot("requested_slot", None), action(FORM),
                                                           slot("issue_type", "logistics_delay"),
                                                           slot("order_number", TAOBAO)]))
    assert slot_values(form_events)["order_number"] == TAOBAO
    assert "订单号" not in texts(form_dispatcher)


async def test_a_wish_on_its_own_still_starts_the_form(shop):
    dispatcher = CollectingDispatcher()
    events = await ActionAcknowledgeComplaint().run(
        dispatcher, first_message("我要退款", "inform", entities=[entity("expectation", "refund", "退款")],
                                  slots={"expectation": "refund"}), DOMAIN)

    assert responses(dispatcher) == ["utter_ack_other_complaint"]
    assert slot_values(events)["expectation"] == "refund"
    assert events[-1] == {"event": "followup", "name": FORM, "timestamp": None}


@pytest.mark.parametrize("text, response", [
    ("谢谢", "utter_youre_welcome"), ("谢谢你们！", "utter_youre_welcome"),
    ("东西收到了 很好用", "utter_thanks_for_feedback"), ("上回处理得特别快 谢谢", "utter_thanks_for_feedback")])
async def test_praise_is_thanked_back_and_a_thank_you_gets_you_are_welcome(text, response):
    from actions.general import ActionYoureWelcome

    dispatcher = CollectingDispatcher()
    await ActionYoureWelcome().run(dispatcher, tracker([user(text, "thank")]), DOMAIN)
    assert [m.get("response") for m in dispatcher.messages] == [response]


# -- the customer's own ordering mistake --------------------------------------------------------------

@pytest.mark.parametrize("text, intent, confidence", [
    ("我下错单了 颜色拍错了", "complain_wrong_or_missing_item", 0.41),   # an unsure reading
    ("手滑多拍了一件 还没发货", "complain_other", 0.83),               # even a sure one: nothing the shop did
])
async def test_an_own_ordering_mistake_gets_help_and_files_nothing(bot_service, text, intent, confidence):
    dispatcher = CollectingDispatcher()
    events = await ActionAcknowledgeComplaint().run(dispatcher, tracker([user(text, intent, confidence)]), DOMAIN)

    assert responses(dispatcher) in (["utter_own_mistake"], ["utter_faq_answer"]), texts(dispatcher)
    assert "取消" in texts(dispatcher) and "抱歉" not in texts(dispatcher)
    assert not started(events) and bot_service.received == []
    assert slot_values(events)["issue_type"] is None


async def test_an_own_mistake_question_gets_the_faq_answer_with_the_number_kept(bot_service):
    text = f"订单{TAOBAO} 地址填错了 还没发货能改吗"
    dispatcher = CollectingDispatcher()
    events = await ActionFallback().run(dispatcher, tracker([unsure(text, ("ask_policy", 0.28))]), DOMAIN)

    assert responses(dispatcher) == ["utter_faq_answer"] and "地址" in texts(dispatcher)
    assert slot_values(events)["order_number"] == TAOBAO and bot_service.received == []


async def test_the_shop_sending_the_wrong_thing_is_still_a_complaint(bot_service):
    said = user("我拍的红色 你们发成蓝色了", "complain_wrong_or_missing_item", 0.95)
    dispatcher = CollectingDispatcher()
    await ActionAcknowledgeComplaint().run(dispatcher, tracker([said]), DOMAIN)
    assert responses(dispatcher)[0] == "utter_ack_wrong_or_missing_item"


# -- words the assistant could not place are a complaint's first words --------------------------------

def said(utter_action: str) -> dict:
    return {"event": "bot", "text": "…", "metadata": {"utter_action": utter_action}, "timestamp": 1.0}


async def test_words_the_assistant_could_not_place_open_the_record_when_a_complaint_starts(bot_service):
    """Two messages nobody could place (a person must answer; not understood), an order number, then
    a wish: the complaint starts with those words on its record, the number kept, and nobody is
    asked again what happened."""
    first = "才下单半小时就有人打电话冒充你们客服 连我买的什么都知道"
    second = "信息肯定是从你们这里漏出去的"
    history = [action("action_listen"), user(first, "ask_policy", 0.41), action("action_answer_question"),
               said("utter_answer_human_needed"), action("action_listen"),
               user(second, "nlu_fallback", 0.3), action("action_fallback"), said("utter_default"),
               action("action_listen")]
    noted = CollectingDispatcher()
    number = user(f"订单号 {TAOBAO}", "inform", 0.9)
    events = await ActionAcknowledgeComplaint().run(noted, tracker([*history, number]), DOMAIN)
    # Not "what can I do for you": the number joins the complaint the customer already told.
    assert "utter_order_number_received" not in responses(noted)
    [record] = [r.body for r in bot_service.requests_to("/api/tickets")]
    assert record["description"] == f"{first}\n{second}\n订单号 {TAOBAO}"
    assert record["order_number"] == TAOBAO and record["intake"] == "collecting"
    assert first[:10] in texts(noted)  # the acknowledgement restates their first words
    assert any(e.get("event") == "followup" and e.get("name") == FORM for e in events)


async def test_a_filing_clears_the_words_that_came_before_it(bot_service):
    history = [action("action_listen"), user("这个咋整啊 搞不明白", "nlu_fallback", 0.3), action("action_fallback"),
               said("utter_default"), action("action_submit_complaint"), action("action_listen")]
    from actions.acknowledge import unplaced_words

    assert unplaced_words(tracker(history)) == []
    assert unplaced_words(tracker(history[:4])) == ["这个咋整啊 搞不明白"]


async def test_an_order_number_after_an_own_mistake_is_noted_not_a_complaint(bot_service):
    history = [action("action_listen"), user("我下错单了 颜色拍错了", "complain_wrong_or_missing_item", 0.6),
               action("action_acknowledge_complaint"), said("utter_own_mistake"), action("action_listen")]
    dispatcher = CollectingDispatcher()
    events = await ActionAcknowledgeComplaint().run(
        dispatcher, tracker([*history, user(f"订单号 {TAOBAO}", "inform", 0.9)]), DOMAIN)
    assert responses(dispatcher) == ["utter_order_number_received"] and "抱歉" not in texts(dispatcher)
    assert not started(events) and bot_service.received == []
