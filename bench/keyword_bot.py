"""A shop's keyword auto-reply bot, in process, for the simulator to talk to as a baseline.

This is what many shops run today: fixed template replies and a ticket filed with whatever the
keyword rules (`scripts/baseline_keywords.py`, the same rules as NLU baseline (a)) find. It is
deliberately generous: it merges keywords over the whole conversation, keeps asking for what is
missing with one fixed template, and files the ticket once it has an order number (or the customer
says they have none) and a wish, or after four messages. No understanding beyond keywords.

It speaks the simulator's chat interface: `send(session_id, text)` and `tickets(session_id)`.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bench.common import ROOT

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
from scripts.baseline_keywords import parse_one  # noqa: E402

ASK_TEMPLATE = "亲，您的反馈已收到～请把订单号、遇到的问题和希望的处理方式发给我们，客服会尽快为您处理哦～"
FILED_TEMPLATE = "亲，已经为您登记好了，工单号 {id}，客服会在24小时内联系您，请耐心等待～"
HUMAN_TEMPLATE = "亲，正在为您转接人工客服，工单号 {id}，请稍候～"
MAX_MESSAGES = 4


@dataclass
class _Session:
    messages: list[str] = field(default_factory=list)
    issue_type: str | None = None
    order_number: str | None = None
    order_unknown: bool = False
    expectation: str | None = None
    ticket_id: str | None = None


class KeywordBot:
    def __init__(self) -> None:
        self.sessions: dict[str, _Session] = {}
        self.tickets_by_session: dict[str, list[dict[str, Any]]] = {}
        self.counter = 0

    def _file(self, session_id: str, state: _Session) -> str:
        if state.ticket_id is None:
            self.counter += 1
            state.ticket_id = f"TK-{datetime.now():%Y%m%d}-{self.counter:04d}"
            self.tickets_by_session.setdefault(session_id, []).append({})
        ticket = self.tickets_by_session[session_id][-1]
        ticket.update({
            "id": state.ticket_id, "session_id": session_id, "order_number": state.order_number,
            "issue_type": state.issue_type or "other_complaint", "expectation": state.expectation or "other",
            "description": "\n".join(state.messages)})
        return state.ticket_id

    def reply(self, session_id: str, text: str) -> list[dict[str, Any]]:
        state = self.sessions.setdefault(session_id, _Session())
        state.messages.append(text)
        parsed = parse_one(text)
        state.issue_type = state.issue_type or parsed["issue_type"]  # the first rule that fired routes it
        state.order_number = parsed["order_number"] or state.order_number
        state.expectation = parsed["expectation"] or state.expectation
        state.order_unknown = state.order_unknown or parsed["intent"] == "dont_know"
        if parsed["intent"] == "request_human":
            return [{"text": HUMAN_TEMPLATE.format(id=self._file(session_id, state))}]
        if state.ticket_id is None and (
                (state.order_number or state.order_unknown) and state.expectation
                or len(state.messages) >= MAX_MESSAGES):
            return [{"text": FILED_TEMPLATE.format(id=self._file(session_id, state))}]
        if state.ticket_id:
            self._file(session_id, state)
            return [{"text": FILED_TEMPLATE.format(id=state.ticket_id)}]
        return [{"text": ASK_TEMPLATE}]

    # -- the simulator's chat interface ------------------------------------------------------
    async def send(self, session_id: str, text: str) -> tuple[int, dict]:
        return 200, {"replies": self.reply(session_id, text), "mode": "bot"}

    async def tickets(self, session_id: str, ticket_id: str | None = None) -> list[dict]:
        return [dict(t) for t in self.tickets_by_session.get(session_id, [])]
