"""The complaint intake: acknowledge at once, fill the form (issue type, order number, wish), never
ask for what the customer already said.

Slots are pre-filled from every message (domain mappings plus `extract_order_number` here, which
reads the shop's configured patterns). Each slot gets at most two failed attempts; then the
assistant carries on without it and says a person can help. The read-back and submission live in
actions/submission.py.
"""
from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.clients.orders import OrderLookup, lookup_order
from actions.common import latest_intent, latest_text, settings
from bot.domain.orders import find_order_numbers, is_personal_number, is_valid_order_number, normalise_order_number
from bot.domain.promises import contact_promise
from bot.domain.taxonomy import (
    EXPECTATIONS,
    ISSUE_TYPES,
    is_complaint_intent,
    issue_type_for_intent,
    issue_type_named_in,
    normalise_expectation,
    normalise_issue_type,
)
from bot.domain.triage import triage

FORM = "complaint_form"
MOBILE = re.compile(r"1[3-9]\d{9}")
MAX_ATTEMPTS = 2
UNKNOWN = "unknown"
FORM_SLOTS = ("issue_type", "order_number", "order_number_status", "expectation", "confirm", "description",
              "failed_attempts")
# A bare "I want to complain" says nothing about what went wrong: ask instead of filing it as "other".
_BARE_COMPLAINT = re.compile(
    r"^(我|俺)?(要|想|必须|就要)?(投诉|反馈|举报|维权|找你们)(一下|你们|你们店|商家)?[!！。.~～]*$")
# Answers to a form question that cannot be anything but an answer (so free text is accepted).
_ANSWER_INTENTS = {"inform", "affirm", "deny", "dont_know", "nlu_fallback", "out_of_scope"}
# "诉求不是仅退款，是催发货" corrects the wish, whatever problem its words sound like.
_ABOUT_THE_WISH = re.compile(r"诉求|要求是|想要的是|处理方式|解决方式|解决办法")


_YES = re.compile(r"确定|确认|提交|没问题|没错|是的|对的|对啊|对呀|^对|^是|^好|^嗯|可以|行的|^行|^ok|^yes",
                  re.IGNORECASE)
_NO = re.compile(r"不对|不是|错了|有误|修改|改一下|要改|不行|^no\b", re.IGNORECASE)


def confirmation_in(text: str) -> bool | None:
    """True / False when the customer clearly confirms or rejects the summary, else None."""
    text = re.sub(r"\s", "", text or "")
    if not text or text.startswith("/") or "?" in text or "？" in text:
        return None
    if _NO.search(text):
        return False
    return True if _YES.search(text) else None


def _has_words(text: str) -> bool:
    """Chinese characters or a real word; emoji, punctuation and keyboard mashing are not."""
    text = text or ""
    if text.startswith("/"):
        return True
    if re.search(r"[\u4e00-\u9fff]", text):
        return True
    return bool(re.search(r"[A-Za-z]{2,}", text)) and bool(re.search(r"[aeiouAEIOU]", text))


def _attempts(tracker: Tracker) -> dict[str, int]:
    return dict(tracker.get_slot("failed_attempts") or {})


def _count_failure(tracker: Tracker, slot: str) -> tuple[int, dict[str, int]]:
    attempts = _attempts(tracker)
    attempts[slot] = attempts.get(slot, 0) + 1
    return attempts[slot], attempts


def _previous_value(tracker: Tracker, slot: str) -> Any:
    """The slot's value before the latest user message (the tracker already holds the new one)."""
    events = tracker.events
    last_user = max((i for i, e in enumerate(events) if e.get("event") == "user"), default=len(events))
    value = None
    for event in events[:last_user]:
        if event.get("event") == "slot" and event.get("name") == slot:
            value = event.get("value")
        if event.get("event") == "restart":
            value = None
    return value


def _order_promise_text(priority: str) -> str:
    return contact_promise(settings(), priority).due_text


class ActionAcknowledgeComplaint(Action):
    """The very first reply to a complaint: an apology specific to the problem, then off-hours
    and urgency notes. The form asks the next question right after."""

    def name(self) -> str:
        return "action_acknowledge_complaint"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        text = latest_text(tracker)
        intent, _confidence = latest_intent(tracker)
        issue_type = issue_type_for_intent(intent) or tracker.get_slot("issue_type")
        events: list[EventType] = []
        if issue_type == "other_complaint" and (_BARE_COMPLAINT.match(re.sub(r"\s", "", text))
                                                or not _has_words(text)):
            issue_type = None  # ask what happened instead of filing "other"
            events.append(SlotSet("issue_type", None))
        dispatcher.utter_message(response=f"utter_ack_{issue_type or 'other_complaint'}")

        found = find_order_numbers(text, settings().order_number_patterns)
        if found:
            events += [SlotSet("order_number", found[-1]), SlotSet("order_number_status", "given")]
        elif is_personal_number(str(tracker.get_slot("order_number") or "")):
            events.append(SlotSet("order_number", None))  # an ID or card the NLU's order-number regex took
        expectation = normalise_expectation(tracker.get_slot("expectation")) or (
            normalise_expectation(text) if issue_type else None)
        if expectation:
            events.append(SlotSet("expectation", expectation))

        risk = triage(text, repeat_contacts=_earlier_tickets(tracker))
        promise = contact_promise(settings(), risk.priority)
        if not promise.open_now:
            dispatcher.utter_message(response="utter_off_hours_recording", hours=promise.hours_text,
                                     next_opening=promise.next_opening_text, due=promise.due_text)
        elif risk.priority == "urgent":
            dispatcher.utter_message(response="utter_urgent_offer_human")
        events += [
            SlotSet("description", text if issue_type else None),
            SlotSet("priority", risk.priority),
            SlotSet("risk_flags", risk.risk_flags),
            SlotSet("off_hours", not promise.open_now),
            SlotSet("failed_attempts", {}),
        ]
        if intent == "nlu_fallback":
            # Started by action_fallback (an unsure reading): no rule follows, so open the form here.
            events.append(FollowupAction(FORM))
        return events


# A complaint intent this likely, even below the NLU's fallback threshold, is worth acting on when
# the assistant would otherwise only say "I did not understand".
LIKELY_COMPLAINT = 0.25


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



def _earlier_tickets(tracker: Tracker) -> int:
    return sum(1 for e in tracker.events
               if e.get("event") == "slot" and e.get("name") == "ticket_id" and e.get("value"))


class ValidateComplaintForm(FormValidationAction):
    def name(self) -> str:
        return "validate_complaint_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        events = await super().run(dispatcher, tracker, domain)
        # Everything the customer says about the problem is the ticket's description.
        intent, _ = latest_intent(tracker)
        text = latest_text(tracker)
        description = tracker.get_slot("description") or ""
        if is_complaint_intent(intent) and text and not text.startswith("/") and text not in description:
            events.append(SlotSet("description", f"{description}\n{text}".strip()))
        return events

    # -- extraction: free text is always accepted for the slot being asked -------------------
    async def extract_order_number(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                   domain: DomainDict) -> dict[str, Any]:
        text = latest_text(tracker)
        answering = tracker.get_slot("requested_slot") == "order_number"
        found = find_order_numbers(text, settings().order_number_patterns, answering=answering)
        if found:
            return {"order_number": found[-1]}
        intent, _ = latest_intent(tracker)
        other_entities = [e for e in (tracker.latest_message or {}).get("entities", [])
                          if e.get("entity") != "order_number"]
        # Digits typed in answer to "which order?" are an attempt at the number, to be validated
        # (and refused kindly) below; a wish or other words without digits are not.
        if tracker.get_slot("requested_slot") == "order_number" and intent in _ANSWER_INTENTS and \
                not tracker.get_slot("order_number") and re.search(r"\d", text) and not other_entities:
            return {"order_number": text.strip()[:60]}
        return {}

    async def extract_issue_type(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                 domain: DomainDict) -> dict[str, Any]:
        """A problem named by its label ("问题不是包裹破损丢件，是错发漏发") is taken as said, whatever
        intent the words resemble."""
        text = latest_text(tracker)
        if text.startswith("/"):
            return {}
        named = issue_type_named_in(text)
        return {"issue_type": named} if named and named != tracker.get_slot("issue_type") else {}

    async def extract_expectation(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                  domain: DomainDict) -> dict[str, Any]:
        requested = tracker.get_slot("requested_slot")
        text = latest_text(tracker)
        entities = (tracker.latest_message or {}).get("entities") or []
        if text.startswith("/") or any(e.get("entity") == "expectation" for e in entities):
            return {}  # a button or a recognised wish: the domain's entity mapping fills the slot
        if requested == "confirm":
            # "我要的是催发货，不是退款" at the summary corrects the wish.
            found = normalise_expectation(text)
            return {"expectation": found} if found and found != tracker.get_slot("expectation") else {}
        if requested != "expectation" or tracker.get_slot("expectation"):
            return {}
        intent, _ = latest_intent(tracker)
        # The answer to "what do you want?" is a wish whatever the intent looks like: "直接退款吧
        # 不想再折腾了" must not read as cancelling the complaint. Only a hand-off request is not.
        found = normalise_expectation(text) if intent != "request_human" else None
        if found:
            return {"expectation": found}
        if intent in _ANSWER_INTENTS and intent != "dont_know":
            return {"expectation": text.strip()[:60]}
        return {}

    async def extract_confirm(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                              domain: DomainDict) -> dict[str, Any]:
        if tracker.get_slot("requested_slot") != "confirm":
            return {}
        answer = confirmation_in(latest_text(tracker))
        return {} if answer is None else {"confirm": answer}

    # -- validation ----------------------------------------------------------------------------
    def validate_order_number(self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                              domain: DomainDict) -> dict[str, Any]:
        value = normalise_order_number(str(slot_value or ""))
        if value == UNKNOWN:
            dispatcher.utter_message(response="utter_order_number_skipped")
            return {"order_number": UNKNOWN, "order_number_status": UNKNOWN}
        patterns = settings().order_number_patterns
        asked = tracker.get_slot("requested_slot") == "order_number"
        said = find_order_numbers(normalise_order_number(latest_text(tracker)), patterns, answering=asked)
        # An 11-digit number shaped like a mobile counts only with 订单/单号 context in the message;
        # an ID number never, a bank card only when given as the order number (bot.domain.orders).
        if is_personal_number(value, ordered=value in said):
            if not asked:  # put there by the NLU's order-number regex: ask for the order later
                return {"order_number": None}
            return self._refuse_order_number(
                dispatcher, tracker, "这串数字看起来像身份证号或银行卡号，为保护您的隐私就不记录了。"
                "订单号在「我的订单」→订单详情里可以复制，淘宝/天猫是 18-19 位数字。")
        mobile_like = MOBILE.fullmatch(value) and value not in said
        if is_valid_order_number(value, patterns) and not mobile_like:
            status = "given"
            if settings().order_api_url:
                result = lookup_order(settings().order_api_url, value, settings().order_api_timeout_seconds)
                if result == OrderLookup.NOT_FOUND:
                    return self._refuse_order_number(dispatcher, tracker, not_found=value)
                status = "verified" if result == OrderLookup.FOUND else "given"
            changed = _previous_value(tracker, "order_number") not in (None, value, UNKNOWN)
            if changed and tracker.get_slot("requested_slot") != "order_number":
                dispatcher.utter_message(response="utter_order_number_corrected", order_number=value)
            return {"order_number": value, "order_number_status": status}
        return self._refuse_order_number(dispatcher, tracker)

    def _refuse_order_number(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                             not_found: str | None = None) -> dict[str, Any]:
        """Asks again (the number is malformed, or `not_found` by the order API), or on the last
        attempt carries on without it."""
        failures, attempts = _count_failure(tracker, "order_number")
        if failures >= MAX_ATTEMPTS:
            dispatcher.utter_message(response="utter_order_number_given_up")
            return {"order_number": UNKNOWN, "order_number_status": UNKNOWN, "failed_attempts": attempts}
        if not_found:
            dispatcher.utter_message(response="utter_order_number_not_found", order_number=not_found)
        else:
            dispatcher.utter_message(response="utter_order_number_invalid")
        return {"order_number": None, "failed_attempts": attempts}

    def validate_issue_type(self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                            domain: DomainDict) -> dict[str, Any]:
        value = normalise_issue_type(str(slot_value or ""))
        text = re.sub(r"\s", "", latest_text(tracker))
        previous = _previous_value(tracker, "issue_type")
        asked = tracker.get_slot("requested_slot") == "issue_type"
        if value == "other_complaint" and (_BARE_COMPLAINT.match(text) or not _has_words(text)) \
                and not latest_text(tracker).startswith("/"):
            return {"issue_type": previous}  # "我要投诉" again: keep asking what happened
        if value is None:
            failures, attempts = _count_failure(tracker, "issue_type")
            if failures >= MAX_ATTEMPTS:
                dispatcher.utter_message(response="utter_issue_type_recorded_as_other")
                return {"issue_type": "other_complaint", "failed_attempts": attempts}
            return {"issue_type": None, "failed_attempts": attempts}
        said = latest_text(tracker)
        changed = previous and value != previous and not asked
        named = None if said.startswith("/") else issue_type_named_in(said)
        if changed and value != named:  # a type named by its label is taken as said
            _intent, confidence = latest_intent(tracker)
            answering = tracker.get_slot("requested_slot") in ("expectation", "order_number", "confirm")
            correcting = re.search(r"不是|不对|搞错|其实|应该是|而是", said)
            if confidence < 0.8 or (answering and not correcting) or _ABOUT_THE_WISH.search(said):
                # "赶紧给我发出来" answers the wish question; it is not a new complaint about a wrong item.
                return {"issue_type": previous}  # an unsure guess must not overwrite what the customer said
        if changed:
            dispatcher.utter_message(response="utter_issue_type_changed", issue_type_label=ISSUE_TYPES[value].label)
        return {"issue_type": value}

    def validate_expectation(self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                             domain: DomainDict) -> dict[str, Any]:
        value = normalise_expectation(str(slot_value or ""))
        # The text reading knows refusals ("不退了 换一件吧") and takes the last wish mentioned.
        from_text = normalise_expectation(latest_text(tracker))
        if from_text and from_text != value and not latest_text(tracker).startswith("/"):
            value = from_text
        if value is None:
            failures, attempts = _count_failure(tracker, "expectation")
            if failures >= MAX_ATTEMPTS:
                dispatcher.utter_message(response="utter_expectation_recorded_as_other")
                return {"expectation": "other", "failed_attempts": attempts}
            dispatcher.utter_message(response="utter_expectation_unclear")
            return {"expectation": None, "failed_attempts": attempts}
        previous = _previous_value(tracker, "expectation")
        if previous and previous != value and tracker.get_slot("requested_slot") != "expectation":
            dispatcher.utter_message(response="utter_expectation_changed", expectation_label=EXPECTATIONS[value])
        return {"expectation": value}

    def validate_confirm(self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                         domain: DomainDict) -> dict[str, Any]:
        corrected = any(tracker.get_slot(s) != _previous_value(tracker, s)
                        for s in ("order_number", "issue_type", "expectation"))
        if slot_value is True and not corrected:
            if confirmation_in(latest_text(tracker)) is None and not _has_words(latest_text(tracker)):
                return {"confirm": None}  # "嗯？", "🙃", "zxcv": ask again rather than submit
            return {"confirm": True}
        if corrected:
            return {"confirm": None}  # the summary is read back again with the correction
        failures, attempts = _count_failure(tracker, "confirm")
        if failures >= 3:
            dispatcher.utter_message(response="utter_confirm_give_up")
        dispatcher.utter_message(response="utter_ask_correction")
        return {"confirm": None, "failed_attempts": attempts}
