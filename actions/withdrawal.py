"""A bare "不用了" mid-intake: asked once what it means before anything is withdrawn.

"不用了" / "算了" / "不要了" / "不需要了" alone (bot.domain.dialogue.is_bare_no_need) often answers the
question just asked ("I don't need that", "never mind") rather than withdrawing the complaint. So,
to a question asked once, the form asks back once per complaint (utter_ask_withdraw_check, with
「不用登记了」 and 「继续登记」; `requested_slot` is `WITHDRAW_CHECK` meanwhile, counted in `asked`):

- 「不用登记了」 (/cancel), the bare word again, a plain yes ("是的") or the explicit words withdraw
  (action_cancel_complaint: the record is kept and closed as withdrawn);
- 「继续登记」 (/deny) or anything else is the reply to the question still pending, which the form
  asks next in its second, skippable form (the same words never twice in a row).

To a question already asked twice (its ask said it can be skipped, "不方便的话回复「不用」就行") the
bare word skips that question; after the check was asked once, it is a reply that fills nothing.
Explicit words ("不投诉了", "不用登记了") withdraw at once, as always.
"""
from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet

from actions.asking import FORM_QUESTIONS, asked, budget_spent
from actions.common import latest_intent, latest_text, previous_value
from bot.domain.dialogue import confirms_withdrawal, is_bare_no_need, is_button

# `requested_slot` while the form asks whether a bare "不用了" means the registration is not needed
# (no such slot exists: the form's next question is the one still pending).
WITHDRAW_CHECK = "withdraw_check"


def pending_question(tracker: Tracker) -> str | None:
    """The form question still unanswered (the one the form asks next): the first empty slot."""
    return next((name for name in FORM_QUESTIONS if tracker.get_slot(name) is None), None)


def asks_if_withdrawing(tracker: Tracker) -> bool:
    """A bare "不用了" / "算了" to a question asked once, and the check not asked yet for this complaint."""
    requested = tracker.get_slot("requested_slot")
    return (is_bare_no_need(latest_text(tracker)) and requested in FORM_QUESTIONS
            and not budget_spent(tracker, requested) and not asked(tracker).get(WITHDRAW_CHECK))


def withdraw_check(tracker: Tracker) -> list[EventType]:
    """The form's events that ask the check (the form utters utter_ask_withdraw_check for it).
    Whatever the words were mapped to this turn (a 'deny' read as "the summary is wrong") is undone:
    they answered nothing."""
    counts = asked(tracker)
    counts[WITHDRAW_CHECK] = 1
    undone = [SlotSet(name, previous_value(tracker, name)) for name in FORM_QUESTIONS
              if tracker.get_slot(name) != previous_value(tracker, name)]
    return [*undone, SlotSet("asked", counts), SlotSet("requested_slot", WITHDRAW_CHECK)]


def answers_withdraw_check(tracker: Tracker) -> bool:
    """Whether the reply to utter_ask_withdraw_check says yes: the 「不用登记了」 button (/cancel), the
    bare "不用了" again, a plain yes ("是的"), or the explicit words."""
    if tracker.get_slot("requested_slot") != WITHDRAW_CHECK:
        return False
    text = latest_text(tracker)
    if is_button(text):
        return latest_intent(tracker)[0] == "cancel"
    return confirms_withdrawal(text)


def answer_to_check(tracker: Tracker, withdraws: bool) -> list[EventType] | None:
    """The form's events for the reply to the check: a yes (or a message that withdraws anyway,
    `withdraws`) withdraws — rejected when the NLU read 'cancel', so the rule "cancelling during the
    intake" runs action_cancel_complaint, else the form ends and calls it itself. Anything else
    returns None, and the reply is heard as the answer to the question still pending (the tracker's
    `requested_slot` is set to it for this validation)."""
    if answers_withdraw_check(tracker) or withdraws:
        if latest_intent(tracker)[0] == "cancel":
            return []
        return [SlotSet("asked", asked(tracker)), SlotSet("requested_slot", None),
                FollowupAction("action_cancel_complaint")]
    tracker.slots["requested_slot"] = pending_question(tracker)
    return None
