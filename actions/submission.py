"""Reading the complaint back, submitting the ticket (idempotent, through the outbox client) and
cancelling the registration (the record is kept and closed as `withdrawn` by the bot service)."""
from __future__ import annotations

import hashlib
from datetime import datetime, timezone
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.asking import asked, update_record
from actions.clients.tickets import ticket_client
from actions.common import customer_ref, customer_texts, settings, template_safe
from actions.intake import FORM, FORM_SLOTS, UNKNOWN, _earlier_tickets, likely_issue_type
from actions.withdrawal import answers_withdraw_check
from bot.domain.intake import WITHDRAWN
from bot.domain.orders import is_personal_number
from bot.domain.privacy import mask_personal_data, shorten
from bot.domain.promises import contact_promise
from bot.domain.taxonomy import ACTIVE_STATUSES, EXPECTATIONS, ISSUE_TYPES, normalise_expectation
from bot.domain.triage import max_priority, triage


def _order_promise_text(priority: str) -> str:
    return contact_promise(settings(), priority).due_text


def given_order_number(tracker: Tracker) -> str | None:
    """The order number slot, unless empty, unknown, or an ID / bank card that slipped in through
    the NLU's order-number regex outside the form's validation (a hand-off before any question).
    A card-shaped number the form accepted as the order number (it has a status) stays: the
    read-back must name what the ticket files."""
    order = tracker.get_slot("order_number")
    accepted = tracker.get_slot("order_number_status") in ("given", "verified")
    if not order or order == UNKNOWN or is_personal_number(str(order), ordered=accepted):
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
        counts = asked(tracker)
        before = counts.get("confirm", 0)
        counts["confirm"] = before + 1
        if before:  # never the same question twice in a row: the second time, short and skippable
            dispatcher.utter_message(response="utter_confirm_summary_again")
            return [SlotSet("asked", counts)]
        order = given_order_number(tracker)
        if order:
            dispatcher.utter_message(response="utter_confirm_summary", order_number=order, **summary_values(tracker))
        else:
            dispatcher.utter_message(response="utter_confirm_summary_without_order", **summary_values(tracker))
        return [SlotSet("asked", counts)]


def idempotency_key(tracker: Tracker, purpose: str = "complaint") -> str:
    """Stable for one filled form: the same submission retried never makes a second ticket."""
    started = max((e.get("timestamp") or 0 for e in tracker.events
                   if e.get("event") == "active_loop" and e.get("name") == FORM), default=0)
    raw = f"{tracker.sender_id}|{purpose}|{started}"
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


def complaint_key(tracker: Tracker, handoff: bool = False) -> str:
    """A complaint is filed under its record's key (actions.asking.record_key: the message that
    began it), so the record, its retries and the filing are one ticket; a hand-off with no
    complaint behind it has a key of its own."""
    from actions.asking import record_key

    if tracker.active_loop_name == FORM or tracker.get_slot("intake_ticket") or tracker.get_slot("description"):
        return record_key(tracker)
    return idempotency_key(tracker, "handoff" if handoff else "complaint")


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
        "idempotency_key": complaint_key(tracker, handoff),
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
        **intake_state(tracker, handoff=handoff),
    }


def missing_now(tracker: Tracker) -> list[str]:
    """The fields the record lacks: given up on, skipped, or never asked (a hand-off mid-form)."""
    gaps = set(tracker.get_slot("missing_fields") or [])
    if not given_order_number(tracker):
        gaps.add("order_number")
    if not tracker.get_slot("expectation") or tracker.get_slot("expectation") == "other":
        gaps.add("expectation")
    if not tracker.get_slot("issue_type"):
        gaps.add("issue_type")
    return [f for f in ("order_number", "expectation", "issue_type") if f in gaps]


def intake_state(tracker: Tracker, *, handoff: bool = False) -> dict[str, Any]:
    """`complete` when the customer confirmed a full record, else `incomplete` with what is missing."""
    gaps = missing_now(tracker)
    confirmed = tracker.get_slot("confirm") is True and not tracker.get_slot("filed_as_is") and not handoff
    if confirmed and not gaps:
        return {"intake": "complete", "missing_fields": []}
    return {"intake": "incomplete", "missing_fields": gaps}


def record_change(payload: dict[str, Any]) -> dict[str, Any]:
    """What PATCH /api/tickets/{id}/intake takes from a full ticket payload."""
    keys = ("issue_type", "order_number", "order_number_status", "expectation", "priority", "risk_flags",
            "intake", "missing_fields", "handoff_requested")
    change = {k: payload[k] for k in keys if payload.get(k) is not None}
    if not payload.get("order_number"):
        change.pop("order_number_status", None)
    return change


def file_record(tracker: Tracker, payload: dict[str, Any]) -> dict[str, Any] | None:
    """Files the complaint: the open record is completed (PATCH …/intake). Without one known here
    (never opened, or opened but its answer lost), the whole ticket is posted under the record's
    own key (idempotent, outbox): if the record exists after all, that returns it, and it is
    completed — one complaint, one ticket."""
    if tracker.get_slot("intake_ticket"):
        ticket = update_record(tracker, record_change(payload))
        if ticket:
            return ticket
    client = ticket_client()
    ticket = client.submit(payload).ticket
    if ticket and ticket.get("id") and ticket.get("intake") == "collecting" and payload.get("intake") != "collecting":
        return client.patch_intake(ticket["id"], record_change(payload)) or ticket
    return ticket


def reset_form_slots() -> list[EventType]:
    return [SlotSet(slot, None) for slot in FORM_SLOTS]


class ActionSubmitComplaint(Action):
    def name(self) -> str:
        return "action_submit_complaint"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        payload = ticket_payload(tracker)
        ticket = file_record(tracker, payload)
        promise = (ticket or {}).get("first_response_due_text") or tracker.get_slot("promised_due")
        promise = promise or _order_promise_text(payload["priority"])
        ticket_id = (ticket or {}).get("id")
        if ticket_id:
            dispatcher.utter_message(response="utter_submitted", ticket_id=ticket_id, due=promise)
        else:
            dispatcher.utter_message(response="utter_submitted_without_number", due=promise)
        return reset_form_slots() + [SlotSet("ticket_id", ticket_id or payload["idempotency_key"])]


class ActionCancelComplaint(Action):
    def name(self) -> str:
        return "action_cancel_complaint"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        from actions.common import latest_intent, latest_text
        from bot.domain.dialogue import withdraws_complaint

        intent, confidence = latest_intent(tracker)
        withdraws = withdraws_complaint(latest_text(tracker), intent, confidence) or answers_withdraw_check(tracker)
        if tracker.active_loop_name == FORM and not withdraws:
            # Only an explicit "不投诉了" (or a sure 'cancel' stating no wish, or a yes to "是这次的问题
            # 不用登记了吗？") withdraws the complaint; anything else goes back to the form.
            return [FollowupAction(FORM)]
        # The record stays (nothing said is lost): the bot service closes it as withdrawn while it
        # is still being collected, quietly; one a person already has stays with them.
        ticket = update_record(tracker, {"intake": WITHDRAWN, "missing_fields": missing_now(tracker)})
        kept = ticket is not None and ticket.get("intake") != WITHDRAWN and ticket.get("status") in ACTIVE_STATUSES
        dispatcher.utter_message(response="utter_cancel_passed_on" if kept else "utter_cancelled")
        return [ActiveLoop(None), SlotSet("requested_slot", None)] + reset_form_slots()
