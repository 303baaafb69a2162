"""The desk queue's bulk actions and a customer's history (bot/web/routes/queue.py, issue 15)."""
from __future__ import annotations

from typing import Any, Optional

from pydantic import root_validator

from bot.services.tickets.bulk import BULK_ACTIONS, MAX_BULK
from bot.web.schemas.base import Body
from bot.web.schemas.fields import Problem, choice, field
from bot.web.schemas.tickets import AgentName, Reason, TicketRef
from bot.web.schemas.views import Ticket, View

BulkAction = choice(BULK_ACTIONS)
MatchedBy = choice(("customer_ref", "phone", "order_number", "session_id"))
BULK_ERRORS = choice(("ticket_not_found", "assigned_to_other", "reason_required"))


class BulkChange(Body):
    """`POST /api/tickets/bulk`: one action for several tickets."""

    ids: list[TicketRef] = field(
        min_items=1, max_items=MAX_BULK, description=f"ticket ids, 1–{MAX_BULK}; repeated ids count once",
        messages={"invalid": f"字段 ids 必须是 1–{MAX_BULK} 个工单号的列表。"})
    action: BulkAction = field(description=(
        "claim: assign to me (tickets a colleague holds are left alone); assign: to `assignee`; "
        "close: status closed"))
    assignee: Optional[AgentName] = field(None, description="with assign: an active agent's name")
    reason: Optional[Reason] = field(None, description=(
        "with close: one reason for all of them, recorded and told to each customer; without it a ticket "
        "nobody replied to is refused (reason_required) and the others are closed"))
    wording = {"unknown_field": "不能使用字段 {name}，可用：{fields}。"}

    class Config:
        extra = "forbid"

    @root_validator(skip_on_failure=True)
    def _assignee_for_assign(cls, values: dict[str, Any]) -> dict[str, Any]:
        if values.get("action") == "assign" and not values.get("assignee"):
            raise Problem("missing", field="assignee")
        return values


class BulkResult(View):
    sometimes = ("error", "message", "ticket")

    id: str = field(description="the id as sent, upper-cased")
    ok: bool
    changed: bool = field(description="false when the ticket already was as asked")
    error: BULK_ERRORS = field(description="why this ticket was left as it was")
    message: str = field(description="the same, in Chinese for the agent")
    ticket: Ticket = field(description="the ticket now (absent when it does not exist)")


class BulkAnswer(View):
    results: list[BulkResult] = field(description="one per distinct id, in the order sent")
    succeeded: int
    failed: int


class HistoryTicket(Ticket):
    matched_by: list[MatchedBy] = field(description="what this ticket shares with the one asked about")


class CustomerHistory(View):
    tickets: list[HistoryTicket] = field(description="earlier tickets of the same customer, newest first")
    total: int = field(description="all such tickets (the list stops at `limit`)")
