"""What a new ticket says: triage of everything the customer typed, repeat contacts, due times.

`prepare_ticket()` turns a `NewTicket` (what the caller knows) into the column values the store
writes; it reads the store (the session's messages, earlier tickets) but writes nothing.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bot.config import Settings
from bot.domain.deadlines import find_customer_deadline
from bot.domain.intake import DEFAULT_INTAKE, missing_fields_of, ordered_missing
from bot.domain.orders import strip_order_card
from bot.domain.promises import sla_policy
from bot.domain.sla import compute_due_times, is_complex
from bot.domain.taxonomy import category_of
from bot.domain.triage import FLAG_LABELS_ZH, HIGH_FLAGS, SYSTEM_FLAGS, URGENT_FLAGS, max_priority, triage
from bot.services import wording
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
    intake: str = DEFAULT_INTAKE  # collecting | complete | incomplete (bot.domain.intake)
    missing_fields: list[str] = field(default_factory=list)  # default: what the ticket lacks, unless complete
    customer_deadline: str | None = None  # default: a deadline found in the description


# Idempotency keys of the tickets the bot service opens itself while the assistant is down
# (bot.services.conversation): `degraded-<session>-<day>[-n]`.
DEGRADED_KEY = "degraded-"


def degraded_key_prefix(session_id: str) -> str:
    return f"{DEGRADED_KEY}{session_id}-"


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
    # The same chat's degraded-mode ticket is this contact, not an earlier one.
    prior = store.count_recent_tickets(now - REPEAT_WINDOW, session_id=new.session_id,
                                       customer_ref=new.customer_ref,
                                       exclude_key_prefix=degraded_key_prefix(new.session_id) if new.session_id
                                       else None)
    # A pasted order card's product name, amount and dates are not the customer's words.
    found = triage("\n".join(strip_order_card(t) for t in [new.description, *customer_texts]), repeat_contacts=prior)
    flags = set(found.risk_flags) | set(new.risk_flags)
    reasons = list(found.reasons)
    priority = max_priority(found.priority, new.priority or "normal")
    if prior >= 1:
        if "repeat_contact" not in found.risk_flags:
            reasons.append(wording.repeat_contact_reason(FLAG_LABELS_ZH["repeat_contact"], REPEAT_WINDOW.days,
                                                         prior + 1))
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
    deadline = new.customer_deadline or find_customer_deadline(strip_order_card(new.description))
    intake = new.intake or DEFAULT_INTAKE
    missing = [] if intake == "complete" else ordered_missing(new.missing_fields) or missing_fields_of(
        {"order_number": new.order_number, "expectation": new.expectation, "issue_type": new.issue_type,
         "risk_flags": sorted(flags), "missing_fields": new.missing_fields})
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
        "intake": intake,
        "missing_fields": missing,
        "customer_deadline": deadline[:200] if deadline else None,
    }
