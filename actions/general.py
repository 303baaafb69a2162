"""Actions outside the intake: the greeting and the fallback for unsure readings."""
from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.acknowledge import complaint_said_before, own_mistake
from actions.answers import answer_question, not_understood
from actions.common import latest_text, settings
from actions.handoff import after_handoff
from actions.intake import likely_issue_type
from bot.domain.dialogue import is_handoff_request, is_own_mistake, is_positive_feedback
from bot.domain.orders import find_order_numbers


class ActionFallback(Action):
    """When the NLU is unsure outside the intake: a message that carries an order number or most
    likely describes a problem starts the complaint (nothing the customer said is asked again);
    praise alone is thanked and starts nothing, whatever complaint the classifier half-saw in it
    ("东西到了 很好用"); anything else gets a polite "please say it differently"."""

    def name(self) -> str:
        return "action_fallback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        text = latest_text(tracker)
        issue_type = likely_issue_type(tracker)
        has_order = bool(find_order_numbers(text, settings().order_number_patterns))
        if is_handoff_request(text):
            return [FollowupAction("action_handoff")]
        if after_handoff(dispatcher, tracker):
            return []
        if not text.startswith("/") and is_positive_feedback(text):
            dispatcher.utter_message(response="utter_thanks_for_feedback")
            return []
        if not text.startswith("/") and is_own_mistake(text) and not complaint_said_before(tracker):
            return own_mistake(dispatcher, tracker, text)
        if not text.startswith("/") and (issue_type or has_order):
            return [SlotSet("issue_type", issue_type), FollowupAction("action_acknowledge_complaint")]
        if answer_question(dispatcher, tracker):
            return []
        return not_understood(dispatcher, tracker)


class ActionGreet(Action):
    def name(self) -> str:
        return "action_greet"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        dispatcher.utter_message(response="utter_greet", shop_name=settings().shop_name)
        return []


_THANKS_ONLY = ("谢谢", "谢谢你", "谢谢您", "谢谢你们", "谢了", "多谢", "感谢", "谢谢亲", "好的谢谢", "好的 谢谢",
                "thanks")


class ActionYoureWelcome(Action):
    """Thanks outside the intake: "不客气" to a thank-you, "谢谢您的反馈" to praise ("东西收到了 很好用"
    is no thank-you to answer "不客气" to)."""

    def name(self) -> str:
        return "action_youre_welcome"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        text = latest_text(tracker).strip()
        bare = text.rstrip("!！~～。.😊🙏").strip().lower() in _THANKS_ONLY
        praise = not text.startswith("/") and not bare and is_positive_feedback(text)
        dispatcher.utter_message(response="utter_thanks_for_feedback" if praise else "utter_youre_welcome")
        return []

