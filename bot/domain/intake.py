"""The intake of a complaint: how far its record is, what is still missing, and which customer
messages carry something worth adding to it.

A ticket opens at the first message that states a problem (`collecting`, 登记中) and is then
either confirmed by the customer (`complete`) or filed as it stands with the missing fields named
(`incomplete`: a closing word, a hand-off, the ask budget spent, or a quiet chat). Tickets from
before the intake existed, or posted whole, are `complete`.

A customer who withdraws the complaint while it is still being collected ("不投诉了", or "不用登记了"
after being asked) leaves a `withdrawn` record (顾客已撤销): kept with everything said, closed by the
system, out of every queue, and never followed by a closing message or a rating request. Only a
record nobody has touched yet is closed so (`closed_by_withdrawal`): one an agent claimed or
answered, or one already filed (confirmed, handed off), stays as it is.

Every later customer message with content is appended to the ticket's description, once; pure
acknowledgements (嗯, 好的, ok, 收到, 👍), thanks, greetings and closing words (没了, 不用了) carry
nothing for the agent and are left in the transcript only.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any

INTAKE_STATES: dict[str, str] = {"collecting": "登记中", "complete": "已确认", "incomplete": "信息不全",
                                  "withdrawn": "顾客已撤销"}
DEFAULT_INTAKE = "complete"
FILED_STATES = ("complete", "incomplete")
WITHDRAWN = "withdrawn"
# What a new ticket may say: a record is withdrawn only by a change to a record being collected.
OPENING_STATES = ("collecting", "complete", "incomplete")
# What an agent may have to ask the customer again, in the order the desk lists them.
MISSING_FIELDS: dict[str, str] = {"order_number": "订单号", "expectation": "诉求", "issue_type": "问题类型"}
UNKNOWN_ISSUE_TYPE = "other_complaint"  # what a ticket says while the type is not known yet
# The description grows with every message; past this the transcript alone keeps the rest.
MAX_DESCRIPTION_CHARS = 8000

# Whole messages that add nothing to a complaint: acknowledgements, thanks, greetings, closings.
_NO_CONTENT_WORDS = (
    "嗯", "嗯嗯", "恩", "恩恩", "哦", "噢", "喔", "哦哦", "好", "好的", "好滴", "好嘞", "好吧", "行", "行吧", "可以",
    "ok", "okay", "k", "收到", "知道了", "明白", "明白了", "了解", "懂了", "是", "是的", "对", "对的", "嗯呢",
    "谢谢", "谢谢你", "谢谢您", "谢了", "多谢", "感谢", "thanks", "thx", "辛苦了", "麻烦了", "麻烦你了",
    "你好", "您好", "在吗", "在不在", "hi", "hello", "哈喽", "人呢", "有人吗",
    "没了", "没有了", "没事了", "不用了", "就这样", "好的就这样", "就这些", "拜拜", "再见", "bye",
)
_FILLER = re.compile(r"[\s,，.。!！?？~～…、'\"“”‘’()（）\[\]【】:：;；\-—_*]+")
_EMOJI_ONLY = re.compile(r"^[\U0001F000-\U0001FAFF\u2600-\u27BF\uFE0F\u200d]+$")
_WORDS = sorted({unicodedata.normalize("NFKC", w).lower() for w in _NO_CONTENT_WORDS}, key=len, reverse=True)
_ONLY_NO_CONTENT = re.compile(rf"^(?:{'|'.join(re.escape(w) for w in _WORDS)}|啊|呀|哈|啦|吧|了)+$")


def is_acknowledgement(text: str) -> bool:
    """A message with nothing for the ticket: 嗯 / 好的 / ok / 收到 / 👍 / 谢谢 / 在吗 / 没了, alone or
    repeated ("好的好的，谢谢"), or only punctuation and emoji."""
    flat = _FILLER.sub("", unicodedata.normalize("NFKC", text or "")).lower()
    if not flat or _EMOJI_ONLY.match(flat):
        return True
    return bool(_ONLY_NO_CONTENT.match(flat))


def has_content(text: str, *, button: bool = False) -> bool:
    """Whether a customer message belongs in the ticket's description: not a button press
    (`button`, or a "/intent" payload typed or sent), not an acknowledgement."""
    stripped = (text or "").strip()
    return not (button or stripped.startswith("/") or is_acknowledgement(stripped))


def appended_description(description: str, text: str, limit: int = MAX_DESCRIPTION_CHARS) -> str | None:
    """The description with `text` added on a new line, or None when there is nothing to add:
    empty, already contained (sent twice, or already the first words), or over `limit`."""
    addition = (text or "").strip()
    current = description or ""
    if not addition or addition in current:
        return None
    combined = f"{current.rstrip()}\n{addition}" if current.strip() else addition
    return combined if len(combined) <= limit else None


def missing_fields_of(ticket: Mapping[str, Any]) -> list[str]:
    """The fields a ticket still lacks (MISSING_FIELDS order): no order number, no wish, and the
    type when it is still the placeholder the dialogue said it was unsure of (or the ticket was
    recorded while the assistant was down)."""
    missing = []
    if not ticket.get("order_number"):
        missing.append("order_number")
    if not ticket.get("expectation"):
        missing.append("expectation")
    unsure = "issue_type" in (ticket.get("missing_fields") or []) or "needs_triage" in (ticket.get("risk_flags") or [])
    if ticket.get("issue_type") == UNKNOWN_ISSUE_TYPE and unsure:
        missing.append("issue_type")
    return missing


def ordered_missing(fields: Iterable[str]) -> list[str]:
    """Known field names, each once, in MISSING_FIELDS order."""
    given = set(fields)
    return [name for name in MISSING_FIELDS if name in given]


def closed_by_withdrawal(ticket: Mapping[str, Any]) -> bool:
    """Whether the customer's withdrawal closes this ticket: a record still being collected that no
    agent has claimed or answered yet (and not handed to people: the hand-off files it)."""
    return (ticket.get("intake") == "collecting" and ticket.get("status") == "new" and not ticket.get("assignee")
            and ticket.get("first_responded_at") is None and not ticket.get("handoff_requested"))


def is_withdrawn_record(ticket: Mapping[str, Any]) -> bool:
    """A record the customer withdrew that no person has answered since: nothing to rate, nothing to
    tell the customer about."""
    return ticket.get("intake") == WITHDRAWN and ticket.get("first_responded_at") is None


def intake_label(intake: str, missing: Iterable[str] = ()) -> str:
    """How the desk names the state: 登记中, 已确认, 信息不全（缺：订单号、诉求）."""
    label = INTAKE_STATES.get(intake, intake)
    names = [MISSING_FIELDS[name] for name in ordered_missing(missing)]
    if intake == "incomplete" and names:
        return f"{label}（缺：{'、'.join(names)}）"
    return label
