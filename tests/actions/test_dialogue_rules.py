"""Issue 11's dialogue rules at the action level: the ask budget, explicit-only destruction,
corrections in free words, answers before questions, "没理解" at most once."""
from __future__ import annotations

import re

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.asking import ActionAskExpectation, ActionAskIssueType, ActionAskOrderNumber
from actions.general import ActionFallback
from tests.support.actions import (
    DOMAIN,
    TAOBAO,
    action,
    form_turn,
    in_form,
    payloads,
    responses,
    set_up_shop,
    slot_values,
    texts,
    tracker,
    user,
)
from tests.support.actions import (
    validate_form as validate,
)


async def ask(action_class, events):
    dispatcher = CollectingDispatcher()
    return dispatcher, await action_class().run(dispatcher, tracker(events), DOMAIN)


# -- the budget ----------------------------------------------------------------------------------------

async def test_the_second_ask_is_another_template_and_says_it_can_be_skipped(shop):
    first, events = await ask(ActionAskExpectation, in_form(requested="expectation"))
    second, more = await ask(ActionAskExpectation, in_form(requested="expectation", filled=slot_values(events)))

    assert responses(first) == ["utter_ask_expectation"]
    assert responses(second) == ["utter_ask_expectation_again"]
    assert "跳过" in texts(second)
    assert slot_values(more)["asked"] == {"expectation": 2}


async def test_a_guest_without_an_order_number_is_asked_once_for_a_phone_number(shop):
    _first, events = await ask(ActionAskOrderNumber, in_form())
    second, _ = await ask(ActionAskOrderNumber, in_form(filled=slot_values(events)))

    assert responses(second) == ["utter_ask_phone_instead"]
    assert "没有订单号也没关系，客服会按您的账号/手机号核对" in texts(second)


@pytest.mark.parametrize("reply, intent", [("嗯", "affirm"), ("可以", "affirm"), ("123", "inform"),
                                           ("你们这什么破店", "nlu_fallback")])
async def test_a_reply_that_fills_nothing_after_two_asks_skips_the_field(shop, reply, intent):
    history = in_form(requested="order_number", filled={"asked": {"order_number": 2}})
    dispatcher, events = await validate(form_turn(history, user(reply, intent)))

    values = slot_values(events)
    assert values["order_number"] == "unknown"
    assert values["missing_fields"] == ["order_number"]
    assert responses(dispatcher) == ["utter_order_number_skipped"]


@pytest.mark.parametrize("times_asked", [1, 2])
async def test_a_customer_looking_for_the_number_is_given_time_not_asked_again(shop, times_asked):
    """"好 等下我找找": no give-up even after two asks, no third ask, no budget spent."""
    history = in_form(requested="order_number", filled={"asked": {"order_number": times_asked}})
    said = user("好 等下我找找", "inform")
    dispatcher, events = await validate(form_turn(history, said))
    assert "order_number" not in slot_values(events) and responses(dispatcher) == []

    asking, asked_events = await ask(ActionAskOrderNumber, [*history, said])
    assert responses(asking) == ["utter_take_your_time"] and asked_events == []
    # The number comes next: taken as the answer.
    found = {"order_number": TAOBAO}
    _dispatcher, events = await validate(form_turn([*history, said], user(TAOBAO, "inform"), found))
    assert slot_values(events)["order_number"] == TAOBAO


async def test_after_one_ask_a_non_answer_keeps_the_form_going_without_a_refrain(shop):
    history = in_form(requested="order_number", filled={"asked": {"order_number": 1}})
    dispatcher, events = await validate(form_turn(history, user("嗯", "affirm")))

    values = slot_values(events)
    assert values.get("order_number") is None
    assert values["asked"] == {"order_number": 1}  # the form heard it: no rejection, no "接着刚才的登记"
    assert dispatcher.messages == []


async def test_a_phone_number_after_the_phone_ask_is_noted_and_the_order_skipped(shop):
    history = in_form(requested="order_number", filled={"asked": {"order_number": 2}})
    dispatcher, events = await validate(form_turn(history, user("13812345678", "inform")))

    assert slot_values(events)["order_number"] == "unknown"
    assert responses(dispatcher) == ["utter_phone_noted"]


async def test_a_closing_word_files_the_record_as_it_stands(shop):
    history = in_form(requested="order_number", filled={"asked": {"order_number": 1}})
    _dispatcher, events = await validate(form_turn(history, user("没了", "goodbye")))

    values = slot_values(events)
    assert values["requested_slot"] is None and values["filed_as_is"] is True
    assert values["missing_fields"] == ["expectation", "order_number"]


# -- only explicit commands destroy ------------------------------------------------------------------

@pytest.mark.parametrize("said", ["需要订单号吗", "我想取消订单", "不投诉了可以吗？"])
async def test_a_question_or_the_orders_cancellation_never_cancels(shop, said):
    history = in_form(requested="order_number", filled={"asked": {"order_number": 1}})
    _dispatcher, events = await validate(form_turn(history, user(said, "cancel")))

    assert events  # the form keeps the reply: nothing hands it to the cancellation rule
    assert not any(e.get("event") == "followup" for e in events)


async def test_an_explicit_withdrawal_goes_to_the_cancellation_rule(shop):
    history = in_form(requested="order_number", filled={"asked": {"order_number": 1}})
    _dispatcher, events = await validate(form_turn(history, user("算了不投诉了", "cancel")))

    assert events == []  # rejected: the rule "cancelling during the intake" runs


@pytest.mark.parametrize("said", ["我要找真人", "订单号4512345678901234567 你们领导呢，找你们领导"])
async def test_handoff_words_anywhere_end_the_form(shop, said):
    history = in_form(requested="order_number", filled={"asked": {"order_number": 1}})
    _dispatcher, events = await validate(form_turn(history, user(said, "complain_service_attitude")))

    assert events[-1] == {"event": "followup", "name": "action_handoff", "timestamp": None}


async def test_ge_ren_is_not_a_handoff(shop):
    history = in_form(requested="order_number", filled={"asked": {"order_number": 1}})
    _dispatcher, events = await validate(form_turn(history, user("我个人什么原因都没有", "inform")))

    assert not any(e.get("event") == "followup" for e in events)


# -- corrections ----------------------------------------------------------------------------------------

async def test_a_correction_in_free_words_changes_the_type_and_never_the_wish(shop):
    history = in_form(requested="confirm", filled={"order_number": TAOBAO, "order_number_status": "given",
                                                   "expectation": "return_refund"})
    message = user("不对，问题是价格问题", "complain_price_dispute", confidence=0.6)
    dispatcher, events = await validate(form_turn(history, message))

    values = slot_values(events)
    assert values["issue_type"] == "price_dispute"
    assert values.get("expectation", "return_refund") == "return_refund"
    assert "价格争议" in texts(dispatcher)


async def test_a_question_about_the_wish_does_not_change_it(shop):
    history = in_form(requested="confirm", filled={"order_number": TAOBAO, "order_number_status": "given",
                                                   "expectation": "exchange"})
    _dispatcher, events = await validate(form_turn(history, user("新东西就只能维修?", "inform"),
                                                   {"expectation": "repair"}))

    assert slot_values(events)["expectation"] == "exchange"


async def test_a_skipped_wish_is_filled_by_a_wish_named_at_the_read_back(shop):
    history = in_form(requested="confirm", filled={"order_number": TAOBAO, "order_number_status": "given",
                                                   "expectation": "other"})
    _dispatcher, events = await validate(form_turn(history, user("道歉", "inform"), {"expectation": "explanation"}))
    assert slot_values(events)["expectation"] == "explanation"
    # …but a wish on record is not replaced by one merely named, nor by a question.
    held = in_form(requested="confirm", filled={"order_number": TAOBAO, "order_number_status": "given",
                                                "expectation": "refund"})
    for text in ("道歉", "能换货吗"):
        _dispatcher, events = await validate(form_turn(held, user(text, "inform"), {"expectation": "explanation"}))
        assert slot_values(events)["expectation"] == "refund", text


async def test_an_explicit_wish_change_is_taken(shop):
    history = in_form(requested="confirm", filled={"order_number": TAOBAO, "order_number_status": "given",
                                                   "expectation": "refund"})
    _dispatcher, events = await validate(form_turn(history, user("我要换货不要退款", "inform"),
                                                   {"expectation": "exchange"}))

    assert slot_values(events)["expectation"] == "exchange"


# -- answers before questions ---------------------------------------------------------------------------

async def test_a_policy_question_mid_form_gets_the_faq_answer(shop):
    history = in_form(requested="order_number", filled={"asked": {"order_number": 1}})
    dispatcher, _events = await validate(form_turn(history, user("退款一般多久到账？", "ask_policy")))

    assert responses(dispatcher) == ["utter_faq_answer"]
    assert "原路退回" in texts(dispatcher)


@pytest.mark.parametrize("text, intent, reply, words", [
    ("什么时候给结果", "ask_progress", "utter_answer_timing", "具体的处理结果时间我这边给不了准话"),
    ("换新的那个啥时候能换好", "ask_policy", "utter_answer_timing", "具体的换货时间"),
    ("客服多久能联系我", "ask_progress", "utter_answer_contact", "客服会在今天 15:40 前联系您"),
    ("能不能先帮我加急处理", "ask_policy", "utter_answer_request", "能不能办、怎么办要客服核实后答复您"),
    ("卖这种东西你们不觉得坑人吗", "complain_other", "utter_answer_grievance", "您的心情我理解"),
    ("？？", "nlu_fallback", "utter_answer_nudge", "我在的")])
async def test_a_question_back_gets_a_reply_to_what_it_asks_with_the_ticket_and_time(shop, text, intent, reply, words):
    history = in_form(requested="order_number", filled={"asked": {"order_number": 1},
                                                        "intake_ticket": "TK-20261123-0007",
                                                        "promised_due": "今天 15:40 前"})
    dispatcher, _events = await validate(form_turn(history, user(text, intent)))

    assert responses(dispatcher)[0] == reply, texts(dispatcher)
    assert words in texts(dispatcher)
    if reply != "utter_answer_nudge":
        assert "TK-20261123-0007" in texts(dispatcher) and "今天 15:40 前" in texts(dispatcher)
    assert not re.search(r"一定|保证|肯定能|马上就", texts(dispatcher))  # nothing promised


async def test_do_you_need_the_order_number_is_answered(shop):
    history = in_form(requested="order_number", filled={"asked": {"order_number": 1}})
    dispatcher, events = await validate(form_turn(history, user("需要订单号吗", "dont_know")))

    assert "没有订单号也没关系" in texts(dispatcher)
    assert slot_values(events).get("order_number") is None


async def test_not_understood_at_most_once_then_the_words_are_recorded_and_a_person_offered(shop):
    first = user("哈哈哈哈 那个啥", "nlu_fallback", confidence=0.3)
    d1 = CollectingDispatcher()
    await ActionFallback().run(d1, tracker([first]), DOMAIN)
    assert responses(d1) == ["utter_default"]

    said = {"event": "bot", "text": "…", "metadata": {"utter_action": "utter_default"}, "timestamp": 1.0}
    d2 = CollectingDispatcher()
    await ActionFallback().run(d2, tracker([first, action("action_fallback"), said,
                                            user("就那个东西嘛 你懂的", "nlu_fallback", confidence=0.3)]), DOMAIN)
    assert responses(d2) == ["utter_noted_offer_human"]
    assert "就那个东西嘛" in texts(d2) and "没理解" not in texts(d2)


# -- a complaint that began without a problem still gets its record ----------------------------------------

async def test_a_bare_complaint_gets_its_record_as_soon_as_the_form_learns_what_went_wrong(monkeypatch, tmp_path):
    from tests.support.actions import LocalServer, created_ticket

    # "我要投诉" opened no record (nothing to record yet); the form asked what happened.
    history = in_form("我要投诉", "complain_other", requested="issue_type")
    history = [e for e in history if not (e.get("event") == "slot" and e.get("name") == "issue_type")]
    turn = form_turn(history, user("收到的包裹被拆过，里面是空的", "complain_package_damaged_or_lost"),
                     candidates={"issue_type": "package_damaged_or_lost"})
    with LocalServer(lambda request: created_ticket(request.body, due_text="今天 15:40 前")) as service:
        set_up_shop(monkeypatch, tmp_path, BOT_SERVICE_URL=service.url)
        _dispatcher, events = await validate(turn)

    [request] = service.requests_to("/api/tickets")
    assert request.body["intake"] == "collecting"
    assert request.body["issue_type"] == "package_damaged_or_lost"
    assert "收到的包裹被拆过，里面是空的" in request.body["description"]
    assert set(request.body["missing_fields"]) == {"order_number", "expectation"}
    values = slot_values(events)
    assert values["intake_ticket"] and values["promised_due"] == "今天 15:40 前"


async def test_a_form_turn_with_an_open_record_updates_it_instead_of_opening_another(monkeypatch, tmp_path):
    from tests.support.actions import LocalServer, Reply

    history = in_form(requested="order_number", filled={"intake_ticket": "TK-20261130-0001"})
    turn = form_turn(history, user(f"订单号{TAOBAO}", "inform"), candidates={"order_number": TAOBAO})
    with LocalServer(lambda request: Reply(200, {"ticket": {"id": "TK-20261130-0001"}})) as service:
        set_up_shop(monkeypatch, tmp_path, BOT_SERVICE_URL=service.url)
        await validate(turn)

    assert service.requests_to("/api/tickets") == []
    [patch] = service.requests_to("/api/tickets/TK-20261130-0001/intake")
    assert patch.body["order_number"] == TAOBAO


@pytest.mark.parametrize("reply, intent, confidence, files", [
    ("量了腰围 才72", "goodbye", 0.33, False),   # an unsure 'goodbye' is a detail, not the end
    ("没了 就这些", "goodbye", 0.33, True),      # the closing words count whatever the classifier says
    ("拜拜", "goodbye", 0.95, True),
])
async def test_only_a_clear_closing_word_files_the_record_as_it_stands(shop, reply, intent, confidence, files):
    history = in_form(requested="order_number")
    _dispatcher, events = await validate(form_turn(history, user(reply, intent, confidence=confidence)))
    assert (slot_values(events).get("filed_as_is") is True) is files


async def test_asking_whether_the_order_number_is_needed_after_two_asks_is_answered_once(shop):
    history = in_form(requested="order_number", filled={"asked": {"order_number": 2}})
    dispatcher, events = await validate(form_turn(history, user("需要订单号吗", "dont_know", confidence=0.6)))
    said = texts(dispatcher)
    assert "订单号不是必须的" in said and "订单号先空着" not in said  # one answer, not two saying the same
    assert responses(dispatcher) == ["utter_answer_order_not_needed"]  # and nothing about the wish
    assert slot_values(events)["order_number"] == "unknown"


# -- one complaint, one ticket, even when an answer was lost ----------------------------------------------

async def test_the_record_key_is_the_same_from_the_first_reply_to_the_filing(shop):
    from actions.asking import record_key
    from tests.support.actions import filled_form

    history = filled_form()
    first_message = history[:next(i for i, e in enumerate(history)
                                  if e.get("event") == "action" and e.get("name") == "action_acknowledge_complaint")]
    # the acknowledgement's turn and the end of the form
    assert record_key(tracker(first_message), starting=True) == record_key(tracker(history))
    later = [*history, user("还有一件事，另一单也坏了", "complain_product_quality", timestamp=9e9),
             action("action_acknowledge_complaint")]
    assert record_key(tracker(later)) != record_key(tracker(history))  # a new complaint, a new record


async def test_a_record_whose_answer_was_lost_is_completed_not_duplicated(monkeypatch, tmp_path):
    from actions.asking import record_key
    from actions.submission import ActionSubmitComplaint
    from tests.support.actions import LocalServer, Reply, filled_form

    events = filled_form()  # the record was opened, but its answer never arrived: no intake_ticket slot
    stored = {"id": "TK-20261130-0061", "intake": "collecting", "first_response_due_text": "今天 15:40 前"}

    def bot_service(request):
        if request.path.endswith("/intake"):
            return Reply(200, {"ticket": {**stored, "intake": "complete"}})
        return Reply(200, {"ticket": stored})  # the same key again: the record that already exists
    with LocalServer(bot_service) as service:
        set_up_shop(monkeypatch, tmp_path, BOT_SERVICE_URL=service.url)
        dispatcher = CollectingDispatcher()
        result = await ActionSubmitComplaint().run(dispatcher, tracker(events), DOMAIN)

    [post] = service.requests_to("/api/tickets")
    assert post.body["idempotency_key"] == record_key(tracker(events))
    [patch] = service.requests_to("/api/tickets/TK-20261130-0061/intake")
    assert patch.body["intake"] == "complete" and patch.body["expectation"] == "return_refund"
    assert slot_values(result)["ticket_id"] == "TK-20261130-0061"


async def test_a_wish_said_with_不用了_answers_the_question_and_withdraws_nothing(shop):
    history = in_form(requested="expectation", filled={"order_number": TAOBAO, "order_number_status": "given"})
    turn = form_turn(history, user("我只要退款，东西不用了", "cancel", confidence=0.7),
                     candidates={"expectation": "refund"})
    _dispatcher, events = await validate(turn)
    values = slot_values(events)
    assert values["expectation"] == "refund"
    assert not any(e.get("event") == "followup" and e.get("name") == "action_cancel_complaint" for e in events)


async def test_the_same_first_message_sent_twice_is_one_record(shop):
    from actions.asking import record_key

    once = [user("物流好几天不动了", "complain_logistics_delay", timestamp=100.0)]
    twice = [*once, action("action_acknowledge_complaint"), user("物流好几天不动了", "complain_logistics_delay",
                                                                 timestamp=104.0)]
    # The acknowledgement of the resend asks with starting=True: its message is the latest.
    assert record_key(tracker(once), starting=True) == record_key(tracker(twice), starting=True)
    after_filing = [*twice, action("action_acknowledge_complaint"), action("action_submit_complaint"),
                    user("物流好几天不动了", "complain_logistics_delay", timestamp=900.0)]
    assert record_key(tracker(after_filing), starting=True) != record_key(tracker(twice), starting=True)
    # Later turns of that second complaint find the same key as its acknowledgement did.
    later_turn = [*after_filing, action("action_acknowledge_complaint"), user("订单号4512345678901234567", "inform")]
    assert record_key(tracker(later_turn)) == record_key(tracker(after_filing), starting=True)


async def test_the_noted_record_holds_every_word_nobody_could_place(monkeypatch, tmp_path):
    from tests.support.actions import LocalServer, created_ticket

    first = user("哈哈哈哈 那个啥", "nlu_fallback", confidence=0.3)
    said = {"event": "bot", "text": "…", "metadata": {"utter_action": "utter_default"}, "timestamp": 1.0}
    with LocalServer(lambda request: created_ticket(request.body)) as service:
        set_up_shop(monkeypatch, tmp_path, BOT_SERVICE_URL=service.url)
        await ActionFallback().run(CollectingDispatcher(), tracker([
            first, action("action_fallback"), said, user("就那个东西嘛 你懂的", "nlu_fallback", confidence=0.3)]),
            DOMAIN)
    [record] = [r.body for r in service.requests_to("/api/tickets")]
    assert record["description"] == "哈哈哈哈 那个啥\n就那个东西嘛 你懂的"
    assert "needs_triage" in record["risk_flags"]


async def test_arguing_a_refused_return_keeps_the_after_sales_type(shop):
    """DESIGN.md: a refused return of a broken item is after-sales; naming the defect while arguing
    the refusal at the read-back is no correction. Saying the type plainly still is."""
    history = in_form("鞋子开胶申请退货被拒", "complain_after_sales_refund", requested="confirm",
                      filled={"order_number": TAOBAO, "order_number_status": "given", "expectation": "return_refund"})
    arguing = user("明明是质量问题 凭什么不给我退", "complain_product_quality")
    _dispatcher, events = await validate(form_turn(history, arguing, {"issue_type": "product_quality"}))
    assert slot_values(events)["issue_type"] == "after_sales_refund"
    _dispatcher, events = await validate(form_turn(history, user("不对，问题是质量问题", "inform"),
                                                   {"issue_type": "product_quality"}))
    assert slot_values(events)["issue_type"] == "product_quality"


async def test_a_wish_correction_at_the_read_back_never_changes_the_problem(shop):
    """"不对 我要换货不要退款" corrects the wish; the classifier's sure after-sales reading of the
    words 退款/换货 must not turn a quality complaint into an after-sales one."""
    history = in_form("保温杯不保温", "complain_product_quality", requested="confirm",
                      filled={"order_number": TAOBAO, "order_number_status": "given", "expectation": "return_refund"})
    turn = form_turn(history, user("不对 我要换货不要退款 样子我挺喜欢的", "complain_after_sales_refund", 0.93),
                     {"issue_type": "after_sales_refund", "expectation": "exchange"})
    dispatcher, events = await validate(turn)
    assert slot_values(events)["issue_type"] == "product_quality"
    assert slot_values(events)["expectation"] == "exchange" and "售后退款" not in texts(dispatcher)


async def test_the_second_type_question_after_a_description_asks_the_kind_not_the_story(shop):
    history = in_form("我要投诉", "complain_other", requested="issue_type",
                      filled={"asked": {"issue_type": 1}, "description": "对方知道我买了什么 信息是你们漏的"})
    dispatcher, _events = await ask(ActionAskIssueType, history)
    assert responses(dispatcher) == ["utter_ask_issue_type_again_described"]
    assert "说说发生了什么" not in texts(dispatcher) and len(payloads(dispatcher)) == 7
