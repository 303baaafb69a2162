"""The very first reply to a complaint (issue 11 items 1, 4, 6): the record opens at once, the
acknowledgement says only what is known, urgency is acknowledged.

- Sympathy names the problem only when the NLU reading of the type is at least
  ISSUE_TYPE_CONFIDENT (bot.domain.taxonomy); otherwise a neutral acknowledgement restates the
  customer's words and the form's first question offers the likeliest types plus 其他.
- The complaint becomes a ticket `intake: collecting` before any question (actions/asking.py).
- Urgency (很急, 急用) or a stated deadline is acknowledged once ("明白您很急，已标注加急").
- After a hand-off the form does not start again: the customer hears who replies and when.
- Not every message that reaches it is a complaint. Praise alone ("东西到了 很好用") that the
  classifier was not sure of is thanked, never recorded (bot.domain.dialogue.is_positive_feedback).
  An order number alone (or a pasted order card) before any complaint was said is noted without an
  apology, and the customer is asked what they need; the number is kept, so a complaint that
  follows never asks for it again. The customer's own ordering mistake ("我下错单了 颜色拍错了",
  bot.domain.dialogue.is_own_mistake) gets the FAQ's answer or how to cancel or change, no record.
- The intake's form follows this action by rule after a complaint intent; after an `inform` or an
  unsure reading it is started here (FollowupAction), only when a complaint is being recorded.
"""
from __future__ import annotations

import re

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.asking import FILINGS, open_record, ranked_issue_types
from actions.common import latest_intent, latest_text, settings, template_safe
from bot.domain.deadlines import find_customer_deadline
from bot.domain.dialogue import is_own_mistake, is_positive_feedback
from bot.domain.orders import find_order_numbers, is_order_number_only, is_personal_number, strip_order_card
from bot.domain.promises import contact_promise
from bot.domain.taxonomy import (
    ISSUE_TYPE_CONFIDENT,
    is_complaint_intent,
    issue_type_for_intent,
    normalise_expectation,
)
from bot.domain.triage import triage

FORM = "complaint_form"
# A bare "I want to complain" says nothing about what went wrong: ask instead of filing it as "other".
BARE_COMPLAINT = re.compile(
    r"^(我|俺)?(要|想|必须|就要)?(投诉|反馈|举报|维权|找你们)(一下|你们|你们店|商家)?[!！。.~～]*$")
# A complaint intent this likely, even below the NLU's fallback threshold, is worth acting on when
# the assistant would otherwise only say "I did not understand".
LIKELY_COMPLAINT = 0.25


def has_words(text: str) -> bool:
    """Chinese characters or a real word; emoji, punctuation and keyboard mashing are not."""
    text = text or ""
    if text.startswith("/"):
        return True
    if re.search(r"[\u4e00-\u9fff]", text):
        return True
    return bool(re.search(r"[A-Za-z]{2,}", text)) and bool(re.search(r"[aeiouAEIOU]", text))


def likely_issue_type(tracker: Tracker, *, beside_other_intents: bool = False) -> str | None:
    """The issue type of the best-ranked complaint intent of the latest message when it is at
    least LIKELY_COMPLAINT sure and the message's best real guess, or, with
    `beside_other_intents`, next to the intent that was acted on ("快递员太凶了，转人工")."""
    ranking = (tracker.latest_message or {}).get("intent_ranking") or []
    candidates = [r for r in ranking if r.get("name") != "nlu_fallback"
                  and (not beside_other_intents or issue_type_for_intent(r.get("name")))]
    best = candidates[0] if candidates else None
    if best and float(best.get("confidence") or 0) >= LIKELY_COMPLAINT:
        return issue_type_for_intent(best.get("name"))
    return None


def complaint_said_before(tracker: Tracker) -> bool:
    """Whether this conversation already had a complaint before the latest message: a message the
    classifier read as one, words the assistant could not place (unplaced_words), or a record
    opened, filed or handed to people."""
    if any(tracker.get_slot(name) for name in ("intake_ticket", "ticket_id", "handed_off")):
        return True
    users = [e for e in tracker.events if e.get("event") == "user"]
    # A message the assistant set aside as no complaint (an own mistake, praise) does not count,
    # whatever the classifier read in it ("我下错单了" reads as wrong_or_missing_item).
    return any(is_complaint_intent(((e.get("parse_data") or {}).get("intent") or {}).get("name"))
               and not is_own_mistake(e.get("text")) and not is_positive_feedback(e.get("text"))
               for e in users[:-1]) or bool(unplaced_words(tracker))


# Replies that leave a message's words with nobody: "没理解", "原话记下来了", "需要客服同事来答复".
_UNPLACED_REPLIES = ("utter_default", "utter_noted_offer_human", "utter_answer_human_needed")


def unplaced_words(tracker: Tracker) -> list[str]:
    """Customer messages since the last filing that the assistant could not place — not understood,
    "noted", or "a person must answer this" — before the latest one: often a complaint the
    classifier missed ("刚下单就接到诈骗电话 对方知道我买了什么"). When a complaint starts they are its
    first words, so nothing the customer said is asked again or left off the ticket."""
    words: list[str] = []
    pending: str | None = None
    for event in tracker.events:
        kind = event.get("event")
        if kind == "action" and event.get("name") in FILINGS:
            words, pending = [], None
        elif kind == "user":
            text = (event.get("text") or "").strip()
            pending = text if text and not text.startswith("/") and has_words(text) else None
        elif kind == "bot" and pending and (event.get("metadata") or {}).get("utter_action") in _UNPLACED_REPLIES:
            words.append(pending)
            pending = None
    return words


def kept_order_number(tracker: Tracker) -> str | None:
    """The order number the conversation already holds (given before the complaint), if usable."""
    value = str(tracker.get_slot("order_number") or "")
    return value if value and value != "unknown" and not is_personal_number(value, ordered=True) else None


def earlier_tickets(tracker: Tracker) -> int:
    return sum(1 for e in tracker.events
               if e.get("event") == "slot" and e.get("name") == "ticket_id" and e.get("value"))


def urgency_said_before(tracker: Tracker) -> bool:
    return any(e.get("event") == "bot" and (e.get("metadata") or {}).get("utter_action", "").startswith("utter_urgency")
               for e in tracker.events)


def acknowledge_urgency(dispatcher: CollectingDispatcher, tracker: Tracker, text: str) -> None:
    """"明白您很急，已标注加急" once a session, when the words say so or state a deadline."""
    words = strip_order_card(text)
    deadline = find_customer_deadline(words)
    if urgency_said_before(tracker) or not (deadline or "time_pressure" in triage(words).risk_flags):
        return
    if deadline:
        dispatcher.utter_message(response="utter_urgency_deadline_noted", deadline=template_safe(deadline))
    else:
        dispatcher.utter_message(response="utter_urgency_noted")


class ActionAcknowledgeComplaint(Action):
    """The first reply to a complaint; the form asks the next question right after."""

    def name(self) -> str:
        return "action_acknowledge_complaint"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        from actions.handoff import after_handoff

        if after_handoff(dispatcher, tracker):
            return [FollowupAction("action_listen")]
        text = latest_text(tracker)
        intent, confidence = latest_intent(tracker)
        button = text.startswith("/")
        if not button and not (is_complaint_intent(intent) and confidence >= ISSUE_TYPE_CONFIDENT) \
                and is_positive_feedback(text):
            # Praise the classifier was unsure of ("物流神速 给力"): thanks, and no record.
            dispatcher.utter_message(response="utter_thanks_for_feedback")
            return [SlotSet("issue_type", None), FollowupAction("action_listen")]
        if not button and not complaint_said_before(tracker) and is_own_mistake(text):
            # "我下错单了 颜色拍错了": help to cancel or change (the FAQ when it asks), no complaint.
            return own_mistake(dispatcher, tracker, text)
        if not button and not complaint_said_before(tracker) and \
                is_order_number_only(text, settings().order_number_patterns):
            return _order_number_noted(dispatcher, text)
        ranking = (tracker.latest_message or {}).get("intent_ranking") or []
        issue_type = issue_type_for_intent(intent) or tracker.get_slot("issue_type")
        bare = bool(BARE_COMPLAINT.match(re.sub(r"\s", "", text))) or not has_words(text)
        events: list[EventType] = []
        if issue_type == "other_complaint" and bare:
            issue_type = None  # ask what happened instead of filing "other"
            events.append(SlotSet("issue_type", None))
        confident = bool(issue_type) and (button or (confidence >= ISSUE_TYPE_CONFIDENT and intent != "nlu_fallback"))
        earlier = unplaced_words(tracker)
        states_problem = bool(issue_type) or (not bare and intent == "nlu_fallback") or bool(earlier)
        if confident:
            dispatcher.utter_message(response=f"utter_ack_{issue_type}")
        elif states_problem and not button:
            likely = ranked_issue_types(ranking) or ([issue_type] if issue_type else [])
            events += [SlotSet("issue_type", None), SlotSet("likely_types", likely)]
            said = earlier[0] if earlier else text
            dispatcher.utter_message(response="utter_neutral_acknowledgement", words=template_safe(_brief(said)))
        else:
            dispatcher.utter_message(response="utter_ack_other_complaint")

        found = find_order_numbers(text, settings().order_number_patterns)
        order = found[-1] if found else None
        kept = None
        if order:
            events += [SlotSet("order_number", order), SlotSet("order_number_status", "given")]
        elif is_personal_number(str(tracker.get_slot("order_number") or "")):
            events.append(SlotSet("order_number", None))  # an ID or card the NLU's order-number regex took
        else:
            kept = kept_order_number(tracker)  # given earlier ("订单号 N", then the problem)
        expectation = normalise_expectation(tracker.get_slot("expectation")) or (
            normalise_expectation(text) if issue_type or earlier else None)
        if expectation:
            events.append(SlotSet("expectation", expectation))

        risk = triage("\n".join([*earlier, strip_order_card(text)]), repeat_contacts=earlier_tickets(tracker))
        promise = contact_promise(settings(), risk.priority)
        if not promise.open_now:
            dispatcher.utter_message(response="utter_off_hours_recording", hours=promise.hours_text,
                                     next_opening=promise.next_opening_text, due=promise.due_text)
        elif risk.priority == "urgent":
            dispatcher.utter_message(response="utter_urgent_offer_human")
        acknowledge_urgency(dispatcher, tracker, text)
        parts = [*earlier, *([text] if not button and has_words(text) else [])]
        description = "\n".join(parts) if states_problem and parts else None
        events += [
            SlotSet("description", description),
            SlotSet("priority", risk.priority),
            SlotSet("risk_flags", risk.risk_flags),
            SlotSet("off_hours", not promise.open_now),
            SlotSet("failed_attempts", {}),
            SlotSet("asked", {}),
            SlotSet("missing_fields", []),
        ]
        if description:
            events += _opened(tracker, {
                "issue_type": issue_type if confident else None, "description": description,
                "order_number": order or kept,
                "order_number_status": ("given" if order else tracker.get_slot("order_number_status") or "given")
                if order or kept else "unknown",
                "expectation": expectation, "priority": risk.priority, "risk_flags": list(risk.risk_flags),
                "off_hours": not promise.open_now,
                "customer_deadline": find_customer_deadline(strip_order_card(text)),
                "missing_fields": [f for f, v in (("issue_type", issue_type if confident else None),
                                                  ("order_number", order or kept), ("expectation", expectation))
                                   if not v]})
        if not is_complaint_intent(intent):
            # Started by action_fallback (an unsure reading) or by an `inform` (a wish on its own): no
            # rule follows, so open the form here.
            events.append(FollowupAction(FORM))
        return events


def own_mistake(dispatcher: CollectingDispatcher, tracker: Tracker, text: str) -> list[EventType]:
    """The customer's own ordering mistake: the FAQ's answer when the message asks something it
    covers, else how to cancel or change; no apology for a fault, no record. An order number in
    it is kept for a complaint that may follow."""
    from actions.answers import faq_answer

    answer = faq_answer(text)
    if answer:
        dispatcher.utter_message(response="utter_faq_answer", answer=template_safe(answer))
    else:
        dispatcher.utter_message(response="utter_own_mistake")
    found = find_order_numbers(text, settings().order_number_patterns)
    kept = [SlotSet("order_number", found[-1]), SlotSet("order_number_status", "given")] if found else []
    return [SlotSet("issue_type", None), *kept, FollowupAction("action_listen")]


def _order_number_noted(dispatcher: CollectingDispatcher, text: str) -> list[EventType]:
    """An order number alone, before any complaint: no apology and no intake — the number is noted
    (kept for a complaint that may follow) and the customer is asked what they need."""
    number = find_order_numbers(text, settings().order_number_patterns)[-1]
    dispatcher.utter_message(response="utter_order_number_received", order_number=template_safe(number))
    return [SlotSet("issue_type", None), SlotSet("order_number", number), SlotSet("order_number_status", "given"),
            FollowupAction("action_listen")]


def _brief(text: str) -> str:
    from bot.domain.dialogue import restated

    return restated(strip_order_card(text) or text)


def _opened(tracker: Tracker, fields: dict) -> list[EventType]:
    ticket = open_record(tracker, {k: v for k, v in fields.items() if v is not None}, starting=True)
    if not ticket or not ticket.get("id"):
        return []
    return [SlotSet("intake_ticket", ticket["id"]),
            SlotSet("promised_due", ticket.get("first_response_due_text"))]
