"""The intake actions: the first apology, the complaint form's validation, the summary and the
submission. Real `Tracker`s built from events, a real `CollectingDispatcher`, and a real HTTP
server on loopback for the bot service."""
from __future__ import annotations

import re
from datetime import datetime

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.general import ActionGreet
from actions.intake import ActionAcknowledgeComplaint, ValidateComplaintForm
from actions.submission import (
    ActionAskConfirm,
    ActionCancelComplaint,
    ActionSubmitComplaint,
    idempotency_key,
    ticket_payload,
)
from tests.support.actions import (
    DOMAIN,
    FORM,
    SENDER,
    SHOP_TZ,
    TAOBAO,
    TOKEN,
    LocalServer,
    action,
    closed_now_hours,
    created_ticket,
    entity,
    filled_form,
    first_message,
    form_turn,
    in_form,
    outbox_rows,
    payloads,
    responses,
    set_up_shop,
    slot,
    slot_events,
    slot_values,
    texts,
    tracker,
    user,
)
from tests.support.actions import (
    validate_form as validate,
)


@pytest.fixture
def closed_shop(monkeypatch, tmp_path):
    """A shop that is closed right now; returns the hour it opens (shop time)."""
    hours, opening_hour = closed_now_hours()
    set_up_shop(monkeypatch, tmp_path, BUSINESS_HOURS=hours)
    return opening_hour


async def acknowledge(text: str, intent: str, **kwargs) -> tuple[CollectingDispatcher, list[dict]]:
    from bot.domain.taxonomy import issue_type_for_intent

    slots = {"issue_type": issue_type_for_intent(intent), **kwargs.pop("slots", {})}
    dispatcher = CollectingDispatcher()
    events = await ActionAcknowledgeComplaint().run(dispatcher, first_message(text, intent, slots=slots, **kwargs),
                                                    DOMAIN)
    return dispatcher, events




def opening_day(hour: int) -> str:
    return "今天" if hour > datetime.now(SHOP_TZ).hour else "明天"


# -- the first reply ---------------------------------------------------------------------------------

@pytest.mark.parametrize("text, intent, response", [
    ("快递三天没动了", "complain_logistics_delay", "utter_ack_logistics_delay"),
    ("箱子送到的时候都压扁了 里面的杯子碎了", "complain_package_damaged_or_lost", "utter_ack_package_damaged_or_lost"),
    ("买的电水壶用了两次就不加热了", "complain_product_quality", "utter_ack_product_quality"),
    ("客服半天不回消息 态度还很差", "complain_service_attitude", "utter_ack_service_attitude"),
    ("下单付款了才说没货", "complain_out_of_stock", "utter_ack_out_of_stock"),
])
async def test_the_first_reply_apologises_for_this_very_problem(shop, text, intent, response):
    dispatcher, events = await acknowledge(text, intent)

    assert responses(dispatcher) == [response]
    assert response in DOMAIN["responses"]
    assert len(dispatcher.messages) == 1  # open and not urgent: nothing else to say before the form asks
    values = slot_values(events)
    assert values["description"] == text
    assert values["priority"] == "normal"
    assert values["off_hours"] is False
    assert values["failed_attempts"] == {}
    assert "issue_type" not in values  # the domain mapping's value stands


@pytest.mark.parametrize("text", ["我要投诉", "我要投诉！！", "投诉", "我 要 投诉 你们"])
async def test_a_bare_i_want_to_complain_is_not_filed_as_other(shop, text):
    dispatcher, events = await acknowledge(text, "complain_other")

    assert ("issue_type", None) in slot_events(events)  # the form will ask what happened
    assert slot_values(events)["description"] is None
    assert responses(dispatcher) == ["utter_ack_other_complaint"]


async def test_a_real_other_complaint_keeps_its_type(shop):
    dispatcher, events = await acknowledge("你们家的包装袋一股怪味 熏得头疼", "complain_other")

    assert "issue_type" not in slot_values(events)
    assert slot_values(events)["description"] == "你们家的包装袋一股怪味 熏得头疼"
    assert responses(dispatcher) == ["utter_ack_other_complaint"]


async def test_order_number_and_wish_in_the_first_message_are_prefilled(shop):
    dispatcher, events = await acknowledge(f"我订单{TAOBAO}的羽绒服拉链坏了，要退货退款", "complain_product_quality")

    values = slot_values(events)
    assert values["order_number"] == TAOBAO
    assert values["order_number_status"] == "given"
    assert values["expectation"] == "return_refund"
    assert responses(dispatcher) == ["utter_ack_product_quality"]


async def test_a_pinduoduo_number_and_a_wish_from_the_nlu_are_kept(shop):
    _dispatcher, events = await acknowledge("240612-123456789012345 少发了一件 给我换一个",
                                            "complain_wrong_or_missing_item", slots={"expectation": "resend"})

    values = slot_values(events)
    assert values["order_number"] == "240612-123456789012345"
    assert values["expectation"] == "resend"  # what the NLU extracted wins over the action's own reading


async def test_a_phone_number_in_the_first_message_is_not_an_order_number(shop):
    _dispatcher, events = await acknowledge("我电话13812345678，快递一个礼拜了还没到", "complain_logistics_delay")

    assert "order_number" not in slot_values(events)


@pytest.mark.parametrize("text, intent, flag", [
    ("再不处理我就打12315", "complain_after_sales_refund", "regulator"),
    ("你们卖的是假货吧 跟专柜的完全不一样", "complain_not_as_described", "counterfeit"),
    ("热水袋漏水把孩子烫伤了", "complain_product_quality", "safety"),
])
async def test_urgent_wording_raises_priority_and_offers_a_human_within_hours(shop, text, intent, flag):
    dispatcher, events = await acknowledge(text, intent)

    values = slot_values(events)
    assert values["priority"] == "urgent"
    assert flag in values["risk_flags"]
    assert payloads(dispatcher) == ["/request_human"]
    assert "转人工" in texts(dispatcher)
    assert "最高优先级" in texts(dispatcher)


async def test_off_hours_reply_says_closed_when_people_are_back_and_by_when(closed_shop):
    dispatcher, events = await acknowledge("快递三天没动了", "complain_logistics_delay")

    text = texts(dispatcher)
    # The apology still comes first.
    assert responses(dispatcher) == ["utter_ack_logistics_delay", "utter_off_hours_recording"]
    assert "非工作时间" in text
    assert f"人工客服在线：周一至周日 {closed_shop:02d}:00-" in text
    assert f"客服{opening_day(closed_shop)}" in text and f"{closed_shop:02d}:00上班" in text
    assert f"{closed_shop:02d}:15 前" in text  # next opening + 15 business minutes (normal)
    assert "完整记下来" in text  # and everything is still collected
    assert slot_values(events)["off_hours"] is True


async def test_an_urgent_complaint_off_hours_gets_the_shorter_promise_and_no_human_button(closed_shop):
    dispatcher, events = await acknowledge("买到假货了 我要去12315", "complain_not_as_described")

    assert slot_values(events)["priority"] == "urgent"
    assert f"{closed_shop:02d}:05 前" in texts(dispatcher)  # urgent: 5 business minutes after opening
    assert "/request_human" not in payloads(dispatcher)  # nobody there to take it now


async def test_a_refused_wish_is_not_taken_as_the_wish(shop):
    _dispatcher, events = await acknowledge("质量太差了，我不要退款，给我换个新的", "complain_product_quality")

    assert slot_values(events).get("expectation") == "exchange"


# -- order number ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("number", [
    TAOBAO,  # 淘宝 19
    "238765432109876543",  # 天猫 18
    "31234567890",  # 京东 11
    "301234567890",  # 京东 12
    "240612-123456789012345",  # 拼多多
])
async def test_order_numbers_of_each_platform_are_accepted(shop, number):
    message = user(f"订单号是{number}", "inform", entities=[entity("order_number", number)])
    dispatcher, events = await validate(form_turn(in_form(requested="order_number"), message,
                                                  {"order_number": number}))

    values = slot_values(events)
    assert values["order_number"] == number
    assert values["order_number_status"] == "given"
    assert dispatcher.messages == []


@pytest.mark.parametrize("number", [TAOBAO, "301234567890", "240612-123456789012345"])
async def test_a_bare_number_typed_as_the_answer_is_extracted_and_accepted(shop, number):
    turn = form_turn(in_form(requested="order_number"), user(number, "inform"))
    assert await ValidateComplaintForm().extract_order_number(CollectingDispatcher(), turn, DOMAIN) == \
        {"order_number": number}

    dispatcher = CollectingDispatcher()
    assert ValidateComplaintForm().validate_order_number(number, dispatcher, turn, DOMAIN) == \
        {"order_number": number, "order_number_status": "given"}
    assert dispatcher.messages == []


async def test_dont_know_carries_on_with_unknown(shop):
    turn = form_turn(in_form(requested="order_number"), user("不知道订单号", "dont_know"), {"order_number": "unknown"})
    dispatcher, events = await validate(turn)

    values = slot_values(events)
    assert values["order_number"] == "unknown"
    assert values["order_number_status"] == "unknown"
    assert "没关系" in texts(dispatcher)


@pytest.mark.parametrize("candidates", [{}, {"order_number": "13812345678"}])
async def test_a_phone_number_is_not_accepted_as_an_order_number(shop, candidates):
    """Whether or not the NLU's regex took it for an order number."""
    dispatcher, events = await validate(form_turn(in_form(requested="order_number"),
                                                  user("13812345678", "inform"), candidates))

    assert slot_values(events)["order_number"] is None
    assert dispatcher.messages == []  # the next ask says where to find the number and that it can be skipped


async def test_an_already_given_number_can_be_corrected_later(shop):
    history = in_form(filled={"order_number": TAOBAO, "order_number_status": "given"}, requested="expectation")
    corrected = "4512345678901234568"
    message = user(f"不对，订单号是{corrected}", "inform", entities=[entity("order_number", corrected)])
    dispatcher, events = await validate(form_turn(history, message, {"order_number": corrected}))

    assert slot_values(events)["order_number"] == corrected
    assert f"订单号已更正为 {corrected}" in texts(dispatcher)


@pytest.mark.parametrize("typed", ["4512 3456 7890 1234 567", "４５１２３４５６７８９０１２３４５６７"])
async def test_an_order_number_typed_with_spaces_or_full_width_digits_is_accepted(shop, typed):
    dispatcher, events = await validate(form_turn(in_form(requested="order_number"), user(typed, "inform")))

    assert slot_values(events)["order_number"] == TAOBAO
    assert dispatcher.messages == []


async def test_a_number_given_before_the_complaint_is_not_asked_again(shop):
    events = [action("action_listen"),
              user(f"你好 我想问下订单{TAOBAO}", "inform", entities=[entity("order_number", TAOBAO)]),
              slot("order_number", TAOBAO), action("action_greet"), action("action_listen"),
              user("快递五天了还没到", "complain_logistics_delay"), slot("issue_type", "logistics_delay"),
              action("action_acknowledge_complaint"), slot("description", "快递五天了还没到"),
              slot("priority", "normal"), slot("failed_attempts", {})]
    # Form activation: Rasa validates the prefilled required slots.
    prefilled = [slot("issue_type", "logistics_delay"), slot("order_number", TAOBAO)]
    dispatcher, result = await validate(tracker([*events, slot("requested_slot", None), action(FORM), *prefilled]))

    assert slot_values(result)["order_number"] == TAOBAO
    assert "不太对" not in texts(dispatcher)


async def test_a_wish_given_while_the_number_is_asked_is_not_a_wrong_number(shop):
    message = user("我要退款", "inform", entities=[entity("expectation", "refund", "退款")])
    dispatcher, events = await validate(form_turn(in_form(requested="order_number"), message,
                                                  {"expectation": "refund"}))

    values = slot_values(events)
    assert values["expectation"] == "refund"
    assert "order_number" not in (values.get("failed_attempts") or {})
    assert "不太对" not in texts(dispatcher)


# -- expectation -------------------------------------------------------------------------------------------

def expectation_asked():
    return in_form(filled={"order_number": TAOBAO, "order_number_status": "given"}, requested="expectation")


@pytest.mark.parametrize("said, expected", [
    ("退钱", "refund"),
    ("能不能直接把钱退给我", "refund"),
    ("仅退款", "refund"),  # a button label typed by hand
    ("退货退款", "return_refund"),
    ("换个新的吧", "exchange"),
    ("给我补寄一个", "resend"),
    ("赶紧发货 加急", "expedite"),
    ("就想要个说法", "explanation"),
])
async def test_wishes_in_free_text_are_normalised(shop, said, expected):
    dispatcher, events = await validate(form_turn(expectation_asked(), user(said, "inform")))

    assert slot_values(events)["expectation"] == expected
    # Only "明白您很急" may come with it ("加急" is urgency as well as the wish).
    assert [r for r in responses(dispatcher) if not r.startswith("utter_urgency")] == []


@pytest.mark.parametrize("value, expected", [("refund", "refund"), ("退货退款", "return_refund"), ("补寄", "resend")])
def test_entity_values_and_labels_are_normalised(shop, value, expected):
    turn = form_turn(expectation_asked(), user("…", "inform"))
    assert ValidateComplaintForm().validate_expectation(value, CollectingDispatcher(), turn, DOMAIN) == \
        {"expectation": expected}


async def test_dont_know_the_wish_is_other(shop):
    turn = form_turn(expectation_asked(), user("不知道", "dont_know"), {"expectation": "other"})
    _dispatcher, events = await validate(turn)

    assert slot_values(events)["expectation"] == "other"


# -- issue type ----------------------------------------------------------------------------------------------

async def test_an_unsure_different_guess_does_not_overwrite_the_issue_type(shop):
    message = user(f"东西也有点问题 订单号{TAOBAO}", "complain_product_quality", confidence=0.55,
                   entities=[entity("order_number", TAOBAO)])
    dispatcher, events = await validate(form_turn(in_form(requested="order_number"), message,
                                                  {"issue_type": "product_quality", "order_number": TAOBAO}))

    values = slot_values(events)
    assert values["issue_type"] == "logistics_delay"
    assert values["order_number"] == TAOBAO
    assert "问题类型已改为" not in texts(dispatcher)


async def test_a_confident_correction_changes_the_issue_type(shop):
    message = user("不对不对，不是物流的事，是东西质量有问题", "complain_product_quality", confidence=0.93)
    dispatcher, events = await validate(form_turn(in_form(requested="expectation",
                                                          filled={"order_number": TAOBAO}),
                                                  message, {"issue_type": "product_quality"}))

    values = slot_values(events)
    assert values["issue_type"] == "product_quality"
    assert "问题类型已改为「质量问题」" in texts(dispatcher)
    assert values["description"] == "快递三天没动了\n不对不对，不是物流的事，是东西质量有问题"


def bare_complaint_asked():
    return in_form("我要投诉", "complain_other", filled={"issue_type": None, "description": None},
                   requested="issue_type")


async def test_the_answer_to_what_happened_fills_issue_type_and_description(shop):
    message = user("快递一直不到 都一个礼拜了", "complain_logistics_delay", confidence=0.9)
    dispatcher, events = await validate(form_turn(bare_complaint_asked(), message,
                                                  {"issue_type": "logistics_delay"}))

    values = slot_values(events)
    assert values["issue_type"] == "logistics_delay"
    assert values["description"] == "快递一直不到 都一个礼拜了"
    assert dispatcher.messages == []


async def test_saying_i_want_to_complain_again_keeps_asking_what_happened(shop):
    turn = form_turn(bare_complaint_asked(), user("我要投诉", "complain_other"), {"issue_type": "other_complaint"})
    _dispatcher, events = await validate(turn)

    assert slot_values(events)["issue_type"] is None


# -- confirmation ------------------------------------------------------------------------------------------------

def confirm_asked():
    return in_form(f"我订单{TAOBAO}的羽绒服拉链坏了，要退货退款", "complain_product_quality",
                   filled={"order_number": TAOBAO, "order_number_status": "given", "expectation": "return_refund"},
                   requested="confirm")


async def test_affirm_confirms(shop):
    dispatcher, events = await validate(form_turn(confirm_asked(), user("对的 提交吧", "affirm"), {"confirm": True}))

    assert slot_values(events)["confirm"] is True
    assert dispatcher.messages == []


async def test_deny_asks_what_to_change(shop):
    dispatcher, events = await validate(form_turn(confirm_asked(), user("不对", "deny"), {"confirm": False}))

    values = slot_values(events)
    assert values["confirm"] is None
    assert "哪里需要修改" in texts(dispatcher)


async def test_a_correction_with_the_deny_is_applied_and_read_back_again(shop):
    message = user("不对，我不要退货了，换货吧", "deny", entities=[entity("expectation", "exchange", "换货")])
    dispatcher, events = await validate(form_turn(confirm_asked(), message,
                                                  {"expectation": "exchange", "confirm": False}))

    values = slot_values(events)
    assert values["expectation"] == "exchange"
    assert values["confirm"] is None  # the summary is read back again
    assert "诉求已改为「换货」" in texts(dispatcher)
    assert "哪里需要修改" not in texts(dispatcher)  # they already said what


async def test_an_affirm_carrying_a_correction_is_read_back_again(shop):
    corrected = "4512345678901234568"
    message = user(f"对，不过订单号是{corrected}", "affirm", entities=[entity("order_number", corrected)])
    dispatcher, events = await validate(form_turn(confirm_asked(), message,
                                                  {"order_number": corrected, "confirm": True}))

    values = slot_values(events)
    assert values["order_number"] == corrected
    assert values["confirm"] is None
    assert f"订单号已更正为 {corrected}" in texts(dispatcher)


async def test_the_summary_lists_order_number_problem_and_wish(shop):
    dispatcher = CollectingDispatcher()
    assert await ActionAskConfirm().run(dispatcher, tracker(confirm_asked()), DOMAIN) == [
        {"event": "slot", "name": "asked", "value": {"confirm": 1}, "timestamp": None}]

    text = texts(dispatcher)
    assert f"· 订单号：{TAOBAO}" in text
    assert "· 问题：质量问题（我订单" in text
    assert "· 您的诉求：退货退款" in text
    assert payloads(dispatcher) == ["/affirm", "/deny"]


async def test_the_summary_says_when_the_order_number_is_unknown(shop):
    events = in_form(filled={"order_number": "unknown", "order_number_status": "unknown", "expectation": "expedite"},
                     requested="confirm")
    dispatcher = CollectingDispatcher()
    await ActionAskConfirm().run(dispatcher, tracker(events), DOMAIN)

    text = texts(dispatcher)
    assert "· 订单号：暂未提供" in text
    assert "· 问题：物流延误（快递三天没动了）" in text
    assert "· 您的诉求：催发货/加急" in text


# -- submission ---------------------------------------------------------------------------------------------------

@pytest.fixture
def bot_service(monkeypatch, tmp_path):
    """A bot service on loopback that creates tickets; yields it once the actions point at it."""
    with LocalServer(lambda request: created_ticket(request.body)) as service:
        set_up_shop(monkeypatch, tmp_path, BOT_SERVICE_URL=service.url)
        yield service


async def test_submission_posts_the_complete_ticket_and_names_its_number(bot_service):
    first = f"买到假货了！订单{TAOBAO} 要退货退款"
    events = filled_form(first=first, intent="complain_not_as_described", priority="urgent",
                         risk_flags=["counterfeit"])
    dispatcher = CollectingDispatcher()
    result = await ActionSubmitComplaint().run(dispatcher, tracker(events), DOMAIN)

    [request] = bot_service.received
    assert (request.method, request.path) == ("POST", "/api/tickets")
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    body = request.body
    assert re.fullmatch(r"[0-9a-f]{32}", body["idempotency_key"])
    assert body["session_id"] == SENDER
    assert body["order_number"] == TAOBAO and body["order_number_status"] == "given"
    assert body["issue_type"] == "not_as_described"
    assert body["expectation"] == "return_refund"
    assert body["description"] == first
    assert body["priority"] == "urgent"
    assert "counterfeit" in body["risk_flags"]
    assert body["handoff_requested"] is False and body["off_hours"] is False
    assert body["channel"] == "web"

    assert "工单号 TK-20261123-0007" in texts(dispatcher)
    assert "今天 17:15 前" in texts(dispatcher)  # the promise the bot service computed
    values = slot_values(result)
    assert values["ticket_id"] == "TK-20261123-0007"
    assert all(values[name] is None for name in ("order_number", "issue_type", "expectation", "confirm"))


async def test_the_description_without_a_slot_is_the_customers_own_words(bot_service):
    events = filled_form(description=None)
    events.insert(-5, user("拉链头直接掉了 根本拉不上", "inform"))
    await ActionSubmitComplaint().run(CollectingDispatcher(), tracker(events), DOMAIN)

    description = bot_service.received[0].body["description"]
    assert "羽绒服拉链坏了" in description and "拉链头直接掉了" in description
    assert "对，提交吧" in description  # last five customer messages, button payloads left out


def test_the_idempotency_key_is_stable_for_one_form_run():
    same_run = filled_form(started=1_763_000_000.0)
    later = [*same_run, {"event": "action", "name": "action_listen", "timestamp": 1_763_000_900.0},
             user("提交了吗", "ask_progress")]
    other_run = filled_form(started=1_763_000_600.0)

    key = idempotency_key(tracker(same_run))
    assert idempotency_key(tracker(later)) == key  # a retry later in the same run
    assert idempotency_key(tracker(other_run)) != key  # a new complaint is a new ticket
    assert idempotency_key(tracker(same_run), "handoff") != key
    assert idempotency_key(tracker(same_run, sender_id="someone-else")) != key


async def test_a_retried_submission_sends_the_same_key(bot_service):
    events = filled_form()
    await ActionSubmitComplaint().run(CollectingDispatcher(), tracker(events), DOMAIN)
    await ActionSubmitComplaint().run(CollectingDispatcher(), tracker(events), DOMAIN)

    first, second = (r.body for r in bot_service.received)
    assert first["idempotency_key"] == second["idempotency_key"]


async def test_bot_service_down_the_customer_hears_no_failure_and_the_ticket_is_kept(shop):
    events = filled_form()
    dispatcher = CollectingDispatcher()
    result = await ActionSubmitComplaint().run(dispatcher, tracker(events), DOMAIN)

    text = texts(dispatcher)
    assert "登记好了" in text
    assert re.search(r"(今天|明天).*\d\d:\d\d 前", text)  # still a concrete promise, computed locally
    assert not re.search(r"失败|出错|错误|故障|异常|稍后再试|系统", text)
    [row] = outbox_rows(shop.outbox_path)
    expected = ticket_payload(tracker(events))
    assert row["idempotency_key"] == expected["idempotency_key"]
    assert row["payload"]["order_number"] == TAOBAO
    assert row["payload"]["description"] == expected["description"]
    assert slot_values(result)["ticket_id"] == expected["idempotency_key"]


async def test_an_unknown_order_number_is_sent_as_null(bot_service):
    events = filled_form(order=None)
    events.insert(-5, slot("order_number", "unknown"))
    await ActionSubmitComplaint().run(CollectingDispatcher(), tracker(events), DOMAIN)

    body = bot_service.received[0].body
    assert body["order_number"] is None
    assert body["order_number_status"] == "unknown"


# -- cancel and greet -------------------------------------------------------------------------------------------------

async def test_cancel_leaves_the_form_and_forgets_its_slots(shop):
    dispatcher = CollectingDispatcher()
    withdrawn = tracker([*confirm_asked(), user("算了，不投诉了", "cancel")])
    events = await ActionCancelComplaint().run(dispatcher, withdrawn, DOMAIN)

    assert events[0]["event"] == "active_loop" and events[0]["name"] is None
    values = slot_values(events)
    assert values["requested_slot"] is None and values["order_number"] is None and values["expectation"] is None
    assert responses(dispatcher) == ["utter_cancelled"]


@pytest.mark.parametrize("text, confidence", [("我只要退款，东西不用了", 0.9), ("那个不用了吧", 0.5)])
async def test_a_cancel_reading_without_the_explicit_words_goes_back_to_the_form(shop, text, confidence):
    dispatcher = CollectingDispatcher()
    events = await ActionCancelComplaint().run(
        dispatcher, tracker([*confirm_asked(), user(text, "cancel", confidence=confidence)]), DOMAIN)
    assert [e["event"] for e in events] == ["followup"] and events[0]["name"] == "complaint_form"
    assert responses(dispatcher) == []


async def test_greeting_names_the_shop(shop):
    dispatcher = CollectingDispatcher()
    await ActionGreet().run(dispatcher, tracker([user("你好", "greet")]), DOMAIN)

    assert dispatcher.messages[0]["response"] == "utter_greet"
    assert dispatcher.messages[0]["shop_name"] == "小满家居"


async def test_a_wish_button_is_taken_as_it_is(shop):
    button = user('/inform{"expectation": "expedite"}', "inform", entities=[entity("expectation", "expedite")])
    dispatcher, events = await validate(form_turn(expectation_asked(), button, {"expectation": "expedite"}))

    assert slot_values(events)["expectation"] == "expedite"
    assert dispatcher.messages == []


async def test_an_answer_to_the_wish_question_does_not_change_the_problem(shop):
    answer = user("赶紧给我发出来", "complain_wrong_or_missing_item", confidence=0.95)
    dispatcher, events = await validate(form_turn(expectation_asked(), answer, {"issue_type": "wrong_or_missing_item"}))

    assert slot_values(events)["issue_type"] == "logistics_delay"
    assert "问题类型已改为" not in texts(dispatcher)


async def test_a_wish_corrected_at_the_summary_is_read_back_again(shop):
    correction = user("我要的是换货，不是退货退款", "deny")
    dispatcher, events = await validate(form_turn(confirm_asked(), correction, {"confirm": False}))

    values = slot_values(events)
    assert values["expectation"] == "exchange"
    assert values["confirm"] is None


async def test_a_problem_named_by_its_label_at_the_summary_is_taken_as_said(shop):
    # The words sound like a damaged parcel to the NLU; the customer names the type they mean.
    message = user("问题不是包裹破损丢件，是错发漏发", "complain_package_damaged_or_lost", confidence=0.9)
    dispatcher, events = await validate(form_turn(confirm_asked(), message,
                                                  {"issue_type": "package_damaged_or_lost", "confirm": False}))

    values = slot_values(events)
    assert values["issue_type"] == "wrong_or_missing_item"
    assert values["confirm"] is None
    assert "问题类型已改为「错发漏发」" in texts(dispatcher)


async def test_correcting_the_wish_never_changes_the_problem(shop):
    # "催发货" sounds like a logistics complaint; the customer is only correcting the wish.
    message = user("诉求不是退货退款，是催发货/加急", "complain_logistics_delay", confidence=0.95)
    dispatcher, events = await validate(form_turn(confirm_asked(), message,
                                                  {"issue_type": "logistics_delay", "confirm": False}))

    values = slot_values(events)
    assert values["issue_type"] == "product_quality"
    assert values["expectation"] == "expedite"
    assert "问题类型已改为" not in texts(dispatcher)
    assert "诉求已改为「催发货/加急」" in texts(dispatcher)


async def test_sending_it_back_and_getting_the_money_is_return_and_refund(shop):
    message = user("东西我寄回去，你们把钱退了", "inform")
    _dispatcher, events = await validate(form_turn(in_form(requested="expectation",
                                                           filled={"order_number": TAOBAO}), message))

    assert slot_values(events)["expectation"] == "return_refund"


# -- unsure readings outside the intake ----------------------------------------------------------------------------

def unsure(text: str, *ranking: tuple[str, float]) -> dict:
    """A user event the FallbackClassifier turned into nlu_fallback, with the model's own ranking."""
    event = user(text, "nlu_fallback", confidence=0.45)
    event["parse_data"]["intent_ranking"] = [{"name": "nlu_fallback", "confidence": 0.45}] + [
        {"name": name, "confidence": confidence} for name, confidence in ranking]
    return event


async def test_an_unsure_but_likely_complaint_starts_the_intake_instead_of_asking_again(shop):
    from actions.general import ActionFallback

    message = unsure("给你们留言两天了，一个回复的人都没有！！！", ("complain_service_attitude", 0.41), ("greet", 0.1))
    dispatcher = CollectingDispatcher()
    events = await ActionFallback().run(dispatcher, tracker([message]), DOMAIN)

    assert dispatcher.messages == []
    assert slot_values(events)["issue_type"] == "service_attitude"
    assert events[-1] == {"event": "followup", "name": "action_acknowledge_complaint", "timestamp": None}

    # The acknowledgement then apologises for that problem and opens the form itself.
    ack_dispatcher = CollectingDispatcher()
    ack_events = await ActionAcknowledgeComplaint().run(
        ack_dispatcher, tracker([message, *events[:-1]]), DOMAIN)
    # Below ISSUE_TYPE_CONFIDENT: a neutral acknowledgement restating the words; the form then asks
    # with the likely type offered as a button.
    assert responses(ack_dispatcher)[0] == "utter_neutral_acknowledgement"
    assert "给你们留言两天了" in texts(ack_dispatcher)
    assert slot_values(ack_events)["likely_types"] == ["service_attitude"]
    assert ack_events[-1]["event"] == "followup" and ack_events[-1]["name"] == FORM
    assert slot_values(ack_events)["description"] == "给你们留言两天了，一个回复的人都没有！！！"


async def test_an_order_number_the_nlu_was_unsure_about_starts_the_intake_with_it(shop):
    from actions.general import ActionFallback

    message = unsure(f"{TAOBAO}！别让我再说一遍", ("inform", 0.2))
    events = await ActionFallback().run(CollectingDispatcher(), tracker([message]), DOMAIN)
    assert events[-1]["name"] == "action_acknowledge_complaint"
    ack_events = await ActionAcknowledgeComplaint().run(CollectingDispatcher(), tracker([message, *events[:-1]]),
                                                        DOMAIN)
    assert slot_values(ack_events)["order_number"] == TAOBAO


async def test_noise_gets_a_polite_ask_again_and_starts_nothing(shop):
    from actions.general import ActionFallback

    dispatcher = CollectingDispatcher()
    events = await ActionFallback().run(dispatcher, tracker([unsure("zxcv qwer", ("greet", 0.12))]), DOMAIN)
    assert events == []
    assert responses(dispatcher) == ["utter_default"]
