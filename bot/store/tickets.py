"""Tickets in the database: numbering, idempotent creation, changes and the audit trail.

Mixed into `Store` (bot.store.db); finding tickets is in bot.store.queries, the CSV export in
bot.store.exports. The rules that decide *what* a ticket says (triage, due times) and who is told
about a change live in bot.services.tickets; these methods only keep the data consistent:

- ticket ids `TK-YYYYMMDD-NNNN` count per shop-local day in `ticket_counters`, incremented in the
  same transaction as the insert, so concurrent creates (threads, processes, replicas on
  PostgreSQL) never share a number and a failed insert never burns one;
- the caller's `idempotency_key` is unique: a retried submission returns the first ticket;
- every change writes a row to `ticket_events` in the same transaction as the change.
"""
from __future__ import annotations

import json
import random
import time
from datetime import date, datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError, OperationalError

from bot.domain.taxonomy import ACTIVE_STATUSES, DONE_STATUSES
from bot.store import schema
from bot.store.exports import day_bounds  # noqa: F401 - imported from here by bot.web.routes.tickets
from bot.store.queries import overdue_condition
from bot.store.rows import aware_utc, event_dict, naive_utc, ticket_dict, to_json

PRIORITY_STEP_UP = {"normal": "high", "high": "urgent", "urgent": "urgent"}

# Creation retries: a unique-key race (same idempotency key, first counter row of a day) or a
# SQLite lock that outlived busy_timeout. Each retry starts a fresh transaction.
CREATE_ATTEMPTS = 12


class TicketNotFound(LookupError):
    """No ticket with that id (or not one the caller may see)."""


class NoConversation(ValueError):
    """The ticket has no chat session to send a reply to (e.g. entered by an agent)."""


def _is_lock_error(exc: OperationalError) -> bool:
    text = str(exc.orig).lower()
    return "locked" in text or "busy" in text or "deadlock" in text or "could not serialize" in text


class TicketStore:
    """Ticket methods of `Store`; needs `self.engine`."""

    engine: Any

    # -- creating ----------------------------------------------------------------------------
    def create_ticket(self, values: dict[str, Any], tz: str | ZoneInfo) -> tuple[dict, bool]:
        """Inserts a ticket, numbering it on its shop-local creation day. Returns (ticket, created).

        `values` holds every column except `id` (times aware or naive UTC). When a ticket with the
        same `idempotency_key` exists, nothing is written and (that ticket, False) comes back.
        """
        zone = ZoneInfo(tz) if isinstance(tz, str) else tz
        row = {k: naive_utc(v) if isinstance(v, datetime) else v for k, v in values.items()}
        actor = row.pop("created_by", None) or "bot"
        row["risk_flags"] = to_json(list(values.get("risk_flags") or []))
        row["triage_reasons"] = to_json(list(values.get("triage_reasons") or []))
        row["missing_fields"] = to_json(list(values.get("missing_fields") or []))
        row.setdefault("updated_at", row["created_at"])
        day = aware_utc(row["created_at"]).astimezone(zone).date()
        key = row["idempotency_key"]
        last_error: Exception | None = None
        for attempt in range(CREATE_ATTEMPTS):
            existing = self.ticket_by_idempotency_key(key)
            if existing is not None:
                return existing, False
            try:
                with self.engine.begin() as conn:
                    number = self._next_ticket_number(conn, day)
                    ticket_id = f"TK-{day:%Y%m%d}-{number:04d}"
                    conn.execute(schema.tickets.insert().values(id=ticket_id, **row))
                    self.record_event(ticket_id, actor, "created", {
                        "priority": row["priority"], "risk_flags": values.get("risk_flags") or [],
                        "channel": row["channel"], "intake": row.get("intake") or "complete"},
                        at=row["created_at"], conn=conn)
                return self.get_ticket(ticket_id), True
            except IntegrityError as exc:  # same key or first counter row created concurrently
                last_error = exc
            except OperationalError as exc:
                if not _is_lock_error(exc):
                    raise
                last_error = exc
            time.sleep(random.uniform(0.005, 0.02) * (attempt + 1))
        raise RuntimeError(f"could not create ticket {key!r} after {CREATE_ATTEMPTS} attempts") from last_error

    @staticmethod
    def _next_ticket_number(conn: Connection, day: date) -> int:
        # The UPDATE comes first: it takes the write lock (SQLite) / row lock (PostgreSQL) before
        # anything is read, so two transactions can never read the same last number.
        counters = schema.ticket_counters
        key = f"{day:%Y%m%d}"
        result = conn.execute(update(counters).where(counters.c.day == key)
                              .values(last_number=counters.c.last_number + 1))
        if result.rowcount == 0:
            conn.execute(counters.insert().values(day=key, last_number=1))  # a race → IntegrityError → retry
            return 1
        return int(conn.execute(select(counters.c.last_number).where(counters.c.day == key)).scalar_one())

    # -- reading ---------------------------------------------------------------------------
    def get_ticket(self, ticket_id: str) -> dict | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(schema.tickets).where(schema.tickets.c.id == ticket_id)).mappings().first()
        return ticket_dict(row) if row else None

    def ticket_by_idempotency_key(self, key: str) -> dict | None:
        t = schema.tickets
        with self.engine.connect() as conn:
            row = conn.execute(select(t).where(t.c.idempotency_key == key)).mappings().first()
        return ticket_dict(row) if row else None

    # -- the audit trail -------------------------------------------------------------------
    def record_event(self, ticket_id: str, actor: str, action: str, details: dict | None = None,
                     at: datetime | None = None, conn: Connection | None = None) -> None:
        """Appends one entry to a ticket's audit trail (inside `conn`'s transaction when given)."""
        values = dict(ticket_id=ticket_id, actor=actor[:64], action=action,
                      details=to_json(details) if details else None,
                      at=naive_utc(at) or datetime.now(timezone.utc).replace(tzinfo=None))
        if conn is not None:
            conn.execute(schema.ticket_events.insert().values(**values))
            return
        with self.engine.begin() as own:
            own.execute(schema.ticket_events.insert().values(**values))

    def list_events(self, ticket_id: str) -> list[dict]:
        e = schema.ticket_events
        with self.engine.connect() as conn:
            rows = conn.execute(select(e).where(e.c.ticket_id == ticket_id).order_by(e.c.id)).mappings().all()
        return [event_dict(row) for row in rows]

    # -- changing --------------------------------------------------------------------------
    @staticmethod
    def _lock_ticket(conn: Connection, ticket_id: str, now: datetime) -> dict:
        # Writing first takes the lock (SQLite: the database, PostgreSQL: the row), so the read
        # that follows cannot be overtaken by another agent's change.
        t = schema.tickets
        result = conn.execute(update(t).where(t.c.id == ticket_id).values(updated_at=naive_utc(now)))
        if result.rowcount == 0:
            raise TicketNotFound(ticket_id)
        return ticket_dict(conn.execute(select(t).where(t.c.id == ticket_id)).mappings().one())

    def update_ticket(self, ticket_id: str, changes: dict[str, Any], actor: str, now: datetime,
                      note: str | None = None, reason: str | None = None) -> tuple[dict, list[dict]]:
        """Applies `changes` (status, assignee, priority) and an internal note; audits each change.

        Claiming a new ticket (setting an assignee without a status) opens it. Resolving stamps
        `resolved_at`; reopening clears it. Returns (ticket, the events written). Raises
        TicketNotFound. A `reason` (why a ticket ends without an answer) goes with the status change.
        """
        t = schema.tickets
        written: list[dict] = []
        with self.engine.begin() as conn:
            before = self._lock_ticket(conn, ticket_id, now)
            values: dict[str, Any] = {}
            if "assignee" in changes and changes["assignee"] != before["assignee"]:
                values["assignee"] = changes["assignee"]
                written.append({"action": "assigned", "details": {"from": before["assignee"],
                                                                   "to": changes["assignee"]}})
                if changes["assignee"] and before["status"] == "new" and "status" not in changes:
                    changes = {**changes, "status": "open"}
            if "status" in changes and changes["status"] != before["status"]:
                status = changes["status"]
                values["status"] = status
                if status in DONE_STATUSES and before["resolved_at"] is None:
                    values["resolved_at"] = naive_utc(now)
                elif status in ACTIVE_STATUSES:
                    values["resolved_at"] = None
                details = {"from": before["status"], "to": status, **({"reason": reason} if reason else {})}
                written.append({"action": "status_changed", "details": details})
            if "priority" in changes and changes["priority"] != before["priority"]:
                values["priority"] = changes["priority"]
                written.append({"action": "priority_changed",
                                "details": {"from": before["priority"], "to": changes["priority"]}})
            if note:
                written.append({"action": "note", "details": {"text": note}})
            if values:
                conn.execute(update(t).where(t.c.id == ticket_id).values(**values))
            for item in written:
                self.record_event(ticket_id, actor, item["action"], item["details"], at=now, conn=conn)
        return self.get_ticket(ticket_id), written

    def add_reply(self, ticket_id: str, text: str, agent_name: str, now: datetime,
                  display_name: str | None = None, client_id: str | None = None) -> tuple[dict, dict, bool]:
        """An agent's message to the customer: written to the chat (sender `agent`) so the customer
        sees it, audited, and the first one stamps `first_responded_at`. A new ticket becomes open.
        A `client_id` this ticket's chat already has (the desk sent the reply again after a
        timeout) writes nothing: the stored message is returned.

        Returns (ticket, message, created). Raises TicketNotFound, NoConversation.
        """
        t, m = schema.tickets, schema.chat_messages
        moment = naive_utc(now)
        with self.engine.begin() as conn:
            ticket = self._lock_ticket(conn, ticket_id, now)  # also serialises two sends of one reply
            if not ticket["session_id"]:
                raise NoConversation(ticket_id)
            if client_id:
                sent = self._agent_message_with(conn, ticket["session_id"], client_id)
                if sent is not None:
                    return ticket, sent, False
            meta = {"agent": agent_name, "display_name": display_name or agent_name, "ticket_id": ticket_id}
            if client_id:
                meta["client_id"] = client_id
            result = conn.execute(m.insert().values(session_id=ticket["session_id"], sender="agent", text=text,
                                                    meta=to_json(meta), created_at=moment))
            message_id = int(result.inserted_primary_key[0])
            values: dict[str, Any] = {}
            first = ticket["first_responded_at"] is None
            if first:
                values["first_responded_at"] = moment
            if ticket["status"] == "new":
                values["status"] = "open"
            if values:
                conn.execute(update(t).where(t.c.id == ticket_id).values(**values))
            self.record_event(ticket_id, agent_name, "replied",
                              {"message_id": message_id, "text": text, "first_response": first}, at=now, conn=conn)
            if "status" in values:
                self.record_event(ticket_id, agent_name, "status_changed", {"from": "new", "to": "open"},
                                  at=now, conn=conn)
        message = {"id": message_id, "sender": "agent", "text": text, "buttons": [], "meta": meta,
                   "created_at": now.astimezone(timezone.utc).isoformat()}
        return self.get_ticket(ticket_id), message, True

    @staticmethod
    def _agent_message_with(conn: Connection, session_id: str, client_id: str) -> dict | None:
        """The agent message of this chat sent with `client_id`, among its latest 50 agent messages."""
        m = schema.chat_messages
        rows = conn.execute(select(m).where(m.c.session_id == session_id, m.c.sender == "agent")
                            .order_by(m.c.id.desc()).limit(50)).mappings().all()
        for row in rows:
            meta = json.loads(row["meta"]) if row["meta"] else {}
            if meta.get("client_id") == client_id:
                return {"id": row["id"], "sender": "agent", "text": row["text"], "buttons": [], "meta": meta,
                        "created_at": aware_utc(row["created_at"]).isoformat()}
        return None

    def set_csat(self, ticket_id: str, session_id: str, score: int, comment: str | None,
                 now: datetime, details: dict | None = None) -> dict:
        """The customer's satisfaction score (1–5) for their own ticket; a later rating replaces it.

        Raises TicketNotFound when the ticket does not exist *or* belongs to another session.
        """
        t = schema.tickets
        with self.engine.begin() as conn:
            result = conn.execute(update(t).where(t.c.id == ticket_id, t.c.session_id == session_id).values(
                csat=score, csat_comment=comment, csat_at=naive_utc(now), updated_at=naive_utc(now)))
            if result.rowcount == 0:
                raise TicketNotFound(ticket_id)
            self.record_event(ticket_id, "customer", "csat", details or {"score": score, "comment": comment},
                              at=now, conn=conn)
        return self.get_ticket(ticket_id)

    def escalate_overdue(self, now: datetime) -> list[tuple[dict, dict]]:
        """Flags every overdue, not yet escalated ticket once: `escalated_at`, priority one step up,
        an `escalated` event. Returns [(ticket, event details)] for the ones escalated now.

        The conditional UPDATE makes this safe when several replicas run it at the same moment.
        """
        t = schema.tickets
        moment = naive_utc(now)
        now = aware_utc(moment)
        query = select(t).where(overdue_condition(now), t.c.escalated_at.is_(None)).order_by(t.c.created_at)
        with self.engine.connect() as conn:
            candidates = [ticket_dict(row) for row in conn.execute(query).mappings().all()]
        escalated = []
        for ticket in candidates:
            unanswered = ticket["first_responded_at"] is None and ticket["first_response_due"] < now
            details = {"reason": "first_response" if unanswered else "resolution",
                       "due": (ticket["first_response_due"] if unanswered else ticket["resolution_due"]).isoformat(),
                       "from": ticket["priority"], "to": PRIORITY_STEP_UP[ticket["priority"]]}
            with self.engine.begin() as conn:
                result = conn.execute(update(t).where(t.c.id == ticket["id"], t.c.escalated_at.is_(None)).values(
                    escalated_at=moment, priority=details["to"], updated_at=moment))
                if result.rowcount == 0:
                    continue  # another replica got there first
                self.record_event(ticket["id"], "system", "escalated", details, at=now, conn=conn)
            escalated.append((self.get_ticket(ticket["id"]), details))
        return escalated
