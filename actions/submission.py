"""Reading the complaint back, submitting the ticket (idempotent, through the outbox client) and
cancelling the registration."""
from __future__ import annotations

import hashlib
from datetime import datetime, timezone
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.clients.tickets import ticket_client
from actions.common import customer_ref, customer_texts, settings, template_safe
from actions.intake import FORM, FORM_SLOTS, UNKNOWN, _earlier_tickets, likely_issue_type
from bot.domain.orders import is_personal_number
from bot.domain.privacy import mask_personal_data, shorten
from bot.domain.promises import contact_promise
from bot.domain.taxonomy import EXPECTATIONS, ISSUE_TYPES, normalise_expectation
from bot.domain.triage import max_priority, triage


def _order_promise_text(priority: str) -> str:
    return contact_promise(settings(), priority).due_text


def given_order_number(tracker: Tracker) -> str | None:
    """The order number slot, unless empty, unknown, or an ID / bank card that slipped in through
    the NLU's order-number regex outside the form's validation (a hand-off before any question)."""
    order = tracker.get_slot("order_number")
    if not order or order == UNKNOWN or is_personal_number(str(order)):
        return None
    return order


def summary_values(tracker: Tracker) -> dict[str, str]:
    """What the read-back (utter_confirm_summary) names: the problem with the customer's words in
    brief, and the wish, in the taxonomy's labels."""
    issue = ISSUE_TYPES.get(tracker.get_slot("issue_type") or "") or ISSUE_TYPES["other_complaint"]
    expectation = EXPECTATIONS.get(tracker.get_slot("expectation") or "other", EXPECTATIONS["other"])
    # Masked like everything read back, and never cut inside a number (bot.domain.privacy).
    description = shorten(mask_personal_data((tracker.get_slot("description") or "").replace("\n", " ")), 60)
    return {"issue": template_safe(issue.label + (f"（{description}）" if description else "")),
            "expectation_label": expectation}


class ActionAskConfirm(Action):
    def name(self) -> str:
        return "action_ask_confirm"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        order = given_order_number(tracker)
        if order:
            dispatcher.utter_message(response="utter_confirm_summary", order_number=order, **summary_values(tracker))
        else:
            dispatcher.utter_message(response="utter_confirm_summary_without_order", **summary_values(tracker))
        return []


def idempotency_key(tracker: Tracker, purpose: str = "complaint") -> str:
    """Stable for one filled form: the same submission retried never makes a second ticket."""
    started = max((e.get("timestamp") or 0 for e in tracker.events
                   if e.get("event") == "active_loop" and e.get("name") == FORM), default=0)
    raw = f"{tracker.sender_id}|{purpose}|{started}"
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


def _wish_in(texts: list[str]) -> str | None:
    """The wish in the customer's latest message that states one (a hand-off can come before the
    wish question: "我要求赔偿，转人工")."""
    for text in reversed(texts):
        found = None if text.startswith("/") else normalise_expectation(text)
        if found:
            return found
    return None


def ticket_payload(tracker: Tracker, *, handoff: bool = False) -> dict[str, Any]:
    order = given_order_number(tracker)
    texts = customer_texts(tracker)
    description = tracker.get_slot("description") or "\n".join(texts[-5:])
    risk = triage("\n".join(texts), repeat_contacts=_earlier_tickets(tracker))
    priority = max_priority(risk.priority, tracker.get_slot("priority") or "normal")
    return {
        "idempotency_key": idempotency_key(tracker, "handoff" if handoff else "complaint"),
        "session_id": tracker.sender_id,
        "customer_ref": customer_ref(tracker),
        "channel": "web",
        "order_number": order,
        "order_number_status": (tracker.get_slot("order_number_status") or "given") if order else UNKNOWN,
        "issue_type": tracker.get_slot("issue_type")
        or (likely_issue_type(tracker, beside_other_intents=True) if handoff else None) or "other_complaint",
        "expectation": tracker.get_slot("expectation") or (_wish_in(texts[-5:]) if handoff else None) or "other",
        "description": shorten(description, 4000, ellipsis=""),
        "priority": priority,
        "risk_flags": sorted(set(risk.risk_flags) | set(tracker.get_slot("risk_flags") or [])),
        "off_hours": not contact_promise(settings(), priority).open_now,
        "handoff_requested": handoff,
        "submitted_at": datetime.now(timezone.utc).isoformat(),
    }


def reset_form_slots() -> list[EventType]:
    return [SlotSet(slot, None) for slot in FORM_SLOTS]


class ActionSubmitComplaint(Action):
    def name(self) -> str:
        return "action_submit_complaint"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        payload = ticket_payload(tracker)
        submission = ticket_client().submit(payload)
        promise = submission.ticket.get("first_response_due_text") if submission.ticket else None
        promise = promise or _order_promise_text(payload["priority"])
        ticket_id = submission.ticket.get("id") if submission.ticket else None
        if ticket_id:
            dispatcher.utter_message(response="utter_submitted", ticket_id=ticket_id, due=promise)
        else:
            dispatcher.utter_message(response="utter_submitted_without_number", due=promise)
        return reset_form_slots() + [SlotSet("ticket_id", ticket_id or payload["idempotency_key"])]


class ActionCancelComplaint(Action):
    def name(self) -> str:
        return "action_cancel_complaint"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        dispatcher.utter_message(response="utter_cancelled")
        return [ActiveLoop(None), SlotSet("requested_slot", None)] + reset_form_slots()
