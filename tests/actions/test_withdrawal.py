"""Withdrawing a complaint mid-intake, at the action level.

A bare "不用了" / "算了" to a question asked once gets one question back (actions/withdrawal.py);
「不用登记了」, the bare word again or a plain yes withdraw, 「继续登记」 or an answer goes back to the
pending question in its second form. A withdrawal keeps the record and has the bot service close it
(`withdrawn`): the last tests run the actions against the real bot service on loopback, with the
withdrawn record closed quietly and a new complaint in the same chat getting a ticket of its own.
"""
from __future__ import annotations

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.acknowledge import ActionAcknowledgeComplaint
from actions.asking import ActionAskOrderNumber
from actions.submission import ActionAskConfirm, ActionCancelComplaint
from actions.withdrawal import WITHDRAW_CHECK, pending_question
from tests.support.actions import (
    DOMAIN,
    SENDER,
    TAOBAO,
    action,
    form_turn,
    in_form,
    payloads,
    responses,
    set_up_shop,
    slot,
    slot_values,
    texts,
    tracker,
    user,
)
from tests.support.actions import validate_form as validate

CANCEL_RULE: list = []  # the form rejected the reply: the rule "cancelling during the intake" runs


def asked_once(requested: str = "order_number", **filled) -> list[dict]:
    return in_form(requested=requested, filled={**filled, "asked": {requested: 1}})


def followups(events: list[dict]) -> list[str]:
    return [e["name"] for e in events if e.get("event") == "followup"]


async def checked(history: list[dict], said: str = "不用了", intent: str = "cancel", confidence: float = 0.97,
                  **candidates) -> list[dict]:
    """The conversation after a bare word was answered with the check question."""
    message = user(said, intent, confidence=confidence)
    turn = form_turn(history, message, candidates=candidates or None)
    _dispatcher, events = await validate(turn)
    assert slot_values(events)["requested_slot"] == WITHDRAW_CHECK
    return [*turn.events, *events, action("utter_ask_withdraw_check"), action("action_listen")]


# -- the check question ---------------------------------------------------------------------------------

@pytest.mark.parametrize("said, intent, confidence", [
    ("不用了", "cancel", 0.97), ("算了", "cancel", 0.83), ("不需要了", "cancel", 0.9), ("不要了", "cancel", 0.41),
    ("哦 不用了", "cancel", 0.96), ("算了算了", "cancel", 0.99), ("不用了不用了", "goodbye", 1.0),
    ("不用了。", "deny", 0.7)])
async def test_a_bare_no_need_to_a_question_asked_once_is_asked_back_not_withdrawn(shop, said, intent, confidence):
    history = asked_once()
    dispatcher, events = await validate(form_turn(history, user(said, intent, confidence=confidence)))

    values = slot_values(events)
    assert values["requested_slot"] == WITHDRAW_CHECK  # the form asks utter_ask_withdraw_check next
    assert values["asked"] == {"order_number": 1, WITHDRAW_CHECK: 1}
    assert events and followups(events) == []  # neither withdrawn nor handed to the cancellation rule
    assert "filed_as_is" not in values and "order_number" not in values  # not filed, the number not given up
    assert dispatcher.messages == []  # one question only: the form's


def test_the_check_question_offers_both_answers_in_natural_chinese():
    [first, second] = DOMAIN["responses"]["utter_ask_withdraw_check"]
    for variation in (first, second):
        assert [(b["title"], b["payload"]) for b in variation["buttons"]] == [("不用登记了", "/cancel"),
                                                                              ("继续登记", "/deny")]
        assert "登记" in variation["text"] and "？" in variation["text"]  # a question, about the registration


async def test_a_bare_no_need_at_the_summary_undoes_the_deny_mapping_and_asks_back(shop):
    history = asked_once("confirm", order_number=TAOBAO, order_number_status="given", expectation="refund")
    dispatcher, events = await validate(form_turn(history, user("不用了", "deny", confidence=0.8),
                                                  candidates={"confirm": False}))
    values = slot_values(events)
    assert values["confirm"] is None  # "deny" read as "the summary is wrong" is undone: it answered nothing
    assert values["requested_slot"] == WITHDRAW_CHECK
    assert dispatcher.messages == []  # no "哪里需要修改？"


# -- answers to the check --------------------------------------------------------------------------------

async def test_the_withdraw_button_withdraws_through_the_cancellation_rule(shop):
    history = await checked(asked_once())
    turn = form_turn(history, user("/cancel", "cancel", confidence=1.0))
    _dispatcher, events = await validate(turn)
    assert events == CANCEL_RULE

    dispatcher = CollectingDispatcher()
    cancelled = await ActionCancelComplaint().run(dispatcher, tracker([*history, user("/cancel", "cancel", 1.0)]),
                                                  DOMAIN)
    assert responses(dispatcher) == ["utter_cancelled"]
    assert cancelled[0]["event"] == "active_loop" and cancelled[0]["name"] is None


@pytest.mark.parametrize("said, intent, confidence", [("不用了", "cancel", 0.97), ("不要了", "cancel", 0.41)])
async def test_the_bare_word_again_counts_as_yes(shop, said, intent, confidence):
    history = await checked(asked_once())
    _dispatcher, events = await validate(form_turn(history, user(said, intent, confidence=confidence)))
    assert events == CANCEL_RULE

    dispatcher = CollectingDispatcher()
    await ActionCancelComplaint().run(dispatcher, tracker([*history, user(said, intent, confidence)]), DOMAIN)
    assert responses(dispatcher) == ["utter_cancelled"]  # not sent back to the form a second time


@pytest.mark.parametrize("said, intent", [("是的", "affirm"), ("对，不用了", "affirm"), ("算了吧", "goodbye"),
                                          ("不需要", "nlu_fallback")])
async def test_a_yes_the_nlu_did_not_read_as_cancel_ends_the_form_and_withdraws(shop, said, intent):
    history = await checked(asked_once())
    _dispatcher, events = await validate(form_turn(history, user(said, intent, confidence=0.9)))
    assert slot_values(events)["requested_slot"] is None  # the form ends …
    assert followups(events) == ["action_cancel_complaint"]  # … and the withdrawal runs at once


async def test_continue_goes_back_to_the_pending_question_in_its_second_form(shop):
    history = await checked(asked_once())
    turn = form_turn(history, user("/deny", "deny", confidence=1.0))
    dispatcher, events = await validate(turn)

    assert followups(events) == [] and dispatcher.messages == []
    assert "requested_slot" not in slot_values(events)  # the form asks the first empty question itself
    after = tracker([*turn.events, *events])
    assert pending_question(after) == "order_number"
    asking = CollectingDispatcher()
    await ActionAskOrderNumber().run(asking, after, DOMAIN)
    assert responses(asking) == ["utter_ask_phone_instead"]  # the second, skippable form, not the same words
    assert "不方便的话" in texts(asking)


async def test_an_answer_to_the_check_is_the_answer_to_the_pending_question(shop):
    history = await checked(asked_once())
    said = f"哦哦 订单号是{TAOBAO}"
    turn = form_turn(history, user(said, "inform"), candidates={"order_number": TAOBAO})
    _dispatcher, events = await validate(turn)

    values = slot_values(events)
    assert values["order_number"] == TAOBAO and values["order_number_status"] == "given"
    assert followups(events) == []
    assert pending_question(tracker([*turn.events, *events])) == "expectation"


async def test_a_confirm_pending_comes_back_as_the_short_read_back(shop):
    history = await checked(asked_once("confirm", order_number=TAOBAO, order_number_status="given",
                                       expectation="refund"), intent="deny", confidence=0.8)
    turn = form_turn(history, user("/deny", "deny", confidence=1.0))
    _dispatcher, events = await validate(turn)
    after = tracker([*turn.events, *events])
    assert after.get_slot("confirm") is None and pending_question(after) == "confirm"
    asking = CollectingDispatcher()
    await ActionAskConfirm().run(asking, after, DOMAIN)
    assert responses(asking) == ["utter_confirm_summary_again"]
    assert payloads(asking)  # 确认提交 offered again


# -- when the bare word is not asked back ----------------------------------------------------------------

async def test_the_check_is_asked_once_per_complaint_then_the_word_is_a_reply_that_fills_nothing(shop):
    history = asked_once("expectation", order_number=TAOBAO, order_number_status="given")
    history[-2:-2] = [slot("asked", {"order_number": 1, "expectation": 1, WITHDRAW_CHECK: 1})]
    dispatcher, events = await validate(form_turn(history, user("算了", "cancel", confidence=0.83)))

    values = slot_values(events)
    assert values.get("requested_slot") != WITHDRAW_CHECK
    assert followups(events) == [] and events  # not withdrawn, not rejected
    assert "filed_as_is" not in values  # nor filed as it stands: it answered the question, not the chat
    assert dispatcher.messages == []


async def test_to_a_question_that_said_it_can_be_skipped_the_bare_word_skips_it(shop):
    # The guest's second ask says "不方便的话回复「不用」就行".
    history = in_form(requested="order_number", filled={"asked": {"order_number": 2}})
    dispatcher, events = await validate(form_turn(history, user("不用了", "cancel", confidence=0.97)))

    values = slot_values(events)
    assert values["order_number"] == "unknown" and values["missing_fields"] == ["order_number"]
    assert responses(dispatcher) == ["utter_order_number_skipped"]
    assert followups(events) == [] and values.get("requested_slot") != WITHDRAW_CHECK


@pytest.mark.parametrize("said", ["不用登记了", "算了 不投诉了", "取消投诉"])
async def test_explicit_words_still_withdraw_at_once(shop, said):
    _dispatcher, events = await validate(form_turn(asked_once(), user(said, "cancel", confidence=1.0)))
    assert events == CANCEL_RULE
    dispatcher = CollectingDispatcher()
    await ActionCancelComplaint().run(dispatcher, tracker([*asked_once(), user(said, "cancel", 1.0)]), DOMAIN)
    assert responses(dispatcher) == ["utter_cancelled"]


@pytest.mark.parametrize("said", ["照片不用了吧", "单号就不用了"])
async def test_declining_one_thing_asked_for_withdraws_nothing_and_asks_nothing_back(shop, said):
    _dispatcher, events = await validate(form_turn(asked_once(), user(said, "cancel", confidence=0.97)))
    assert events and followups(events) == []
    assert slot_values(events).get("requested_slot") != WITHDRAW_CHECK


async def test_a_bare_no_need_reaching_the_cancel_action_without_the_check_goes_back_to_the_form(shop):
    dispatcher = CollectingDispatcher()
    events = await ActionCancelComplaint().run(dispatcher, tracker([*asked_once(), user("不用了", "cancel", 0.97)]),
                                               DOMAIN)
    assert [e["event"] for e in events] == ["followup"] and events[0]["name"] == "complaint_form"
    assert dispatcher.messages == []


async def test_closing_words_with_thanks_still_file_the_record_as_it_stands(shop):
    _dispatcher, events = await validate(form_turn(asked_once(), user("不用了 谢谢", "thank", confidence=1.0)))
    values = slot_values(events)
    assert values["filed_as_is"] is True and values["requested_slot"] is None


# -- with the real bot service on loopback -----------------------------------------------------------------

@pytest.fixture
def bot_service(monkeypatch, tmp_path):
    from tests.support.live_app import TOKEN, LiveApp, add_agent, make_settings

    live = LiveApp(make_settings(tmp_path / "service"))
    live.app.ctx.escalation_interval = 3600
    live.start()
    add_agent(live.store, "lily", display_name="丽丽")
    set_up_shop(monkeypatch, tmp_path, BOT_SERVICE_URL=live.base, BOT_API_TOKEN=TOKEN)
    try:
        yield live
    finally:
        live.stop()


async def opened(first: str, intent: str, history: list[dict] | None = None) -> tuple[list[dict], str]:
    """The acknowledgement of a complaint (the record opened at the bot service); returns the events
    of the conversation with the form asking for the order number, and the record's id."""
    from bot.domain.taxonomy import issue_type_for_intent

    events = [*(history or [action("action_session_start"), action("action_listen")]), user(first, intent),
              slot("issue_type", issue_type_for_intent(intent))]
    acknowledged = await ActionAcknowledgeComplaint().run(CollectingDispatcher(), tracker(events), DOMAIN)
    record = slot_values(acknowledged)["intake_ticket"]
    events += [action("action_acknowledge_complaint"), *acknowledged, action("complaint_form"),
               {"event": "active_loop", "name": "complaint_form", "timestamp": 1.0},
               slot("asked", {"order_number": 1}), slot("requested_slot", "order_number"), action("action_listen")]
    return events, record


async def withdraw(events: list[dict], *answers: tuple[str, str]) -> tuple[list[dict], CollectingDispatcher]:
    """The customer answers the order-number question with a bare "不用了", then `answers` to the check;
    the last one withdraws through the cancellation rule."""
    history = await checked(events)
    for said, intent in answers[:-1]:
        turn = form_turn(history, user(said, intent))
        history = [*turn.events, *(await validate(turn))[1], action("action_listen")]
    said, intent = answers[-1]
    last = [*history, user(said, intent, confidence=1.0)]
    dispatcher = CollectingDispatcher()
    cancelled = await ActionCancelComplaint().run(dispatcher, tracker(last), DOMAIN)
    return [*last, action("action_cancel_complaint"), *cancelled, action("action_listen")], dispatcher


async def test_a_withdrawn_record_is_kept_and_closed_quietly_and_a_new_complaint_gets_its_own(bot_service):
    first = "快递五天了还没到 一直不更新"
    events, record = await opened(first, "complain_logistics_delay")
    assert bot_service.store.get_ticket(record)["intake"] == "collecting"

    events, dispatcher = await withdraw(events, ("/cancel", "cancel"))
    assert responses(dispatcher) == ["utter_cancelled"]
    closed = bot_service.store.get_ticket(record)
    assert (closed["status"], closed["intake"]) == ("closed", "withdrawn")
    assert closed["description"] == first and closed["issue_type"] == "logistics_delay"  # nothing said is lost
    reasons = [e["details"].get("reason") for e in bot_service.store.list_events(record)
               if e["action"] == "status_changed"]
    assert reasons == ["顾客在登记过程中撤销了投诉"]
    said = [m["meta"].get("kind") for m in bot_service.store.list_messages(SENDER)]
    assert "rating_request" not in said and "agent_done" not in said  # the assistant's own reply is enough

    # The same words again, later in the same chat: a complaint of its own, never the closed record.
    again, second = await opened(first, "complain_logistics_delay", history=events)
    assert second != record
    fresh = bot_service.store.get_ticket(second)
    assert (fresh["status"], fresh["intake"]) == ("new", "collecting")
    assert "repeat_contact" not in fresh["risk_flags"]  # a withdrawn complaint is no earlier contact
    assert bot_service.store.get_ticket(record)["status"] == "closed"


async def test_a_record_an_agent_already_claimed_stays_with_the_agent(bot_service):
    events, record = await opened("收到的杯子裂了一道缝", "complain_product_quality")
    bot_service.app.ctx.tickets.update(record, {"assignee": "lily"}, "lily")

    _events, dispatcher = await withdraw(events, ("不用了", "cancel"))
    assert responses(dispatcher) == ["utter_cancel_passed_on"]
    kept = bot_service.store.get_ticket(record)
    assert (kept["status"], kept["intake"], kept["assignee"]) == ("open", "collecting", "lily")
    notes = [e["details"]["text"] for e in bot_service.store.list_events(record) if e["action"] == "note"]
    assert len(notes) == 1 and "不再投诉" in notes[0]
