"""The form's questions and their budget (issue 11 item 2): each missing field is asked at most
MAX_ASKS times per complaint, counting every reply that does not fill it; the second ask says
plainly that the field can be skipped (a guest without an order number is asked for a phone number
instead); the same question template never comes twice in a row. When the budget is spent the
record goes on without the field, and the field is named as missing on the ticket.

A bare "不用了" to a question asked once gets one question back first (actions/withdrawal.py,
counted in `asked` too).

Also here: the complaint's record from its first message (`open_record`, `update_record`), which
the bot service keeps as a ticket `intake: collecting` until the form files it.
"""
from __future__ import annotations

import hashlib
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.clients.tickets import ticket_client
from actions.common import customer_ref, latest_text, settings
from bot.domain.dialogue import MAX_ASKS
from bot.domain.questions import is_hold_on
from bot.domain.taxonomy import ISSUE_TYPES, issue_type_for_intent

# What a field holds when its budget is spent, and how the ticket names it missing.
GIVEN_UP = {"issue_type": "other_complaint", "order_number": "unknown", "expectation": "other"}
OTHER_BUTTON = "/complain_other"
LIKELY_BUTTONS = 3
FORM_QUESTIONS = ("issue_type", "order_number", "expectation", "confirm")  # the form's order


def asked(tracker: Tracker) -> dict[str, int]:
    return dict(tracker.get_slot("asked") or {})


def missing(tracker: Tracker) -> list[str]:
    return list(tracker.get_slot("missing_fields") or [])


def budget_spent(tracker: Tracker, slot: str) -> bool:
    return asked(tracker).get(slot, 0) >= MAX_ASKS


def _count(tracker: Tracker, slot: str) -> tuple[int, list[EventType]]:
    counts = asked(tracker)
    before = counts.get(slot, 0)
    counts[slot] = before + 1
    return before, [SlotSet("asked", counts)]


def likely_types(tracker: Tracker) -> list[str]:
    """The two or three likeliest issue types of the first unsure reading (slot `likely_types`)."""
    return [t for t in (tracker.get_slot("likely_types") or []) if t in ISSUE_TYPES][:LIKELY_BUTTONS]


def ranked_issue_types(ranking: list[dict[str, Any]]) -> list[str]:
    found: list[str] = []
    for item in ranking:
        issue = issue_type_for_intent(item.get("name"))
        if issue and issue != "other_complaint" and issue not in found:
            found.append(issue)
    return found[:LIKELY_BUTTONS]


# The types the first question offers when there is no likely reading (domain.yml utter_ask_issue_type).
COMMON_TYPES = ("product_quality", "not_as_described", "wrong_or_missing_item", "logistics_delay",
                "package_damaged_or_lost", "after_sales_refund")


def type_buttons(types: list[str]) -> list[dict[str, str]]:
    """One button per likely type (the taxonomy's label) plus 其他."""
    buttons = [{"title": ISSUE_TYPES[t].label, "payload": f"/complain_{t}"} for t in types]
    return buttons + [{"title": ISSUE_TYPES["other_complaint"].label, "payload": OTHER_BUTTON}]


def paused(dispatcher: CollectingDispatcher, tracker: Tracker, slot: str) -> bool:
    """The customer asked for a moment after this question ("稍等 我找找"): no new ask and no budget
    spent, just "take your time". True when that was said."""
    if not asked(tracker).get(slot) or not is_hold_on(latest_text(tracker)):
        return False
    dispatcher.utter_message(response="utter_take_your_time")
    return True


class ActionAskIssueType(Action):
    def name(self) -> str:
        return "action_ask_issue_type"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        if paused(dispatcher, tracker, "issue_type"):
            return []
        before, events = _count(tracker, "issue_type")
        likely = likely_types(tracker)
        if before == 0 and likely:
            dispatcher.utter_message(response="utter_ask_issue_type_likely", buttons=type_buttons(likely))
        elif before == 0:
            dispatcher.utter_message(response="utter_ask_issue_type")
        elif tracker.get_slot("description"):  # they told what happened: ask for the kind, not the story
            dispatcher.utter_message(response="utter_ask_issue_type_again_described",
                                     buttons=type_buttons(likely or list(COMMON_TYPES)))
        else:
            dispatcher.utter_message(response="utter_ask_issue_type_again")
        return events


class ActionAskOrderNumber(Action):
    def name(self) -> str:
        return "action_ask_order_number"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        if paused(dispatcher, tracker, "order_number"):
            return []
        before, events = _count(tracker, "order_number")
        if before == 0:
            dispatcher.utter_message(response="utter_ask_order_number")
        elif customer_ref(tracker) is None:
            # A guest: a phone number lets someone reach them and find the order.
            dispatcher.utter_message(response="utter_ask_phone_instead")
        else:
            dispatcher.utter_message(response="utter_ask_order_number_again")
        return events


class ActionAskExpectation(Action):
    def name(self) -> str:
        return "action_ask_expectation"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        if paused(dispatcher, tracker, "expectation"):
            return []
        before, events = _count(tracker, "expectation")
        dispatcher.utter_message(response="utter_ask_expectation" if before == 0 else "utter_ask_expectation_again")
        return events


# -- the record ---------------------------------------------------------------------------------------

# The actions that end a complaint: what comes after them is a new one.
FILINGS = ("action_submit_complaint", "action_cancel_complaint", "action_handoff")


def record_key(tracker: Tracker, *, starting: bool = False) -> str:
    """Stable for one complaint, whichever turn asks: the session, how many complaints it filed
    before, and the words of the customer message that began this one (the one
    `action_acknowledge_complaint` answered). Opening the record, retrying it and filing the
    complaint all use it — and so does the same message sent again after a process died mid-reply
    (stored twice, answered twice): one complaint, one ticket. `starting`: asked by the
    acknowledgement itself, whose message is the latest."""
    events = tracker.events
    acknowledged = len(events) if starting else next(
        (i for i in range(len(events) - 1, -1, -1) if events[i].get("event") == "action"
         and events[i].get("name") == "action_acknowledge_complaint"), len(events))
    began = next((i for i in range(acknowledged - 1, -1, -1) if events[i].get("event") == "user"), None)
    text = (events[began].get("text") or "").strip() if began is not None else ""
    filed = sum(1 for e in events[:began or 0] if e.get("event") == "action" and e.get("name") in FILINGS)
    return hashlib.sha256(f"{tracker.sender_id}|intake|{filed}|{text}".encode()).hexdigest()[:32]


def open_record(tracker: Tracker, fields: dict[str, Any], *, starting: bool = False) -> dict[str, Any] | None:
    """Posts the complaint as a ticket `intake: collecting` (idempotent; kept in the outbox when the
    bot service is down). Returns the ticket, or None when it was queued."""
    payload = {"idempotency_key": record_key(tracker, starting=starting), "session_id": tracker.sender_id,
               "customer_ref": customer_ref(tracker), "channel": "web", "intake": "collecting", **fields}
    payload["issue_type"] = payload.get("issue_type") or "other_complaint"
    return ticket_client().submit(payload).ticket


def update_record(tracker: Tracker, change: dict[str, Any]) -> dict[str, Any] | None:
    ticket_id = tracker.get_slot("intake_ticket")
    if not ticket_id or not change:
        return None
    return ticket_client().patch_intake(ticket_id, change)


def record_turn(tracker: Tracker, values: dict[str, Any]) -> list[EventType]:
    """What this turn of the form learnt reaches the record at once (the desk sees it while 登记中).
    A complaint that began without a stated problem ("我要投诉", a pasted order card) has no record
    yet: it is opened as soon as the form learns what went wrong, so a customer who then leaves
    mid-way still has a ticket (filed when the chat goes quiet)."""
    change = {k: values[k] for k in ("issue_type", "expectation") if values.get(k) and values[k] != "other"}
    order = values.get("order_number")
    if order and order != GIVEN_UP["order_number"]:
        change["order_number"] = order
        change["order_number_status"] = values.get("order_number_status") or "given"
    if tracker.get_slot("intake_ticket"):
        if change:
            update_record(tracker, change)
        return []
    issue_type = values.get("issue_type") or tracker.get_slot("issue_type")
    if not issue_type:
        return []
    known = {"order_number": change.get("order_number") or _real_order(tracker.get_slot("order_number")),
             "expectation": change.get("expectation") or tracker.get_slot("expectation")}
    fields = {**change, **known, "issue_type": issue_type,
              "description": values.get("description") or tracker.get_slot("description"),
              "priority": tracker.get_slot("priority"), "risk_flags": tracker.get_slot("risk_flags"),
              "missing_fields": sorted(k for k, v in known.items() if not v)}
    ticket = open_record(tracker, {k: v for k, v in fields.items() if v not in (None, "", [])})
    if not ticket or not ticket.get("id"):
        return []
    return [SlotSet("intake_ticket", ticket["id"]), SlotSet("promised_due", ticket.get("first_response_due_text"))]


def _real_order(value: Any) -> str | None:
    return value if value and value != GIVEN_UP["order_number"] else None


def promised_due(tracker: Tracker) -> str:
    """When a person answers: the open record's promise, else what this priority promises now."""
    from bot.domain.promises import contact_promise

    return tracker.get_slot("promised_due") or contact_promise(settings(), tracker.get_slot("priority")
                                                               or "normal").due_text
