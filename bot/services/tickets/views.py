"""How tickets are shown: `ticket_view()` is the agents' and machines' JSON, `customer_view()` the
much smaller one a customer may see about their own ticket (no priority, risk flags, notes or
agent names), `event_view()` one entry of the audit trail.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from bot.domain.calendar import format_promise
from bot.domain.intake import MISSING_FIELDS, intake_label, is_withdrawn_record
from bot.domain.privacy import mask_personal_data, mask_phone
from bot.domain.taxonomy import (
    ACTIVE_STATUSES,
    CATEGORIES,
    DONE_STATUSES,
    EXPECTATIONS,
    ISSUE_TYPES,
    PRIORITIES,
    STATUSES,
)
from bot.domain.triage import FLAG_LABELS_ZH
from bot.services import wording


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
        "expectation_label": EXPECTATIONS.get(ticket["expectation"] or "", wording.NO_EXPECTATION),
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
        **_intake_fields(ticket),
        "intake_label": intake_label(ticket["intake"], ticket["missing_fields"]),
        "missing_labels": [MISSING_FIELDS.get(name, name) for name in ticket["missing_fields"]],
    }
    return view


def _intake_fields(ticket: dict) -> dict[str, Any]:
    """Issue 11: how far the record is, what it lacks, the customer's own deadline (masked: it is
    the customer's words)."""
    deadline = ticket["customer_deadline"]
    return {"intake": ticket["intake"], "missing_fields": list(ticket["missing_fields"]),
            "customer_deadline": mask_personal_data(deadline) if deadline else None}


def event_view(event: dict) -> dict[str, Any]:
    return {**event, "at": _iso(event["at"])}


def customer_summary(ticket: dict, now: datetime, tz) -> str:
    """One sentence about where the ticket stands, for the assistant to say to the customer."""
    status = ticket["status"]
    if status in DONE_STATUSES and is_withdrawn_record(ticket):
        return wording.SUMMARY_WITHDRAWN
    if status == "new" or (status == "open" and ticket["first_responded_at"] is None):
        if is_overdue(ticket, now):
            return wording.SUMMARY_OVERDUE
        return wording.summary_registered(format_promise(ticket["first_response_due"], now, tz))
    if status == "open":
        return wording.summary_in_progress(format_promise(ticket["resolution_due"], now, tz))
    if status == "pending_customer":
        return wording.SUMMARY_PENDING_CUSTOMER
    if status == "resolved":
        return wording.SUMMARY_RESOLVED
    return wording.SUMMARY_CLOSED


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
        "expectation_label": EXPECTATIONS.get(ticket["expectation"] or "", wording.NO_EXPECTATION),
        "order_number": ticket["order_number"],
        "created_at": _iso(ticket["created_at"]),
        "first_response_due": _iso(ticket["first_response_due"]),
        "first_response_due_text": format_promise(ticket["first_response_due"], now, tz),
        "resolution_due": _iso(ticket["resolution_due"]),
        "resolution_due_text": format_promise(ticket["resolution_due"], now, tz),
        "first_responded": ticket["first_responded_at"] is not None,
        "first_responded_at": _iso(ticket["first_responded_at"]),
        "assignee": (assignee_name or wording.AGENT) if ticket["assignee"] else None,
        "resolved_at": _iso(ticket["resolved_at"]),
        "csat": ticket["csat"],
        "summary": customer_summary(ticket, now, tz),
        **_intake_fields(ticket),
    }
