"""What kind of turn the complaint form is in and what a reply says about the form's question:
the form's first run, a reply, or a run after a rule answered; a clear yes or no to the read-back;
whether a message answers "which order?"."""
from __future__ import annotations

import re

from rasa_sdk import Tracker

from actions.acknowledge import FORM
from actions.common import previous_value

UNKNOWN = "unknown"  # an order number the customer could not give

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


def turn_kind(tracker: Tracker) -> str:
    """`reply`: the form runs right after the customer answered its question; `after_rule`: after
    a rule answered the message (chit-chat, a question); `activation`: the form's first run."""
    events = tracker.events
    last_user = max((i for i, e in enumerate(events) if e.get("event") == "user"), default=0)
    ran = [e.get("name") for e in events[last_user + 1:] if e.get("event") == "action"]
    if "action_acknowledge_complaint" in ran or tracker.get_slot("requested_slot") is None:
        return "activation"
    if any(name not in ("action_extract_slots", FORM, "action_listen") for name in ran):
        return "after_rule"
    return "reply"


def answers_order_number(tracker: Tracker) -> bool:
    """The message answers "which order?": asked just now, or a number sent at the read-back
    that said the order number was not given yet."""
    requested = tracker.get_slot("requested_slot")
    return requested == "order_number" or (
        requested == "confirm" and previous_value(tracker, "order_number") in (None, UNKNOWN))
