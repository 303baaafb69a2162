"""A human one message away (转人工), progress questions and satisfaction ratings."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.clients.tickets import ticket_client
from actions.common import customer_ref, latest_text, settings
from actions.submission import reset_form_slots, ticket_payload
from bot.domain.promises import contact_promise
from bot.domain.rating import rating_from
from bot.domain.taxonomy import ISSUE_TYPES, STATUSES, TICKET_ID_IN_TEXT


class ActionHandoff(Action):
    """Hands the conversation to people with everything collected so far; nothing is asked again."""

    def name(self) -> str:
        return "action_handoff"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        existing = tracker.get_slot("ticket_id") or ""
        if existing.startswith("TK-") and tracker.active_loop_name is None:
            # The complaint is already with the agents: point to it instead of opening a second one.
            promise = contact_promise(settings(), tracker.get_slot("priority") or "normal")
            dispatcher.utter_message(text=(
                f"您的工单 {existing} 已经在客服那里了，您说过的内容客服都能看到。"
                + ("客服会尽快接入和您直接沟通，请稍等。" if promise.open_now else
                   f"现在是非工作时间，客服{promise.next_opening_text}上班后会第一时间联系您。")))
            return []
        payload = ticket_payload(tracker, handoff=True)
        submission = ticket_client().submit(payload)
        ticket = submission.ticket or {}
        promise = contact_promise(settings(), payload["priority"])
        due = ticket.get("first_response_due_text") or promise.due_text
        number = f"（工单号 {ticket['id']}）" if ticket.get("id") else ""
        if promise.open_now:
            dispatcher.utter_message(text=(
                f"好的，马上为您转人工客服{number}。您前面说的内容客服都能看到，不用再重复；"
                f"客服会在{due}回复您，请稍等一下。"))
        else:
            dispatcher.utter_message(text=(
                f"现在是非工作时间（人工客服在线：{promise.hours_text}），客服{promise.next_opening_text}上班。"
                f"我已经把您的情况转给客服{number}，最晚{due}会联系您，您说过的内容不用再重复。"))
        return [ActiveLoop(None), SlotSet("requested_slot", None)] + reset_form_slots() + [
            SlotSet("ticket_id", ticket.get("id") or payload["idempotency_key"])]


def _describe(ticket: dict[str, Any]) -> str:
    """One line per ticket from the customer view the bot service sends (its own wording)."""
    issue = ticket.get("issue_type_label") or ISSUE_TYPES.get(ticket.get("issue_type") or "",
                                                              ISSUE_TYPES["other_complaint"]).label
    status = ticket.get("status_label") or STATUSES.get(ticket.get("status") or "new", "处理中")
    summary = ticket.get("summary") or ""
    return f"· {ticket.get('id')}（{issue}，{status}）{summary}"


class ActionCheckProgress(Action):
    def name(self) -> str:
        return "action_check_progress"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        match = TICKET_ID_IN_TEXT.search(latest_text(tracker))
        ticket_id = match.group(0).upper() if match else None
        tickets = ticket_client().progress(tracker.sender_id, customer_ref(tracker), ticket_id)
        if tickets is None:
            dispatcher.utter_message(text="抱歉，进度暂时没查到，系统有点忙，请稍后再问我，或者回复「转人工」。")
        elif not tickets:
            if ticket_id:
                dispatcher.utter_message(text=f"没有在您的记录里找到 {ticket_id}。为保护隐私，我只能查询您本人的工单。")
            else:
                dispatcher.utter_message(text="暂时没有查到您的投诉记录。如果遇到了问题，直接告诉我，我马上帮您登记。")
        else:
            lines = "\n".join(_describe(t) for t in tickets[:5])
            dispatcher.utter_message(text=f"帮您查到了：\n{lines}")
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
        if ticket_id and ticket_id.startswith("TK-"):
            ticket_client().post_json(f"/api/tickets/{ticket_id}/csat",
                                      {"session_id": tracker.sender_id, "score": score,
                                       "comment": _comment(latest_text(tracker))})
        dispatcher.utter_message(text="谢谢您的评价！我们会继续改进。" if score >= 4
                                 else "抱歉这次没让您满意，您的意见我们会认真看，主管也会回访。")
        return []
