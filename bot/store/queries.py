"""Finding tickets: the desk's filtered queue, one customer's tickets, repeat contacts, and how
fast hand-offs were claimed lately.

Mixed into `Store` (bot.store.db). Read-only; a customer's tickets are only ever found by their
own chat session or verified customer id, never "everyone's" when neither is known.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func, or_, select

from bot.domain.intake import WITHDRAWN
from bot.domain.taxonomy import ACTIVE_STATUSES, DONE_STATUSES
from bot.store import schema
from bot.store.rows import naive_utc, ticket_dict


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


def overdue_condition(now: datetime):
    """SQL: still open and past its first-response (unanswered) or resolution due time."""
    t = schema.tickets
    moment = naive_utc(now)
    return and_(t.c.status.in_(ACTIVE_STATUSES),
                or_(and_(t.c.first_responded_at.is_(None), t.c.first_response_due < moment),
                    t.c.resolution_due < moment))


def customer_clause(session_id: str | None, customer_ref: str | None):
    """Tickets of one customer: by chat session and/or verified customer id; None when neither is known."""
    t = schema.tickets
    options = []
    if session_id:
        options.append(t.c.session_id == session_id)
    if customer_ref:
        options.append(t.c.customer_ref == customer_ref)
    return or_(*options) if options else None


# What makes two tickets the same customer's (issue 15, the desk's history panel).
HISTORY_KEYS = ("customer_ref", "phone", "order_number", "session_id")


def _like_escape(text: str) -> str:
    return re.sub(r"([\\%_])", r"\\\1", text)


class TicketQueries:
    """Ticket look-ups of `Store`; needs `self.engine`."""

    engine: Any

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
        return [ticket_dict(row) for row in rows], total

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
        belongs = customer_clause(session_id, customer_ref)
        if belongs is None:
            return []
        query = select(t).where(belongs).order_by(t.c.created_at.desc(), t.c.id.desc()).limit(limit)
        with self.engine.connect() as conn:
            return [ticket_dict(row) for row in conn.execute(query).mappings().all()]

    def customer_history(self, ticket: dict, limit: int = 20) -> tuple[list[tuple[dict, list[str]]], int]:
        """Tickets created before `ticket` that share its verified customer id, phone, order number
        or chat session, newest first, each with what it shares; and how many there are in all.

        Agents only (the route says so): the match is by the ticket's own fields, so a customer's
        history never comes from anything the caller typed."""
        t = schema.tickets
        keys = {name: ticket.get(name) for name in HISTORY_KEYS if ticket.get(name)}
        if not keys:
            return [], 0
        where = and_(or_(*[t.c[name] == value for name, value in keys.items()]), t.c.id != ticket["id"],
                     t.c.created_at <= naive_utc(ticket["created_at"]))
        query = select(t).where(where).order_by(t.c.created_at.desc(), t.c.id.desc()).limit(limit)
        count = select(func.count()).select_from(t).where(where)
        with self.engine.connect() as conn:
            rows = [ticket_dict(row) for row in conn.execute(query).mappings().all()]
            total = int(conn.execute(count).scalar_one())
        return [(row, [name for name, value in keys.items() if row[name] == value]) for row in rows], total

    def count_recent_tickets(self, since: datetime, session_id: str | None = None,
                             customer_ref: str | None = None, exclude_key_prefix: str | None = None) -> int:
        """How many tickets this customer (session or customer id) opened since `since`, not counting
        those whose idempotency key starts with `exclude_key_prefix`, nor records the customer
        withdrew while they were being collected (a complaint taken back is no earlier contact)."""
        t = schema.tickets
        belongs = customer_clause(session_id, customer_ref)
        if belongs is None:
            return 0
        query = select(func.count()).select_from(t).where(belongs, t.c.created_at >= naive_utc(since),
                                                          t.c.intake != WITHDRAWN)
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
        return ticket_dict(row) if row else None

    def handoff_claim_minutes(self, since: datetime, limit: int = 500) -> list[float]:
        """For hand-off tickets (转人工) created since `since`: minutes from creation until an agent
        first took each one (for the live queue's wait estimate); unclaimed ones are left out."""
        t, e = schema.tickets, schema.ticket_events
        query = (select(t.c.created_at, func.min(e.c.at)).select_from(t.join(e, e.c.ticket_id == t.c.id))
                 .where(t.c.handoff_requested.is_(True), t.c.created_at >= naive_utc(since),
                        e.c.action == "assigned")
                 .group_by(t.c.id, t.c.created_at).limit(limit))
        with self.engine.connect() as conn:
            return [(claimed - created).total_seconds() / 60 for created, claimed in conn.execute(query)
                    if claimed >= created]
