"""What an intake change does to a ticket (issue 11): the rules, applied by the store under the
ticket's lock (bot.store.intake.change_intake) and announced by the ticket service.

- Fields the dialogue learnt (type, order number, wish) replace what the ticket said; the
  category follows the type.
- Priority only ever rises: a lower one is ignored; a risk flag implies at least its level
  (urgent flags → urgent, high flags → high). A rise tightens the first-response due time to
  what the new priority promises from now, never later than the promise already made.
- Risk flags and triage reasons are united, never removed.
- `append_description`: the customer's words on a new line, skipped when already there
  (bot.domain.intake.appended_description); a mobile number in them becomes the ticket's phone
  when it has none.
- `customer_deadline` replaces; `deadline_found` (read from a message) is added to what the
  ticket already says unless it is there.
- `intake`: complete clears `missing_fields`; otherwise they are the given ones, or computed from
  the ticket (bot.domain.intake.missing_fields_of) whenever a field changes.
- `expectation_found` (a wish a message names, not asks) counts only once the intake is filed or
  handed off (while it is collecting, the dialogue decides): it fills a wish not given, and
  replaces one on record only when stated in so many words (`expectation_stated`).
- Wish or type changes recompute whether the case is complex and its resolution due time.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.config import Settings
from bot.domain.deadlines import find_customer_deadline
from bot.domain.dialogue import is_question, wish_change_allowed
from bot.domain.intake import appended_description, missing_fields_of, ordered_missing
from bot.domain.orders import find_order_number, strip_order_card
from bot.domain.privacy import mask_personal_data
from bot.domain.promises import sla_policy
from bot.domain.sla import DueTimes, compute_due_times, is_complex
from bot.domain.taxonomy import category_of, normalise_expectation
from bot.domain.triage import HIGH_FLAGS, URGENT_FLAGS, max_priority, triage
from bot.services.tickets.new import RISK_FLAGS, find_phone

log = logging.getLogger(__name__)

MAX_DEADLINE_CHARS = 200
_UNSET: Any = object()


@dataclass
class IntakeUpdate:
    """What to change; fields left None are not touched (`customer_deadline` may be set to None)."""

    issue_type: str | None = None
    order_number: str | None = None
    order_number_status: str | None = None
    expectation: str | None = None
    customer_deadline: Any = _UNSET  # the dialogue's value; None clears it
    deadline_found: str | None = None  # read from a message: added to what is there
    order_number_found: str | None = None  # read from a message: taken only when the ticket has none
    expectation_found: str | None = None  # a wish named in a message (not asked): see decide_intake
    expectation_stated: bool = False  # …in so many words ("我要换货"), so it may replace one on record
    priority: str | None = None
    risk_flags: list[str] = field(default_factory=list)
    triage_reasons: list[str] = field(default_factory=list)
    intake: str | None = None
    missing_fields: list[str] | None = None
    handoff_requested: bool | None = None
    append_description: str | None = None
    reason: str | None = None  # why, for the audit trail: "message", "idle", …
    only_while_collecting: bool = False  # change nothing once the intake is filed (idle filing)

    @property
    def sets_deadline(self) -> bool:
        return self.customer_deadline is not _UNSET


def _merged_deadline(current: str | None, found: str) -> str:
    if current and found in current:
        return current
    combined = f"{current}；{found}" if current else found
    return combined[-MAX_DEADLINE_CHARS:]


def _set(values: dict, fields: dict, before: dict, name: str, value: Any) -> None:
    if value != before.get(name):
        values[name] = value
        fields[name] = {"from": before.get(name), "to": value}


def decide_intake(before: dict, change: IntakeUpdate, settings: Settings, now: datetime
                  ) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """(column values, audit details) for `change` on the ticket as it is; ({}, None) when nothing
    changes."""
    if change.only_while_collecting and before["intake"] != "collecting":
        return {}, None  # filed meanwhile (by the dialogue, or another replica's idle pass)
    values: dict[str, Any] = {}
    fields: dict[str, dict] = {}
    if change.issue_type:
        _set(values, fields, before, "issue_type", change.issue_type)
        if "issue_type" in values:
            values["category"] = category_of(change.issue_type) or "other"
    if change.order_number:
        _set(values, fields, before, "order_number", change.order_number)
        _set(values, fields, before, "order_number_status", change.order_number_status or "given")
    elif change.order_number_status and (before["order_number"] or change.order_number_status == "unknown"):
        _set(values, fields, before, "order_number_status", change.order_number_status)
    elif change.order_number_found and not before["order_number"]:
        _set(values, fields, before, "order_number", change.order_number_found)
        _set(values, fields, before, "order_number_status", "given")
    if change.expectation:
        _set(values, fields, before, "expectation", change.expectation)
    elif change.expectation_found and before["intake"] != "collecting" and (
            change.expectation_stated or before["expectation"] in (None, "other")):
        # While the intake runs the dialogue decides the wish; after a hand-off or the filing,
        # "不对 我要换货不要退款" is the customer's word on it, and "要她道歉" fills a wish not given.
        _set(values, fields, before, "expectation", change.expectation_found)
    if change.sets_deadline:
        deadline = (change.customer_deadline or "").strip()[:MAX_DEADLINE_CHARS] or None
        _set(values, fields, before, "customer_deadline", deadline)
    if change.deadline_found:
        current = values.get("customer_deadline", before["customer_deadline"])
        _set(values, fields, before, "customer_deadline", _merged_deadline(current, change.deadline_found))
    if change.handoff_requested is not None:
        _set(values, fields, before, "handoff_requested", change.handoff_requested)

    flags = set(before["risk_flags"]) | set(change.risk_flags)
    if flags != set(before["risk_flags"]):
        _set(values, fields, before, "risk_flags", [flag for flag in RISK_FLAGS if flag in flags])
    new_reasons = [r for r in dict.fromkeys(change.triage_reasons) if r not in before["triage_reasons"]]
    if new_reasons:
        values["triage_reasons"] = [*before["triage_reasons"], *new_reasons]
    implied = "urgent" if flags & set(URGENT_FLAGS) else "high" if flags & set(HIGH_FLAGS) else "normal"
    priority = max_priority(before["priority"], change.priority or "normal", implied)
    if priority != before["priority"]:
        _set(values, fields, before, "priority", priority)
        due = _due_times(settings, now, priority, before["complex_case"])
        if before["first_responded_at"] is None and due and due.first_response_due < before["first_response_due"]:
            values["first_response_due"] = due.first_response_due

    appended = None
    if change.append_description:
        description = appended_description(before["description"], change.append_description)
        if description is not None:
            values["description"] = description
            appended = change.append_description.strip()
            if not before["phone"]:
                phone = find_phone([appended], exclude=values.get("order_number") or before["order_number"])
                if phone:
                    values["phone"] = phone

    after = {**before, **values}
    complex_case = is_complex(after["expectation"], after["issue_type"])
    if complex_case != before["complex_case"]:
        values["complex_case"] = complex_case
        due = _due_times(settings, before["created_at"], after["priority"], complex_case)
        if due:
            values["resolution_due"] = due.resolution_due
    if change.intake:
        _set(values, fields, before, "intake", change.intake)
    intake = values.get("intake", before["intake"])
    if intake == "complete":
        missing: list[str] = []
    elif change.missing_fields is not None:
        missing = ordered_missing(change.missing_fields)
    elif fields or intake != before["intake"]:
        missing = missing_fields_of({**before, **values})
    else:
        missing = before["missing_fields"]
    _set(values, fields, before, "missing_fields", missing)

    if not values:
        return {}, None
    details: dict[str, Any] = {"fields": fields}
    if appended:
        details["appended"] = mask_personal_data(appended)
    if change.reason:
        details["reason"] = change.reason
    return values, details


def message_update(text: str, order_patterns: tuple[str, ...]) -> IntakeUpdate:
    """What one customer message adds to its ticket: the words themselves, what triage reads in
    them (a pasted order card's fields left out), a deadline, and an order number for a ticket
    without one, and a wish it states (not asks: "能不能换货" states nothing)."""
    words = strip_order_card(text)
    found = triage(words)
    wish = None if is_question(words) else normalise_expectation(words)
    return IntakeUpdate(append_description=text, priority=found.priority, risk_flags=list(found.risk_flags),
                        triage_reasons=list(found.reasons), deadline_found=find_customer_deadline(words),
                        order_number_found=find_order_number(text, order_patterns), expectation_found=wish,
                        expectation_stated=wish_change_allowed(words), reason="message")


def _due_times(settings: Settings, start: datetime, priority: str, complex_case: bool) -> DueTimes | None:
    try:
        return compute_due_times(start, priority, settings.calendar(), sla_policy(settings), complex_case)
    except ValueError:  # e.g. a schedule with no open hours: keep the due times the ticket has
        log.exception("business calendar failed; due times left as they were")
        return None
