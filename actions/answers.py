"""Answer before asking (issue 11 item 3): a question gets an answer first — the shop's FAQ, the
promised contact time with the ticket number, the record's state — and then at most one form
question. "没理解" is said at most once a session; the second time the words are acknowledged,
recorded on the ticket and a person is offered.
"""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.asking import promised_due
from actions.clients.tickets import ticket_client
from actions.common import customer_ref, latest_intent, latest_text, settings, template_safe
from bot.domain.dialogue import MAX_NOT_UNDERSTOOD, question_kind, restated
from bot.domain.faq import match_faq
from bot.domain.questions import question_reply

NOT_UNDERSTOOD = ("utter_default",)


def faq_answer(text: str) -> str | None:
    try:
        found = match_faq(text, settings().faq())
    except Exception:  # noqa: BLE001 - a broken FAQ file must not break the chat
        return None
    return found[0].answer if found else None


def current_ticket(tracker: Tracker) -> str | None:
    """The complaint being recorded, else the last one filed in this conversation."""
    for name in ("intake_ticket", "ticket_id"):
        value = tracker.get_slot(name) or ""
        if value.startswith("TK-"):
            return value
    return None


def answer_question(dispatcher: CollectingDispatcher, tracker: Tracker) -> bool:
    """Answers the latest message when it asks something; True when it did."""
    text = latest_text(tracker)
    intent, _confidence = latest_intent(tracker)
    if text.startswith("/"):
        return False
    answer = faq_answer(text)
    if answer:
        dispatcher.utter_message(response="utter_faq_answer", answer=template_safe(answer))
        return True
    kind = question_kind(text) or {"ask_progress": "progress", "ask_policy": "other"}.get(intent or "")
    if kind is None:
        return False
    ticket_id, due = current_ticket(tracker), promised_due(tracker)
    if kind == "order_needed":
        dispatcher.utter_message(response="utter_answer_order_not_needed")
    elif kind == "progress" and ticket_id and tracker.get_slot("intake_ticket"):
        dispatcher.utter_message(response="utter_answer_progress_collecting", ticket_id=ticket_id, due=due)
    elif ticket_id:
        reply, subject = question_reply(text)
        if reply == "nudge":
            dispatcher.utter_message(response="utter_answer_nudge")
        elif reply == "timing":
            dispatcher.utter_message(response="utter_answer_timing", subject=subject, ticket_id=ticket_id, due=due)
        elif reply == "contact":
            dispatcher.utter_message(response="utter_answer_contact", ticket_id=ticket_id, due=due)
        elif reply == "request":
            dispatcher.utter_message(response="utter_answer_request", ticket_id=ticket_id, due=due)
        elif reply == "grievance":
            dispatcher.utter_message(response="utter_answer_grievance", ticket_id=ticket_id, due=due)
        else:
            dispatcher.utter_message(response="utter_answer_when", ticket_id=ticket_id, due=due)
    else:
        dispatcher.utter_message(response="utter_answer_human_needed", due=due)
    return True


class ActionAnswerQuestion(Action):
    """A policy question or a question back, outside the form: the FAQ, or the time a person answers."""

    def name(self) -> str:
        return "action_answer_question"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        if not answer_question(dispatcher, tracker):
            dispatcher.utter_message(response="utter_answer_human_needed", due=promised_due(tracker))
        return []


def not_understood_before(tracker: Tracker) -> int:
    """How often this session already said "没理解"."""
    return sum(1 for e in tracker.events if e.get("event") == "bot"
               and (e.get("metadata") or {}).get("utter_action") in NOT_UNDERSTOOD)


def not_understood(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType]:
    """The first time: please say it differently. Later: the words are acknowledged and recorded
    (on the open ticket, or a new one filed as it stands) and a person is offered."""
    text = latest_text(tracker)
    if not_understood_before(tracker) < MAX_NOT_UNDERSTOOD:
        dispatcher.utter_message(response="utter_default")
        return []
    events: list[EventType] = []
    if not current_ticket(tracker) and text and not text.startswith("/"):
        ticket = _record_unclear(tracker, text)
        if ticket and ticket.get("id"):
            events.append(SlotSet("ticket_id", ticket["id"]))
    dispatcher.utter_message(response="utter_noted_offer_human", words=template_safe(restated(text)))
    return events


def _record_unclear(tracker: Tracker, text: str) -> dict[str, Any] | None:
    from actions.acknowledge import unplaced_words
    from actions.asking import record_key

    payload = {"idempotency_key": record_key(tracker), "session_id": tracker.sender_id,
               "customer_ref": customer_ref(tracker), "channel": "web", "issue_type": "other_complaint",
               "description": "\n".join([*unplaced_words(tracker), text]), "intake": "incomplete",
               "missing_fields": ["issue_type", "order_number", "expectation"], "risk_flags": ["needs_triage"]}
    return ticket_client().submit(payload).ticket
