"""A human one message away (转人工), progress questions and satisfaction ratings."""
from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.clients.tickets import ticket_client
from actions.common import latest_intent, latest_text, settings, signed_customer, template_safe
from actions.submission import file_record, reset_form_slots, ticket_payload
from bot.domain.dialogue import wants_a_person
from bot.domain.promises import contact_promise
from bot.domain.rating import rating_from
from bot.domain.taxonomy import ACTIVE_STATUSES, ISSUE_TYPES, STATUSES, TICKET_ID_IN_TEXT

log = logging.getLogger(__name__)


class ActionHandoff(Action):
    """Hands the conversation to people with everything collected so far; nothing is asked again."""

    def name(self) -> str:
        return "action_handoff"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        intent, confidence = latest_intent(tracker)
        if intent == "request_human" and not wants_a_person(latest_text(tracker), intent, confidence):
            # An unsure reading ("你们客服呢", "好 等下我找找"): ask, one tap away, instead of handing over.
            dispatcher.utter_message(response="utter_ask_handoff")
            return []
        existing = tracker.get_slot("ticket_id") or ""
        if existing.startswith("TK-") and tracker.active_loop_name is None:
            # The complaint is already with the agents: point to it instead of opening a second one.
            promise = contact_promise(settings(), tracker.get_slot("priority") or "normal")
            if promise.open_now:
                dispatcher.utter_message(response="utter_handoff_ticket_exists", ticket_id=existing)
            else:
                dispatcher.utter_message(response="utter_handoff_ticket_exists_off_hours", ticket_id=existing,
                                         next_opening=promise.next_opening_text)
            return []
        payload = ticket_payload(tracker, handoff=True)
        ticket = file_record(tracker, payload) or {}
        promise = contact_promise(settings(), payload["priority"])
        due = ticket.get("first_response_due_text") or promise.due_text
        ticket_id = ticket.get("id")
        if promise.open_now and ticket_id:
            dispatcher.utter_message(response="utter_handoff", ticket_id=ticket_id, due=due)
        elif promise.open_now:
            dispatcher.utter_message(response="utter_handoff_without_number", due=due)
        elif ticket_id:
            dispatcher.utter_message(response="utter_handoff_off_hours", hours=promise.hours_text,
                                     next_opening=promise.next_opening_text, ticket_id=ticket_id, due=due)
        else:
            dispatcher.utter_message(response="utter_handoff_off_hours_without_number", hours=promise.hours_text,
                                     next_opening=promise.next_opening_text, due=due)
        return [ActiveLoop(None), SlotSet("requested_slot", None)] + reset_form_slots() + [
            SlotSet("ticket_id", ticket.get("id") or payload["idempotency_key"]),
            SlotSet("handed_off", ticket.get("id") or payload["idempotency_key"]),
            SlotSet("promised_due", due)]


def after_handoff(dispatcher: CollectingDispatcher, tracker: Tracker) -> bool:
    """After a hand-off the form does not start again: while that ticket is open, a new message gets
    one consistent answer (who replies, by when); the bot service adds the words to the ticket.
    True when that was said."""
    handed = tracker.get_slot("handed_off") or ""
    if not handed.startswith("TK-"):
        return False
    customer = signed_customer(tracker)
    tickets = ticket_client().progress(customer.session_id, customer.customer_ref, handed) if customer else None
    if tickets is not None and not any(t.get("id") == handed and t.get("status") in ACTIVE_STATUSES
                                       for t in tickets):
        return False  # resolved since: a new complaint starts a new record
    due = tracker.get_slot("promised_due") or contact_promise(settings(), "normal").due_text
    dispatcher.utter_message(response="utter_after_handoff", ticket_id=handed, due=due)
    return True


def _describe(ticket: dict[str, Any]) -> str:
    """One line per ticket from the customer view the bot service sends (its own wording)."""
    issue = ticket.get("issue_type_label") or ISSUE_TYPES.get(ticket.get("issue_type") or "",
                                                              ISSUE_TYPES["other_complaint"]).label
    status = ticket.get("status_label") or STATUSES.get(ticket.get("status") or "new", STATUSES["open"])
    summary = ticket.get("summary") or ""
    return f"· {ticket.get('id')}（{issue}，{status}）{summary}"


class ActionCheckProgress(Action):
    def name(self) -> str:
        return "action_check_progress"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        match = TICKET_ID_IN_TEXT.search(latest_text(tracker))
        ticket_id = match.group(0).upper() if match else None
        customer = signed_customer(tracker)
        if customer is None:
            # Not a message the bot service vouched for: answer as if the lookup failed, read nothing.
            log.warning("progress question from %r without the bot service's signature", tracker.sender_id)
            tickets = None
        else:
            tickets = ticket_client().progress(customer.session_id, customer.customer_ref, ticket_id)
        if tickets is None:
            dispatcher.utter_message(response="utter_progress_unavailable")
        elif not tickets:
            if ticket_id:
                dispatcher.utter_message(response="utter_progress_ticket_not_found", ticket_id=ticket_id)
            else:
                dispatcher.utter_message(response="utter_progress_none")
        else:
            lines = "\n".join(_describe(t) for t in tickets[:5])
            dispatcher.utter_message(response="utter_progress_found", tickets=template_safe(lines))
        return []


def _comment(text: str) -> str | None:
    return None if not text or text.startswith("/") else text[:500]


class ActionRecordRating(Action):
    def name(self) -> str:
        return "action_record_rating"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        entity = next((e.get("value") for e in (tracker.latest_message or {}).get("entities", [])
                       if e.get("entity") == "rating"), None)
        score = rating_from(latest_text(tracker), entity)
        ticket_id = tracker.get_slot("ticket_id")
        if score is None:
            dispatcher.utter_message(response="utter_ask_rating")
            return []
        customer = signed_customer(tracker)
        if customer is None:
            log.warning("rating from %r without the bot service's signature: not recorded", tracker.sender_id)
        elif ticket_id and ticket_id.startswith("TK-"):
            # The bot service stores it only when the ticket belongs to this session.
            ticket_client().post_json(f"/api/tickets/{ticket_id}/csat",
                                      {"session_id": customer.session_id, "score": score,
                                       "comment": _comment(latest_text(tracker))})
        if score >= 4:
            dispatcher.utter_message(response="utter_rating_thanks")
        else:
            dispatcher.utter_message(response="utter_rating_sorry")
        return []
