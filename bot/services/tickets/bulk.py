"""Bulk actions of the desk's queue (issue 15): claim, assign or close several tickets in one go.

Each ticket goes through `TicketService.update` on its own, so every rule of a single change holds
(closing a ticket nobody answered needs a reason, the audit trail, the desk's live event, the
customer's closing message); one ticket's failure never stops the others. The outcome is told per
ticket as a code (the route words it for the agent):

- `ticket_not_found`: no such ticket;
- `assigned_to_other`: a claim never takes a ticket a colleague holds (assign does, explicitly);
- `reason_required`: closing a ticket nobody replied to without a reason.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.domain.taxonomy import TICKET_ID
from bot.services.tickets.service import ReasonRequired, TicketService
from bot.store import TicketNotFound

BULK_ACTIONS = ("claim", "assign", "close")
MAX_BULK = 200  # one queue page at most


@dataclass
class BulkOutcome:
    """What happened to one ticket of a bulk action."""

    id: str
    ok: bool
    changed: bool = False
    error: str | None = None
    ticket: dict | None = None  # the ticket after the action (ok) or as it stands (refused)
    details: dict[str, Any] = field(default_factory=dict)


def bulk_update(service: TicketService, ids: list[str], action: str, actor: str, *,
                assignee: str | None = None, reason: str | None = None,
                now: datetime | None = None) -> list[BulkOutcome]:
    """Applies `action` to each ticket of `ids` (duplicates once, in the order given).

    claim: assigns to `actor` unless a colleague holds the ticket; assign: to `assignee` (the
    caller checks that agent exists); close: status `closed`, with `reason` for all of them."""
    if action not in BULK_ACTIONS:
        raise ValueError(f"unknown bulk action {action!r}; expected one of {BULK_ACTIONS}")
    outcomes = []
    for ticket_id in dict.fromkeys(i.strip().upper() for i in ids):
        outcomes.append(_one(service, ticket_id, action, actor, assignee, reason, now))
    return outcomes


def _one(service: TicketService, ticket_id: str, action: str, actor: str, assignee: str | None,
         reason: str | None, now: datetime | None) -> BulkOutcome:
    before = service.store.get_ticket(ticket_id) if TICKET_ID.match(ticket_id) else None
    if before is None:
        return BulkOutcome(ticket_id, ok=False, error="ticket_not_found")
    if action == "claim":
        if before["assignee"] and before["assignee"] != actor:
            return BulkOutcome(ticket_id, ok=False, error="assigned_to_other", ticket=before,
                               details={"assignee": before["assignee"]})
        changes: dict[str, Any] = {"assignee": actor}
    elif action == "assign":
        changes = {"assignee": assignee}
    else:
        changes = {"status": "closed"}
    try:
        ticket, written = service.update(ticket_id, changes, actor, reason=reason if action == "close" else None,
                                         now=now, by=actor)
    except TicketNotFound:
        return BulkOutcome(ticket_id, ok=False, error="ticket_not_found")
    except ReasonRequired:
        return BulkOutcome(ticket_id, ok=False, error="reason_required", ticket=before)
    return BulkOutcome(ticket_id, ok=True, changed=bool(written), ticket=ticket)
