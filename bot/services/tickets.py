"""The ticket service: what a new ticket says, and how tickets are shown to agents and customers.

`open_ticket()` is the one way tickets come into being, whether the action server posts to
`POST /api/tickets` or the bot service records a complaint itself in degraded mode. It triages
the description together with everything the customer typed in the session, counts repeat
contacts, computes the due times on the business calendar, stores the ticket idempotently and
then tells the desk (live event) and the shop (webhook).

`ticket_view()` is the agents' JSON; `customer_view()` is the much smaller one a customer may see
about their own ticket (no priority, risk flags, notes or agent names).
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from bot.config import Settings
from bot.domain.calendar import format_promise
from bot.domain.privacy import mask_personal_data, mask_phone
from bot.domain.promises import sla_policy
from bot.domain.sla import compute_due_times, is_complex
from bot.domain.taxonomy import (
    ACTIVE_STATUSES,
    CATEGORIES,
    EXPECTATIONS,
    ISSUE_TYPES,
    PRIORITIES,
    STATUSES,
    category_of,
)
from bot.domain.triage import FLAG_LABELS_ZH, HIGH_FLAGS, SYSTEM_FLAGS, URGENT_FLAGS, max_priority, triage
from bot.store import Store

log = logging.getLogger(__name__)

ORDER_NUMBER_STATUSES = ("given", "verified", "unknown")
RISK_FLAGS = (*URGENT_FLAGS, *HIGH_FLAGS, *SYSTEM_FLAGS)
# A second ticket from the same customer within this window is a repeated contact.
REPEAT_WINDOW = timedelta(days=7)
_MOBILE = re.compile(r"(?<![\d\-])(?:\+?86[ \-]?)?(1[3-9]\d)[ \-]?(\d{4})[ \-]?(\d{4})(?!\d)")


@dataclass
class NewTicket:
    """A complaint to record. Only the key, the issue type and the customer's words are required."""

    idempotency_key: str
    issue_type: str
    description: str
    session_id: str | None = None
    customer_ref: str | None = None
    channel: str = "web"
    order_number: str | None = None
    order_number_status: str | None = None  # default: "given" with a number, else "unknown"
    expectation: str | None = None
    priority: str | None = None  # the assistant's own view; the service keeps the higher one
    risk_flags: list[str] = field(default_factory=list)
    off_hours: bool | None = None  # default: whether the shop is closed right now
    phone: str | None = None  # default: a mobile number found in the customer's words
    handoff_requested: bool = False  # the customer asked for a person (转人工)
    created_by: str = "bot"  # actor in the audit trail


def find_phone(texts: list[str], exclude: str | None = None) -> str | None:
    """The first mainland mobile number in the customer's words (not the order number)."""
    for text in texts:
        for match in _MOBILE.finditer(text or ""):
            digits = "".join(match.groups())
            if exclude and digits in re.sub(r"\D", "", exclude):
                continue
            return digits
    return None


def prepare_ticket(store: Store, settings: Settings, new: NewTicket, now: datetime) -> dict[str, Any]:
    """All column values of a new ticket (except its id): triage, repeat contacts, due times."""
    customer_texts = store.customer_texts(new.session_id) if new.session_id else []
    # The same chat's degraded-mode ticket (bot.web.routes.chat) is this contact, not an earlier one.
    prior = store.count_recent_tickets(now - REPEAT_WINDOW, session_id=new.session_id,
                                       customer_ref=new.customer_ref,
                                       exclude_key_prefix=f"degraded-{new.session_id}-" if new.session_id else None)
    found = triage("\n".join([new.description, *customer_texts]), repeat_contacts=prior)
    flags = set(found.risk_flags) | set(new.risk_flags)
    reasons = list(found.reasons)
    priority = max_priority(found.priority, new.priority or "normal")
    if prior >= 1:
        if "repeat_contact" not in found.risk_flags:
            reasons.append(f"{FLAG_LABELS_ZH['repeat_contact']}：7 天内第 {prior + 1} 次提交投诉")
        flags.add("repeat_contact")
        priority = max_priority(priority, "high")
    if flags & set(URGENT_FLAGS):
        priority = "urgent"
    complex_case = is_complex(new.expectation, new.issue_type)
    calendar = settings.calendar()
    try:
        due = compute_due_times(now, priority, calendar, sla_policy(settings), complex_case)
        first_response_due, resolution_due = due.first_response_due, due.resolution_due
        off_hours = not calendar.is_open(now)
    except ValueError:  # e.g. NoOpeningError: a schedule with no open hours must not lose the ticket
        log.exception("business calendar failed; due times fall back to wall-clock time")
        first_response_due = now + timedelta(minutes=settings.sla_first_response_minutes[priority])
        resolution_due = now + timedelta(hours=settings.sla_resolution_hours["complex" if complex_case else "normal"])
        off_hours = False
    status = new.order_number_status or ("given" if new.order_number else "unknown")
    if not new.order_number:
        status = "unknown"  # "given" without a number is a slip of the caller, not a reason to lose the ticket
    return {
        "idempotency_key": new.idempotency_key,
        "session_id": new.session_id,
        "customer_ref": new.customer_ref,
        "channel": new.channel or "web",
        "order_number": new.order_number,
        "order_number_status": status,
        "issue_type": new.issue_type,
        "category": category_of(new.issue_type) or "other",
        "expectation": new.expectation,
        "description": new.description,
        "phone": new.phone or find_phone([new.description, *customer_texts], exclude=new.order_number),
        "priority": priority,
        "risk_flags": [flag for flag in RISK_FLAGS if flag in flags],
        "triage_reasons": reasons,
        "repeat_contacts": prior,
        "complex_case": complex_case,
        "off_hours": off_hours if new.off_hours is None else new.off_hours,
        "handoff_requested": new.handoff_requested,
        "status": "new",
        "assignee": None,
        "created_at": now,
        "updated_at": now,
        "first_response_due": first_response_due,
        "resolution_due": resolution_due,
        "created_by": new.created_by,
    }


def open_ticket(store: Store, settings: Settings, new: NewTicket, *, now: datetime | None = None,
                hub=None, notifier=None) -> tuple[dict, bool]:
    """Records a complaint; returns (ticket, created). The same idempotency key returns the first
    ticket with created=False and tells no one again. Call from the event loop when `hub` or
    `notifier` is given (the webhook is sent in a background task)."""
    now = now or datetime.now(timezone.utc)
    existing = store.ticket_by_idempotency_key(new.idempotency_key)
    if existing is not None:
        return existing, False
    ticket, created = store.create_ticket(prepare_ticket(store, settings, new, now), settings.tz)
    if created:
        if hub is not None:
            hub.publish("ticket_created", {"ticket": ticket_view(ticket, now, settings.tz)})
        if notifier is not None:
            notifier.notify("urgent" if ticket["priority"] == "urgent" else "new", ticket)
    return ticket, created


# -- views -----------------------------------------------------------------------------------

def _iso(value: datetime | None) -> str | None:
    return value.astimezone(timezone.utc).isoformat() if value else None


def is_overdue(ticket: dict, now: datetime) -> bool:
    """Still open and past the first-response due time (unanswered) or the resolution due time."""
    if ticket["status"] not in ACTIVE_STATUSES:
        return False
    unanswered = ticket["first_responded_at"] is None and now > ticket["first_response_due"]
    return unanswered or now > ticket["resolution_due"]


def ticket_view(ticket: dict, now: datetime, tz) -> dict[str, Any]:
    """A ticket as agents and machines see it: every field, Chinese labels, phones / ID numbers /
    e-mails masked (also inside the description), ISO times
    (UTC), the due times as promises ("今天 17:15 前") and whether it is overdue now."""
    issue = ISSUE_TYPES.get(ticket["issue_type"])
    view = {
        "id": ticket["id"],
        "idempotency_key": ticket["idempotency_key"],
        "session_id": ticket["session_id"],
        "customer_ref": ticket["customer_ref"],
        "channel": ticket["channel"],
        "order_number": ticket["order_number"],
        "order_number_status": ticket["order_number_status"],
        "issue_type": ticket["issue_type"],
        "issue_type_label": issue.label if issue else ticket["issue_type"],
        "category": ticket["category"],
        "category_label": CATEGORIES.get(ticket["category"], ticket["category"]),
        "expectation": ticket["expectation"],
        "expectation_label": EXPECTATIONS.get(ticket["expectation"] or "", "未说明"),
        "description": mask_personal_data(ticket["description"]),
        "phone": mask_phone(ticket["phone"]) or None,
        "priority": ticket["priority"],
        "priority_label": PRIORITIES.get(ticket["priority"], ticket["priority"]),
        "risk_flags": ticket["risk_flags"],
        "risk_labels": [FLAG_LABELS_ZH.get(flag, flag) for flag in ticket["risk_flags"]],
        "triage_reasons": ticket["triage_reasons"],
        "repeat_contacts": ticket["repeat_contacts"],
        "complex_case": ticket["complex_case"],
        "off_hours": ticket["off_hours"],
        "handoff_requested": ticket["handoff_requested"],
        "status": ticket["status"],
        "status_label": STATUSES.get(ticket["status"], ticket["status"]),
        "assignee": ticket["assignee"],
        "created_at": _iso(ticket["created_at"]),
        "updated_at": _iso(ticket["updated_at"]),
        "first_response_due": _iso(ticket["first_response_due"]),
        "first_response_due_text": format_promise(ticket["first_response_due"], now, tz),
        "resolution_due": _iso(ticket["resolution_due"]),
        "resolution_due_text": format_promise(ticket["resolution_due"], now, tz),
        "first_responded_at": _iso(ticket["first_responded_at"]),
        "resolved_at": _iso(ticket["resolved_at"]),
        "escalated_at": _iso(ticket["escalated_at"]),
        "overdue": is_overdue(ticket, now),
        "csat": ticket["csat"],
        "csat_comment": ticket["csat_comment"],
    }
    return view


def event_view(event: dict) -> dict[str, Any]:
    return {**event, "at": _iso(event["at"])}


def customer_summary(ticket: dict, now: datetime, tz) -> str:
    """One sentence about where the ticket stands, for the assistant to say to the customer."""
    status = ticket["status"]
    if status == "new" or (status == "open" and ticket["first_responded_at"] is None):
        if is_overdue(ticket, now):
            return "已登记，客服正在加急处理，非常抱歉让您久等了。"
        return f"已登记，客服会在{format_promise(ticket['first_response_due'], now, tz)}联系您。"
    if status == "open":
        return f"客服正在处理，预计{format_promise(ticket['resolution_due'], now, tz)}给您处理结果。"
    if status == "pending_customer":
        return "客服已回复，正在等您的答复，请查看客服发给您的消息。"
    if status == "resolved":
        return "已处理完毕。如果还有问题，随时告诉我。"
    return "工单已关闭。"


def customer_view(ticket: dict, now: datetime, tz, assignee_name: str | None = None) -> dict[str, Any]:
    """What a customer may know about their own ticket. `assignee_name` is the display name the
    customer already sees on agent replies, never the login name."""
    issue = ISSUE_TYPES.get(ticket["issue_type"])
    return {
        "id": ticket["id"],
        "status": ticket["status"],
        "status_label": STATUSES.get(ticket["status"], ticket["status"]),
        "issue_type": ticket["issue_type"],
        "issue_type_label": issue.label if issue else ticket["issue_type"],
        "expectation": ticket["expectation"],
        "expectation_label": EXPECTATIONS.get(ticket["expectation"] or "", "未说明"),
        "order_number": ticket["order_number"],
        "created_at": _iso(ticket["created_at"]),
        "first_response_due": _iso(ticket["first_response_due"]),
        "first_response_due_text": format_promise(ticket["first_response_due"], now, tz),
        "resolution_due": _iso(ticket["resolution_due"]),
        "resolution_due_text": format_promise(ticket["resolution_due"], now, tz),
        "first_responded": ticket["first_responded_at"] is not None,
        "first_responded_at": _iso(ticket["first_responded_at"]),
        "assignee": (assignee_name or "客服") if ticket["assignee"] else None,
        "resolved_at": _iso(ticket["resolved_at"]),
        "csat": ticket["csat"],
        "summary": customer_summary(ticket, now, tz),
    }
