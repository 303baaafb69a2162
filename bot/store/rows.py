"""How values are stored and read back: times as naive UTC, lists as JSON, rows as plain dicts.

Shared by the store's modules; nothing outside bot.store needs it except `aware_utc`/`naive_utc`.
"""
from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

TICKET_TIMES = ("created_at", "updated_at", "first_response_due", "resolution_due", "first_responded_at",
                "resolved_at", "escalated_at", "csat_at")


def naive_utc(value: datetime | None) -> datetime | None:
    """Aware datetime → naive UTC for storage; naive values are taken as UTC already."""
    if value is None:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc).replace(tzinfo=None)
    return value


def aware_utc(value: datetime | None) -> datetime | None:
    return None if value is None else value.replace(tzinfo=timezone.utc)


def to_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def ticket_dict(row) -> dict:
    """A `tickets` row as the rest of the service sees it: lists decoded, flags bool, times aware UTC."""
    ticket = dict(row)
    ticket["risk_flags"] = json.loads(ticket["risk_flags"] or "[]")
    ticket["triage_reasons"] = json.loads(ticket["triage_reasons"] or "[]")
    ticket["missing_fields"] = json.loads(ticket.get("missing_fields") or "[]")
    ticket["intake"] = ticket.get("intake") or "complete"
    ticket["complex_case"] = bool(ticket["complex_case"])
    ticket["off_hours"] = bool(ticket["off_hours"])
    ticket["handoff_requested"] = bool(ticket["handoff_requested"])
    for name in TICKET_TIMES:
        ticket[name] = aware_utc(ticket[name])
    return ticket


def event_dict(row) -> dict:
    """A `ticket_events` row (one entry of the audit trail)."""
    return {"id": row["id"], "ticket_id": row["ticket_id"], "actor": row["actor"], "action": row["action"],
            "details": json.loads(row["details"]) if row["details"] else {}, "at": aware_utc(row["at"])}
