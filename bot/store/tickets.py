"""Tickets in the database: numbering, idempotent creation, search, changes and the audit trail.

Mixed into `Store` (bot.store.db). The rules that decide *what* a ticket says (triage, due times)
live in bot.services.tickets; these methods only keep the data consistent:

- ticket ids `TK-YYYYMMDD-NNNN` count per shop-local day in `ticket_counters`, incremented in the
  same transaction as the insert, so concurrent creates (threads, processes, replicas on
  PostgreSQL) never share a number and a failed insert never burns one;
- the caller's `idempotency_key` is unique: a retried submission returns the first ticket;
- every change writes a row to `ticket_events` in the same transaction as the change.
"""
from __future__ import annotations

import csv
import io
import json
import random
import re
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, func, or_, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError, OperationalError

from bot.domain.taxonomy import ACTIVE_STATUSES, DONE_STATUSES
from bot.store import schema

PRIORITY_STEP_UP = {"normal": "high", "high": "urgent", "urgent": "urgent"}

# Creation retries: a unique-key race (same idempotency key, first counter row of a day) or a
# SQLite lock that outlived busy_timeout. Each retry starts a fresh transaction.
CREATE_ATTEMPTS = 12


class TicketNotFound(LookupError):
    """No ticket with that id (or not one the caller may see)."""


class NoConversation(ValueError):
    """The ticket has no chat session to send a reply to (e.g. entered by an agent)."""


def naive_utc(value: datetime | None) -> datetime | None:
    """Aware datetime → naive UTC for storage; naive values are taken as UTC already."""
    if value is None:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc).replace(tzinfo=None)
    return value


def aware_utc(value: datetime | None) -> datetime | None:
    return None if value is None else value.replace(tzinfo=timezone.utc)


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _like_escape(text: str) -> str:
    return re.sub(r"([\\%_])", r"\\\1", text)


@dataclass
class TicketFilter:
    """What `find_tickets` looks for; every field narrows the result (all None = everything)."""

    statuses: list[str] = field(default_factory=list)
    priorities: list[str] = field(default_factory=list)
    issue_types: list[str] = field(default_factory=list)
    assignee: str | None = None  # an agent's name
    unassigned: bool = False
    overdue: bool | None = None  # True: only overdue; False: only not overdue
    customer_ref: str | None = None
    session_id: str | None = None
    q: str | None = None  # ticket id, order number or phone
    created_from: datetime | None = None  # aware, inclusive
    created_to: datetime | None = None  # aware, exclusive
    limit: int = 100
    offset: int = 0


def _ticket_dict(row) -> dict:
    ticket = dict(row)
    ticket["risk_flags"] = json.loads(ticket["risk_flags"] or "[]")
    ticket["triage_reasons"] = json.loads(ticket["triage_reasons"] or "[]")
    ticket["complex_case"] = bool(ticket["complex_case"])
    ticket["off_hours"] = bool(ticket["off_hours"])
    ticket["handoff_requested"] = bool(ticket["handoff_requested"])
    for name in ("created_at", "updated_at", "first_response_due", "resolution_due", "first_responded_at",
                 "resolved_at", "escalated_at", "csat_at"):
        ticket[name] = aware_utc(ticket[name])
    return ticket


def _event_dict(row) -> dict:
    return {"id": row["id"], "ticket_id": row["ticket_id"], "actor": row["actor"], "action": row["action"],
            "details": json.loads(row["details"]) if row["details"] else {}, "at": aware_utc(row["at"])}


def overdue_condition(now: datetime):
    """SQL: still open and past its first-response (unanswered) or resolution due time."""
    t = schema.tickets
    moment = naive_utc(now)
    return and_(t.c.status.in_(ACTIVE_STATUSES),
                or_(and_(t.c.first_responded_at.is_(None), t.c.first_response_due < moment),
                    t.c.resolution_due < moment))


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
        row["risk_flags"] = _json(list(values.get("risk_flags") or []))
        row["triage_reasons"] = _json(list(values.get("triage_reasons") or []))
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
                        "channel": row["channel"]}, at=row["created_at"], conn=conn)
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
        return _ticket_dict(row) if row else None

    def ticket_by_idempotency_key(self, key: str) -> dict | None:
        t = schema.tickets
        with self.engine.connect() as conn:
            row = conn.execute(select(t).where(t.c.idempotency_key == key)).mappings().first()
        return _ticket_dict(row) if row else None

    def find_tickets(self, filters: TicketFilter, now: datetime) -> tuple[list[dict], int]:
        """Tickets matching `filters`, open ones first, then by urgency, then by the next due time.

        Returns (one page of tickets, total matching).
        """
        t = schema.tickets
        conditions = []
        if filters.statuses:
            conditions.append(t.c.status.in_(filters.statuses))
        if filters.priorities:
            conditions.append(t.c.priority.in_(filters.priorities))
        if filters.issue_types:
            conditions.append(t.c.issue_type.in_(filters.issue_types))
        if filters.unassigned:
            conditions.append(t.c.assignee.is_(None))
        elif filters.assignee is not None:
            conditions.append(t.c.assignee == filters.assignee)
        if filters.overdue is True:
            conditions.append(overdue_condition(now))
        elif filters.overdue is False:
            conditions.append(~overdue_condition(now))
        if filters.customer_ref is not None:
            conditions.append(t.c.customer_ref == filters.customer_ref)
        if filters.session_id is not None:
            conditions.append(t.c.session_id == filters.session_id)
        if filters.created_from is not None:
            conditions.append(t.c.created_at >= naive_utc(filters.created_from))
        if filters.created_to is not None:
            conditions.append(t.c.created_at < naive_utc(filters.created_to))
        if filters.q:
            conditions.append(self._search_condition(filters.q))
        where = and_(*conditions) if conditions else None
        next_due = case((t.c.first_responded_at.is_(None), t.c.first_response_due), else_=t.c.resolution_due)
        query = select(t).order_by(
            case((t.c.status.in_(DONE_STATUSES), 1), else_=0),
            case({"urgent": 0, "high": 1}, value=t.c.priority, else_=2),
            next_due, t.c.created_at, t.c.id,
        ).limit(filters.limit).offset(filters.offset)
        count = select(func.count()).select_from(t)
        if where is not None:
            query, count = query.where(where), count.where(where)
        with self.engine.connect() as conn:
            rows = conn.execute(query).mappings().all()
            total = int(conn.execute(count).scalar_one())
        return [_ticket_dict(row) for row in rows], total

    @staticmethod
    def _search_condition(q: str):
        t = schema.tickets
        text = q.strip()
        options = [t.c.id == text.upper()]
        compact = re.sub(r"[\s#：:]", "", text)
        if len(compact) >= 4:
            options.append(t.c.order_number.like(f"%{_like_escape(compact)}%", escape="\\"))
        digits = re.sub(r"\D", "", text)
        if len(digits) >= 4 and len(digits) == len(re.sub(r"[\s\-+]", "", text)):
            options.append(t.c.phone.like(f"%{digits}%"))
        return or_(*options)

    def tickets_for_customer(self, session_id: str | None = None, customer_ref: str | None = None,
                             limit: int = 20) -> list[dict]:
        """The asking customer's own tickets, newest first: by chat session and/or verified customer id.

        With neither given the answer is empty, never "everyone's".
        """
        t = schema.tickets
        belongs = _customer_clause(session_id, customer_ref)
        if belongs is None:
            return []
        query = select(t).where(belongs).order_by(t.c.created_at.desc(), t.c.id.desc()).limit(limit)
        with self.engine.connect() as conn:
            return [_ticket_dict(row) for row in conn.execute(query).mappings().all()]

    def count_recent_tickets(self, since: datetime, session_id: str | None = None,
                             customer_ref: str | None = None, exclude_key_prefix: str | None = None) -> int:
        """How many tickets this customer (session or customer id) opened since `since`, not counting
        those whose idempotency key starts with `exclude_key_prefix`."""
        t = schema.tickets
        belongs = _customer_clause(session_id, customer_ref)
        if belongs is None:
            return 0
        query = select(func.count()).select_from(t).where(belongs, t.c.created_at >= naive_utc(since))
        if exclude_key_prefix:
            query = query.where(~t.c.idempotency_key.startswith(exclude_key_prefix, autoescape=True))
        with self.engine.connect() as conn:
            return int(conn.execute(query).scalar_one())

    def active_ticket_for_session(self, session_id: str) -> dict | None:
        """The newest unresolved ticket of a chat session (e.g. to route messages to its agent)."""
        t = schema.tickets
        query = (select(t).where(t.c.session_id == session_id, t.c.status.in_(ACTIVE_STATUSES))
                 .order_by(t.c.created_at.desc(), t.c.id.desc()).limit(1))
        with self.engine.connect() as conn:
            row = conn.execute(query).mappings().first()
        return _ticket_dict(row) if row else None

    def customer_texts(self, session_id: str, limit: int = 200) -> list[str]:
        """What the customer typed in a session, oldest first (for triage of the whole conversation)."""
        m = schema.chat_messages
        query = (select(m.c.text).where(m.c.session_id == session_id, m.c.sender == "customer")
                 .order_by(m.c.id).limit(limit))
        with self.engine.connect() as conn:
            return [row[0] for row in conn.execute(query)]

    # -- the audit trail -------------------------------------------------------------------
    def record_event(self, ticket_id: str, actor: str, action: str, details: dict | None = None,
                     at: datetime | None = None, conn: Connection | None = None) -> None:
        """Appends one entry to a ticket's audit trail (inside `conn`'s transaction when given)."""
        values = dict(ticket_id=ticket_id, actor=actor[:64], action=action,
                      details=_json(details) if details else None,
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
        return [_event_dict(row) for row in rows]

    # -- changing --------------------------------------------------------------------------
    @staticmethod
    def _lock_ticket(conn: Connection, ticket_id: str, now: datetime) -> dict:
        # Writing first takes the lock (SQLite: the database, PostgreSQL: the row), so the read
        # that follows cannot be overtaken by another agent's change.
        t = schema.tickets
        result = conn.execute(update(t).where(t.c.id == ticket_id).values(updated_at=naive_utc(now)))
        if result.rowcount == 0:
            raise TicketNotFound(ticket_id)
        return _ticket_dict(conn.execute(select(t).where(t.c.id == ticket_id)).mappings().one())

    def update_ticket(self, ticket_id: str, changes: dict[str, Any], actor: str, now: datetime,
                      note: str | None = None) -> tuple[dict, list[dict]]:
        """Applies `changes` (status, assignee, priority) and an internal note; audits each change.

        Claiming a new ticket (setting an assignee without a status) opens it. Resolving stamps
        `resolved_at`; reopening clears it. Returns (ticket, the events written). Raises
        TicketNotFound.
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
                written.append({"action": "status_changed", "details": {"from": before["status"], "to": status}})
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
                  display_name: str | None = None) -> tuple[dict, dict]:
        """An agent's message to the customer: written to the chat (sender `agent`) so the customer
        sees it, audited, and the first one stamps `first_responded_at`. A new ticket becomes open.

        Returns (ticket, message). Raises TicketNotFound, NoConversation.
        """
        t, m = schema.tickets, schema.chat_messages
        moment = naive_utc(now)
        with self.engine.begin() as conn:
            ticket = self._lock_ticket(conn, ticket_id, now)
            if not ticket["session_id"]:
                raise NoConversation(ticket_id)
            meta = {"agent": agent_name, "display_name": display_name or agent_name, "ticket_id": ticket_id}
            result = conn.execute(m.insert().values(session_id=ticket["session_id"], sender="agent", text=text,
                                                    meta=_json(meta), created_at=moment))
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
        return self.get_ticket(ticket_id), message

    def set_csat(self, ticket_id: str, session_id: str, score: int, comment: str | None,
                 now: datetime) -> dict:
        """The customer's satisfaction score (1–5) for their own ticket; a later rating replaces it.

        Raises TicketNotFound when the ticket does not exist *or* belongs to another session.
        """
        t = schema.tickets
        with self.engine.begin() as conn:
            result = conn.execute(update(t).where(t.c.id == ticket_id, t.c.session_id == session_id).values(
                csat=score, csat_comment=comment, csat_at=naive_utc(now), updated_at=naive_utc(now)))
            if result.rowcount == 0:
                raise TicketNotFound(ticket_id)
            self.record_event(ticket_id, "customer", "csat", {"score": score, "comment": comment}, at=now, conn=conn)
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
            candidates = [_ticket_dict(row) for row in conn.execute(query).mappings().all()]
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

    # -- export ----------------------------------------------------------------------------
    def export_csv(self, start: datetime, end: datetime, tz: str | ZoneInfo) -> str:
        """Tickets created in [start, end) as CSV for the shop's spreadsheet (UTF-8 with BOM, so
        Excel opens the Chinese text correctly); times in the shop's zone, phones masked (also in the
        description), and
        cells a spreadsheet would run as a formula defused with a leading apostrophe."""
        from bot.domain.privacy import mask_personal_data, mask_phone
        from bot.domain.taxonomy import CATEGORIES, EXPECTATIONS, ISSUE_TYPES, PRIORITIES, STATUSES

        zone = ZoneInfo(tz) if isinstance(tz, str) else tz
        t = schema.tickets
        query = (select(t).where(t.c.created_at >= naive_utc(start), t.c.created_at < naive_utc(end))
                 .order_by(t.c.created_at, t.c.id))

        def local(value: datetime | None) -> str:
            return value.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S") if value else ""

        def label(table: dict, key: str | None) -> str:
            value = table.get(key or "")
            return getattr(value, "label", value) or ""

        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow([
            "ticket_id", "created_at", "status", "status_zh", "priority", "priority_zh", "category", "category_zh",
            "issue_type", "issue_type_zh", "expectation", "expectation_zh", "order_number", "order_number_status",
            "channel", "customer_ref", "phone", "risk_flags", "off_hours", "assignee", "first_response_due",
            "first_responded_at", "first_response_on_time", "resolution_due", "resolved_at", "resolved_on_time",
            "escalated_at", "csat", "csat_comment", "description"])
        with self.engine.connect() as conn:
            for row in conn.execute(query).mappings():
                k = _ticket_dict(row)
                on_time = "" if k["first_responded_at"] is None else \
                    ("yes" if k["first_responded_at"] <= k["first_response_due"] else "no")
                resolved_on_time = "" if k["resolved_at"] is None else \
                    ("yes" if k["resolved_at"] <= k["resolution_due"] else "no")
                writer.writerow([_cell(v) for v in (
                    k["id"], local(k["created_at"]), k["status"], label(STATUSES, k["status"]), k["priority"],
                    label(PRIORITIES, k["priority"]), k["category"], label(CATEGORIES, k["category"]),
                    k["issue_type"], label(ISSUE_TYPES, k["issue_type"]), k["expectation"] or "",
                    label(EXPECTATIONS, k["expectation"]), k["order_number"] or "", k["order_number_status"],
                    k["channel"], k["customer_ref"] or "", mask_phone(k["phone"]), " ".join(k["risk_flags"]),
                    "yes" if k["off_hours"] else "no", k["assignee"] or "", local(k["first_response_due"]),
                    local(k["first_responded_at"]), on_time, local(k["resolution_due"]), local(k["resolved_at"]),
                    resolved_on_time, local(k["escalated_at"]), "" if k["csat"] is None else k["csat"],
                    k["csat_comment"] or "", mask_personal_data(k["description"]))])
        return "\ufeff" + buffer.getvalue()


def _cell(value: Any) -> Any:
    # CSV injection: =, +, -, @ (and tab/CR) at the start make spreadsheets evaluate a cell.
    if isinstance(value, str) and value and value[0] in "=+-@\t\r":
        return "'" + value
    return value


def day_bounds(first: date, last: date, tz: str | ZoneInfo) -> tuple[datetime, datetime]:
    """[start of `first`, start of the day after `last`) in the shop's zone, as aware datetimes."""
    zone = ZoneInfo(tz) if isinstance(tz, str) else tz
    start = datetime.combine(first, datetime.min.time(), tzinfo=zone)
    end = datetime.combine(last + timedelta(days=1), datetime.min.time(), tzinfo=zone)
    return start, end


def _customer_clause(session_id: str | None, customer_ref: str | None):
    """Tickets of one customer: by chat session and/or verified customer id; None when neither is known."""
    t = schema.tickets
    options = []
    if session_id:
        options.append(t.c.session_id == session_id)
    if customer_ref:
        options.append(t.c.customer_ref == customer_ref)
    return or_(*options) if options else None
