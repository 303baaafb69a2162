"""The complaint intake: fill the form (issue type, order number, wish), never ask for what the
customer already said, never loop, and change or end the record only on explicit words.

Slots are pre-filled from every message (domain mappings plus `extract_order_number` here, which
reads the shop's configured patterns). The first reply lives in actions/acknowledge.py, the
questions and their budget in actions/asking.py (each field asked at most twice, then filed
without it and named missing), answers to questions in actions/answers.py, the read-back and
submission in actions/submission.py.

`ValidateComplaintForm.run` sees every reply the form hears (issue 11):
- 转人工/人工/真人/找你们领导 anywhere, or an explicit "不投诉了", ends the form (a hand-off or a
  cancellation); a question or talk about cancelling the order never does;
- a bare "不用了"/"算了" to a question asked once gets one question back ("是这次的问题不用登记了吗？",
  actions/withdrawal.py): yes withdraws, anything else is the reply to the question
  still pending;
- a question is answered first (the FAQ, the promised time with the ticket number), then the form
  asks at most one question;
- a closing word (没了/不用了/就这样/谢谢) files the record as it stands;
- a reply that fills nothing spends the question's budget; when it is spent the field is skipped.
"""
from __future__ import annotations

import re
from typing import Any

from rasa_sdk import FormValidationAction, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.acknowledge import (  # noqa: F401 (re-exported: the action and helpers other modules use)
    BARE_COMPLAINT,
    FORM,
    LIKELY_COMPLAINT,
    ActionAcknowledgeComplaint,
    acknowledge_urgency,
    has_words,
    likely_issue_type,
)
from actions.acknowledge import earlier_tickets as _earlier_tickets  # noqa: F401
from actions.answers import answer_question
from actions.asking import FORM_QUESTIONS, GIVEN_UP, asked, budget_spent, likely_types, missing, record_turn
from actions.clients.orders import OrderLookup, lookup_order
from actions.common import latest_intent, latest_text, settings
from actions.common import previous_value as _previous_value
from actions.turns import UNKNOWN, answers_order_number, confirmation_in, turn_kind
from actions.withdrawal import WITHDRAW_CHECK, answer_to_check, asks_if_withdrawing, withdraw_check
from bot.domain.dialogue import (
    is_bare_no_need,
    is_cancel_registration,
    is_closing,
    is_question,
    issue_type_correction,
    keeps_after_sales,
    question_kind,
    wants_a_person,
    wish_change_allowed,
    withdraws_complaint,
)
from bot.domain.orders import find_order_numbers, is_personal_number, is_valid_order_number, normalise_order_number
from bot.domain.questions import is_hold_on
from bot.domain.taxonomy import (
    EXPECTATIONS,
    ISSUE_TYPES,
    is_complaint_intent,
    issue_type_named_in,
    normalise_expectation,
    normalise_issue_type,
)

MOBILE = re.compile(r"1[3-9]\d{9}")
REQUIRED = FORM_QUESTIONS
FORM_SLOTS = ("issue_type", "order_number", "order_number_status", "expectation", "confirm", "description",
              "failed_attempts", "asked", "missing_fields", "likely_types", "filed_as_is", "intake_ticket",
              "promised_due")
# Answers to a form question that cannot be anything but an answer (so free text is accepted).
_ANSWER_INTENTS = {"inform", "affirm", "deny", "dont_know", "nlu_fallback", "out_of_scope"}
# Replies that rules answer first (the form rejects them when they fill nothing), then the form asks again.
_RULE_INTENTS = {"chitchat", "bot_challenge", "out_of_scope", "greet"}
_QUESTION_INTENTS = {"ask_policy", "ask_progress"}
_CLOSING_INTENTS = {"goodbye", "thank"}
# Ending the intake on the classifier's word alone needs it to be sure: "量了腰围 才72" read as a
# goodbye at 0.33 once filed a half-told complaint. The closing words themselves always count.
CLOSING_CONFIDENCE = 0.8
# "诉求不是仅退款，是催发货" corrects the wish, whatever problem its words sound like.
_ABOUT_THE_WISH = re.compile(r"诉求|要求是|想要的是|处理方式|解决方式|解决办法")
_BARE_COMPLAINT = BARE_COMPLAINT
_has_words = has_words

class ValidateComplaintForm(FormValidationAction):
    def name(self) -> str:
        return "validate_complaint_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        if tracker.latest_action_name != FORM:
            # action_extract_slots runs this for the custom mapping: extraction only, no words; the
            # form's own call validates and speaks, once per turn.
            extracted = await self.get_extraction_events(dispatcher, tracker, domain)
            return [e for e in extracted if e.get("event") == "slot"]
        text = latest_text(tracker)
        intent, confidence = latest_intent(tracker)
        turn = turn_kind(tracker)
        typed = bool(text) and not text.startswith("/")
        handoff = turn == "reply" and wants_a_person(text, intent, confidence)
        if turn == "reply" and intent == "request_human" and not handoff:
            intent = "inform"  # an unsure reading ("好 等下我找找"): the form hears it as an answer
        if turn == "reply" and not handoff and tracker.get_slot("requested_slot") == WITHDRAW_CHECK:
            answered = answer_to_check(tracker, withdraws_complaint(text, intent, confidence))
            if answered is not None:
                return answered  # yes: withdrawn (by the cancellation rule, or at once)
        elif turn == "reply" and typed and not handoff and asks_if_withdrawing(tracker):
            return withdraw_check(tracker)
        events = await super().run(dispatcher, tracker, domain)
        filled = [e for e in events if e.get("event") == "slot" and e.get("name") in REQUIRED
                  and e.get("value") is not None]
        # The classifier's 'cancel' alone never withdraws a message that tells us something
        # ("我只要退款，东西不用了" answers the wish question); the explicit words always do.
        cancel = turn == "reply" and typed and withdraws_complaint(text, intent, confidence) and (
            not filled or is_cancel_registration(text))
        if turn == "reply" and typed and intent == "cancel" and not cancel:
            intent = "inform"  # not a withdrawal: the form hears it as an answer
        if handoff or cancel:
            if not filled and intent == ("request_human" if handoff else "cancel"):
                return []  # rejected: the hand-off or cancellation rule takes it
            follow = "action_handoff" if handoff else "action_cancel_complaint"
            return [*events, SlotSet("requested_slot", None), FollowupAction(follow)]
        if turn == "reply" and not filled and intent in _RULE_INTENTS and not question_kind(text):
            return []  # rejected: a rule answers the chit-chat, then the form asks again
        # Everything the customer says about the problem is the ticket's description.
        description = tracker.get_slot("description") or ""
        if is_complaint_intent(intent) and typed and text not in description:
            events.append(SlotSet("description", f"{description}\n{text}".strip()))
        if turn == "reply" and typed:
            kind = question_kind(text)
            answered_the_form = any(e.get("name") == tracker.get_slot("requested_slot") for e in filled)
            # "能不能直接把钱退给我" answers the wish question; "什么时候给结果" wants the time either way.
            if (kind or intent in _QUESTION_INTENTS) and not (answered_the_form and kind in (None, "other")):
                answer_question(dispatcher, tracker)
            acknowledge_urgency(dispatcher, tracker, text)
            closing = is_closing(text) or (intent in _CLOSING_INTENTS and confidence >= CLOSING_CONFIDENCE)
            if not filled and closing and not is_bare_no_need(text):  # a bare "不用了" is about the question
                return events + self._file_as_it_stands(tracker, events)
        if turn != "activation":
            events += self._spend_budget(dispatcher, tracker, events)
        events.append(SlotSet("asked", asked(tracker)))  # the form heard the reply: never rejected
        events += record_turn(tracker, _slot_values(events))
        return events

    @staticmethod
    def _file_as_it_stands(tracker: Tracker, events: list[EventType]) -> list[EventType]:
        """没了 / 不用了 / 谢谢 mid-form: the record is filed with what it has, the rest named missing."""
        now = {**{s: tracker.get_slot(s) for s in REQUIRED}, **_slot_values(events)}
        gaps = [s for s in GIVEN_UP if not now.get(s)]
        out: list[EventType] = [SlotSet(s, _given_up_value(tracker, s)) for s in gaps]
        out += [SlotSet("missing_fields", sorted(set(missing(tracker)) | set(gaps))), SlotSet("filed_as_is", True),
                SlotSet("confirm", True), SlotSet("requested_slot", None)]
        return out

    @staticmethod
    def _spend_budget(dispatcher: CollectingDispatcher, tracker: Tracker, events: list[EventType]) -> list[EventType]:
        """The question asked last was asked twice and is still unanswered: go on without it."""
        requested = tracker.get_slot("requested_slot")
        now = {**{s: tracker.get_slot(s) for s in REQUIRED}, **_slot_values(events)}
        if not requested or now.get(requested) is not None or not budget_spent(tracker, requested) \
                or is_hold_on(latest_text(tracker)):  # "稍等 我找找": not given up while they look
            return []
        if requested == "confirm":
            return [SlotSet("confirm", True), SlotSet("filed_as_is", True)]
        text = latest_text(tracker)
        if requested == "order_number" and MOBILE.search(text):
            dispatcher.utter_message(response="utter_phone_noted")
        elif requested == "order_number":
            if question_kind(text) != "order_needed":  # else the answer just said so
                dispatcher.utter_message(response="utter_order_number_skipped")
        elif requested == "issue_type":
            dispatcher.utter_message(response="utter_issue_type_skipped")
        else:
            dispatcher.utter_message(response="utter_expectation_skipped")
        out: list[EventType] = [SlotSet(requested, _given_up_value(tracker, requested)),
                                SlotSet("missing_fields", sorted(set(missing(tracker)) | {requested}))]
        if requested == "order_number":
            out.append(SlotSet("order_number_status", UNKNOWN))
        return out

    # -- extraction: free text is always accepted for the slot being asked -------------------
    async def extract_order_number(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                   domain: DomainDict) -> dict[str, Any]:
        text = latest_text(tracker)
        answering = answers_order_number(tracker)
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
        named = issue_type_named_in(text) or issue_type_correction(text)
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
        if value == UNKNOWN and _asks_if_needed(latest_text(tracker)):
            # "需要订单号吗" is answered (not required), not taken as "I have none": the next ask
            # offers to skip it.
            return {"order_number": None}
        if value == UNKNOWN:
            dispatcher.utter_message(response="utter_order_number_skipped")
            return {"order_number": UNKNOWN, "order_number_status": UNKNOWN,
                    "missing_fields": sorted(set(missing(tracker)) | {"order_number"})}
        patterns = settings().order_number_patterns
        asked_now = tracker.get_slot("requested_slot") == "order_number"
        said = find_order_numbers(normalise_order_number(latest_text(tracker)), patterns,
                                  answering=answers_order_number(tracker))
        # An 11-digit number shaped like a mobile counts only with 订单/单号 context in the message;
        # an ID number never, a bank card only when given as the order number (bot.domain.orders).
        if is_personal_number(value, ordered=value in said):
            if asked_now:
                dispatcher.utter_message(response="utter_personal_number_not_kept")
            return {"order_number": None}
        mobile_like = MOBILE.fullmatch(value) and value not in said
        if (is_valid_order_number(value, patterns) or value in said) and not mobile_like:
            status = "given"
            if settings().order_api_url:
                result = lookup_order(settings().order_api_url, value, settings().order_api_timeout_seconds)
                if result == OrderLookup.NOT_FOUND:
                    if not budget_spent(tracker, "order_number"):
                        dispatcher.utter_message(response="utter_order_number_not_found", order_number=value)
                    return {"order_number": None}
                status = "verified" if result == OrderLookup.FOUND else "given"
            previous = _previous_value(tracker, "order_number")
            changed = previous not in (None, value, UNKNOWN)
            if changed and tracker.get_slot("requested_slot") != "order_number":
                dispatcher.utter_message(response="utter_order_number_corrected", order_number=value)
            elif previous in (None, UNKNOWN) and tracker.get_slot("requested_slot") == "confirm":
                # The read-back said "暂未提供" and the customer sent it: say it is on the record now.
                dispatcher.utter_message(response="utter_order_number_added", order_number=value)
            return {"order_number": value, "order_number_status": status, **_found(tracker, "order_number")}
        # Not an order number: the next ask explains where to find it and that it can be skipped.
        return {"order_number": None}

    def validate_issue_type(self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                            domain: DomainDict) -> dict[str, Any]:
        value = normalise_issue_type(str(slot_value or ""))
        said = latest_text(tracker)
        text = re.sub(r"\s", "", said)
        previous = _previous_value(tracker, "issue_type")
        requested = tracker.get_slot("requested_slot")
        asked_now = requested == "issue_type"
        button = said.startswith("/")
        if requested is None and likely_types(tracker) and not button:
            return {"issue_type": None}  # an unsure first reading: the form asks, offering the likely types
        if value == "other_complaint" and (_BARE_COMPLAINT.match(text) or not _has_words(text)) and not button:
            return {"issue_type": previous}  # "我要投诉" again: keep asking what happened
        if value is None:
            return {"issue_type": None}
        changed = previous and value != previous and not asked_now
        if changed and previous == "after_sales_refund" and not button and keeps_after_sales(said):
            return {"issue_type": previous}  # "这是质量问题凭什么不给退": the refusal stays the grievance
        named = None if button else (issue_type_named_in(said) or issue_type_correction(said))
        if changed and value != named:  # a type named in words ("不对，是价格问题") is taken as said
            _intent, confidence = latest_intent(tracker)
            answering = requested in ("expectation", "order_number", "confirm")
            correcting = re.search(r"不是|不对|搞错|其实|应该是|而是", said)
            states_wish = bool(normalise_expectation(said)) and wish_change_allowed(said)
            if confidence < 0.8 or (answering and not correcting) or _ABOUT_THE_WISH.search(said) or states_wish:
                # "赶紧给我发出来" answers the wish question; it is not a new complaint about a wrong item.
                return {"issue_type": previous}  # only an explicit correction changes what the customer said
        if changed:
            dispatcher.utter_message(response="utter_issue_type_changed", issue_type_label=ISSUE_TYPES[value].label)
        return {"issue_type": value, **({"likely_types": None} if likely_types(tracker) else {}),
                **_found(tracker, "issue_type")}

    def validate_expectation(self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                             domain: DomainDict) -> dict[str, Any]:
        said = latest_text(tracker)
        button = said.startswith("/")
        value = normalise_expectation(str(slot_value or ""))
        # The text reading knows refusals ("不退了 换一件吧") and takes the last wish mentioned.
        from_text = None if button else normalise_expectation(said)
        if from_text and from_text != value:
            value = from_text
        previous = _previous_value(tracker, "expectation")
        # A wish on record is changed only by a stated one; a skipped or vague one ("other") is
        # filled by any wish the customer names later ("道歉" at the read-back), unless asked.
        held = previous not in (None, GIVEN_UP["expectation"])
        if previous and value != previous and not button and (
                (not wish_change_allowed(said) if held else is_question(said))
                or (issue_type_correction(said) and not _ABOUT_THE_WISH.search(said))):
            # A question ("新东西就只能维修?") or a corrected problem never changes the wish.
            return {"expectation": previous}
        if value is None:
            return {"expectation": None}  # the next ask offers to skip it
        if previous and previous != value and tracker.get_slot("requested_slot") != "expectation":
            dispatcher.utter_message(response="utter_expectation_changed", expectation_label=EXPECTATIONS[value])
        return {"expectation": value, **_found(tracker, "expectation")}

    def validate_confirm(self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                         domain: DomainDict) -> dict[str, Any]:
        corrected = any(tracker.get_slot(s) != _previous_value(tracker, s)
                        for s in ("order_number", "issue_type", "expectation"))
        if slot_value is True and not corrected:
            if confirmation_in(latest_text(tracker)) is None and not _has_words(latest_text(tracker)):
                return {"confirm": None}  # "嗯？", "🙃", "zxcv": ask again rather than submit
            return {"confirm": True}
        if corrected:
            counts = asked(tracker)
            counts["confirm"] = 0  # the corrected summary is read back in full
            return {"confirm": None, "asked": counts}
        dispatcher.utter_message(response="utter_ask_correction")
        return {"confirm": None}


_HAS_NONE = re.compile(r"没有|没|不知道|找不到|忘了|不记得|查不到")
_NEEDED_ASKED = re.compile(r"吗|[?？]|要不要|需不需要|是不是要|必须")


def _asks_if_needed(text: str) -> bool:
    """"需要订单号吗" / "订单号一定要吗" ask; "没订单号不行吗" says there is none."""
    return "订单号" in text and bool(_NEEDED_ASKED.search(text)) and not _HAS_NONE.search(text)


def _found(tracker: Tracker, field: str) -> dict[str, Any]:
    """A field given after all is no longer missing."""
    gaps = missing(tracker)
    return {"missing_fields": [f for f in gaps if f != field]} if field in gaps else {}


def _slot_values(events: list[EventType]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def _given_up_value(tracker: Tracker, slot: str) -> Any:
    if slot == "issue_type":
        return (likely_types(tracker) or [GIVEN_UP[slot]])[0]  # the best guess, still named missing
    return GIVEN_UP[slot]
