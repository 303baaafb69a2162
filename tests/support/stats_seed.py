"""Tickets with chosen times for the statistics tests: written through the store's own
`create_ticket` (so numbering, events and columns are the real ones), with every time given in
the shop's time zone so a test reads like the lead's calendar."""
from __future__ import annotations

import itertools
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
_keys = itertools.count(1)


def local(text: str, zone: ZoneInfo = SHANGHAI) -> datetime:
    """'2026-11-23 09:30' in the shop's zone → an aware UTC datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=zone).astimezone(timezone.utc)


def seed_ticket(store, created: str, *, zone: ZoneInfo = SHANGHAI, issue_type: str = "logistics_delay",
                description: str = "快递五天了还没到", priority: str = "normal", status: str = "new",
                first_response_minutes: int = 15, resolution_hours: int = 24, responded: str | None = None,
                resolved: str | None = None, assignee: str | None = None, csat: int | None = None,
                csat_comment: str | None = None, csat_at: str | None = None, handoff: bool = False,
                off_hours: bool = False, repeat_contacts: int = 0, key: str | None = None,
                intake: str = "complete") -> dict:
    """One ticket created at `created` (shop-local 'YYYY-MM-DD HH:MM'); due times are the given
    wall-clock minutes/hours after it; `responded`/`resolved`/`csat_at` are shop-local times."""
    from bot.domain.taxonomy import category_of

    created_at = local(created, zone)
    values = {
        "idempotency_key": key or f"seed-{next(_keys)}", "session_id": None, "customer_ref": None, "channel": "web",
        "order_number": None, "order_number_status": "unknown", "issue_type": issue_type,
        "category": category_of(issue_type) or "other", "expectation": None, "description": description,
        "phone": None, "priority": priority, "risk_flags": [], "triage_reasons": [], "repeat_contacts": repeat_contacts,
        "complex_case": False, "off_hours": off_hours, "handoff_requested": handoff, "status": status,
        "assignee": assignee, "created_at": created_at, "updated_at": created_at,
        "first_response_due": created_at + timedelta(minutes=first_response_minutes),
        "resolution_due": created_at + timedelta(hours=resolution_hours),
        "first_responded_at": local(responded, zone) if responded else None,
        "resolved_at": local(resolved, zone) if resolved else None,
        "csat": csat, "csat_comment": csat_comment, "csat_at": local(csat_at, zone) if csat_at else None,
        "created_by": "seed", "intake": intake,
    }
    ticket, created_now = store.create_ticket(values, zone)
    assert created_now
    return ticket
