"""The desk's day-one tools around the queue (issue 15): bulk claim / assign / close, and a
customer's earlier tickets on the ticket page. Agents only: a customer's history is for the people
serving them, and each bulk change is made in the calling agent's name. The database work runs in
a worker thread (`ctx.db.run`, bot.services.store_access)."""
from __future__ import annotations

from sanic import Blueprint, Request
from sanic.response import json

from bot.services.tickets import ticket_view
from bot.services.tickets.bulk import BulkOutcome, bulk_update
from bot.web.auth import Caller
from bot.web.contract import AGENT, operation
from bot.web.http import BadRequest
from bot.web.routes.tickets import now_utc
from bot.web.schemas.base import invalid_field
from bot.web.schemas.fields import TicketId
from bot.web.schemas.queue import BulkAnswer, BulkChange, CustomerHistory

bp = Blueprint("queue")

HISTORY_LIMIT = 50


def _message(outcome: BulkOutcome, agent_name) -> str:
    if outcome.error == "ticket_not_found":
        return "找不到这个工单。"
    if outcome.error == "assigned_to_other":
        return f"已由 {agent_name(outcome.details['assignee'])} 负责，没有改派；如需改派请用「分派给」。"
    return "还没有回复过顾客，关闭需要填写原因。"


@bp.post("/api/tickets/bulk")
@operation("One action for several tickets (claim, assign, close); each ticket succeeds or fails on its own",
           access=AGENT, responses={200: BulkAnswer})
async def bulk_tickets(request: Request, caller: Caller, body: BulkChange):
    ctx = request.app.ctx
    now = now_utc(request)
    names: dict[str, str] = {}

    def agent_name(name: str) -> str:
        if name not in names:
            agent = ctx.store.get_agent(name)
            names[name] = agent["display_name"] if agent else name
        return names[name]

    def change() -> list[dict]:  # worker thread
        if body.action == "assign":
            agent = ctx.store.get_agent(body.assignee) if len(body.assignee) <= 64 else None
            if agent is None or not agent["active"]:
                raise invalid_field("assignee", f"没有名为 {body.assignee[:40]!r} 的在岗客服。", "unknown_agent")
        outcomes = bulk_update(ctx.tickets, body.ids, body.action, caller.name, assignee=body.assignee,
                               reason=(body.reason or "").strip() or None, now=now)
        results = []
        for outcome in outcomes:
            result = {"id": outcome.id, "ok": outcome.ok, "changed": outcome.changed}
            if not outcome.ok:
                result.update(error=outcome.error, message=_message(outcome, agent_name))
            if outcome.ticket is not None:
                result["ticket"] = ticket_view(outcome.ticket, now, ctx.settings.tz)
            results.append(result)
        return results

    results = await ctx.db.run_slow(change)  # up to 200 tickets: may take seconds
    succeeded = sum(1 for r in results if r["ok"])
    return json({"results": results, "succeeded": succeeded, "failed": len(results) - succeeded})


@bp.get("/api/tickets/<ticket_id>/history")
@operation("Earlier tickets of the same customer (same verified customer id, phone, order number or chat "
           "session), newest first", access=AGENT, responses={200: CustomerHistory})
async def customer_history(request: Request, caller: Caller, ticket_id: TicketId):
    ctx = request.app.ctx

    def history() -> tuple[list, int]:  # worker thread
        ticket = ctx.store.get_ticket(ticket_id)
        if ticket is None:
            raise BadRequest("ticket_not_found", "找不到这个工单。", status=404)
        return ctx.store.customer_history(ticket, limit=HISTORY_LIMIT)

    found, total = await ctx.db.run(history)
    now = now_utc(request)
    return json({"tickets": [{**ticket_view(row, now, ctx.settings.tz), "matched_by": matched}
                             for row, matched in found], "total": total})
