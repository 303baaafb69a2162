"""The record of a complaint while it is collected (issue 11): atomic intake changes and the
tickets whose chat has gone quiet.

Mixed into `Store` (bot.store.db). What an intake change *means* (priority only raised, flags
united, text appended once, due times tightened) is decided by bot.services.tickets.intake; this
module runs that decision on the row as it is under the row's lock, so a message appended by the
bot service and a field set by the action server at the same moment never overwrite each other.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select, update

from bot.domain.taxonomy import DONE_STATUSES
from bot.store import schema
from bot.store.rows import naive_utc, ticket_dict, to_json

JSON_COLUMNS = ("risk_flags", "triage_reasons", "missing_fields")

# decide(ticket as it is) → (column values to write, audit details or None for "nothing changed")
IntakeDecision = Callable[[dict], tuple[dict[str, Any], dict[str, Any] | None]]
# decide(ticket as it is) → (column values to write, audit events [{"action", "details"[, "actor"]}] to
# record; an event's own actor, when given, replaces the caller's)
LockedDecision = Callable[[dict], tuple[dict[str, Any], list[dict[str, Any]]]]


class TicketClosed(Exception):
    """The ticket is resolved or closed: its record no longer changes from the chat."""


class IntakeStore:
    """Intake methods of `Store`; needs `self.engine`, `_lock_ticket`, `record_event`, `get_ticket`."""

    engine: Any

    def change_intake(self, ticket_id: str, decide: IntakeDecision, actor: str, now: datetime, *,
                      allow_done: bool = False) -> tuple[dict, dict, dict | None]:
        """Locks the ticket, lets `decide` say what changes, writes it with one `intake_updated`
        audit event. Returns (ticket before, ticket after, the event's details or None when
        nothing changed). Raises TicketNotFound, and TicketClosed for a resolved or closed ticket
        unless `allow_done`."""
        t = schema.tickets
        with self.engine.begin() as conn:
            before = self._lock_ticket(conn, ticket_id, now)  # type: ignore[attr-defined]
            if before["status"] in DONE_STATUSES and not allow_done:
                raise TicketClosed(ticket_id)
            values, details = decide(before)
            if values:
                row = {k: (to_json(list(v)) if k in JSON_COLUMNS else naive_utc(v) if isinstance(v, datetime) else v)
                       for k, v in values.items()}
                conn.execute(update(t).where(t.c.id == ticket_id).values(**row))
            if details:
                self.record_event(ticket_id, actor, "intake_updated", details, at=now,  # type: ignore[attr-defined]
                                  conn=conn)
        after = self.get_ticket(ticket_id) if values else before  # type: ignore[attr-defined]
        return before, after, details

    def change_locked(self, ticket_id: str, decide: LockedDecision, actor: str, now: datetime
                      ) -> tuple[dict, dict, list[dict]]:
        """Locks the ticket, lets `decide` say which columns change and which audit events record
        it, and writes both in one transaction (a withdrawal: the intake state, the status and their
        reasons at once, so no agent's claim can slip in between). Returns (ticket before, ticket
        after, the events written). Raises TicketNotFound, and whatever `decide` raises (nothing is
        written then)."""
        t = schema.tickets
        with self.engine.begin() as conn:
            before = self._lock_ticket(conn, ticket_id, now)  # type: ignore[attr-defined]
            values, events = decide(before)
            if values:
                row = {k: (to_json(list(v)) if k in JSON_COLUMNS else naive_utc(v) if isinstance(v, datetime) else v)
                       for k, v in values.items()}
                conn.execute(update(t).where(t.c.id == ticket_id).values(**row))
            for event in events:
                self.record_event(ticket_id, event.get("actor") or actor, event["action"],  # type: ignore[attr-defined]
                                  event["details"], at=now, conn=conn)
        after = self.get_ticket(ticket_id) if values else before  # type: ignore[attr-defined]
        return before, after, events

    def quiet_intakes(self, quiet_since: datetime, limit: int = 200) -> list[dict]:
        """Tickets still collecting whose chat has been quiet since `quiet_since`: created before
        it, and no customer message of their session after it. Oldest first."""
        t, m = schema.tickets, schema.chat_messages
        moment = naive_utc(quiet_since)
        last_customer_message = (select(func.max(m.c.created_at))
                                 .where(m.c.session_id == t.c.session_id, m.c.sender == "customer")
                                 .scalar_subquery())
        query = (select(t).where(and_(t.c.intake == "collecting", t.c.created_at < moment,
                                      or_(t.c.session_id.is_(None), last_customer_message.is_(None),
                                          last_customer_message < moment)))
                 .order_by(t.c.created_at, t.c.id).limit(limit))
        with self.engine.connect() as conn:
            return [ticket_dict(row) for row in conn.execute(query).mappings().all()]

    def latest_ticket_for_session(self, session_id: str) -> dict | None:
        """The session's newest ticket, whatever its status."""
        t = schema.tickets
        query = select(t).where(t.c.session_id == session_id).order_by(t.c.created_at.desc(), t.c.id.desc()).limit(1)
        with self.engine.connect() as conn:
            row = conn.execute(query).mappings().first()
        return ticket_dict(row) if row else None
