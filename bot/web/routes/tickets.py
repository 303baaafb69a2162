"""The ticket API: create, list, read, change, reply, export; progress and ratings for customers.

Who may call what (bot.web.auth): machines with the bearer token, agents with their login cookie.
Replies to customers are agents-only (a person answers); `/api/progress` and ratings are for the
assistant only and answer strictly for the asking customer. Each route's contract — access, path,
query and body models (bot/web/schemas/tickets.py), answers (bot/web/schemas/views.py) — is declared
on it with `@operation`, which enforces it; `GET /api/openapi.json` describes the same declarations.
The database is used from worker threads with a bounded wait (`ctx.db.run`,
bot.services.store_access): a locked database makes a route answer 503 `store_busy` (bot.web.app)
instead of holding up every other request.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sanic import Blueprint, Request
from sanic.response import json, raw

from bot.domain.privacy import mask_message
from bot.services.attachments import attachment_view
from bot.services.tickets import ReasonRequired, customer_view, event_view, ticket_view
from bot.store import NoConversation, TicketClosed, TicketFilter, TicketNotFound
from bot.store.tickets import day_bounds
from bot.web.auth import Caller
from bot.web.contract import AGENT, EITHER, MACHINE, Reply, operation
from bot.web.http import BadRequest
from bot.web.schemas.base import invalid_field
from bot.web.schemas.fields import TicketId
from bot.web.schemas.tickets import (
    EXPORT_YEARS,
    MAX_EXPORT_DAYS,
    AgentReply,
    ExportQuery,
    IntakeChange,
    NewTicketBody,
    ProgressQuery,
    Rating,
    TicketChange,
    TicketQuery,
)
from bot.web.schemas.views import (
    ChangedTicket,
    CustomerTickets,
    OneTicket,
    RatedTicket,
    SentReply,
    TicketCreated,
    TicketList,
)

bp = Blueprint("tickets")


def now_utc(request: Request) -> datetime:
    return request.app.ctx.clock()


def _not_found() -> BadRequest:
    return BadRequest("ticket_not_found", "找不到这个工单。", status=404)


def _transcript(store, ticket: dict) -> list[dict]:
    if not ticket["session_id"]:
        return []
    return [mask_message(m) for m in store.list_messages(ticket["session_id"], limit=5000)]


def _ticket_page(store, ticket_id: str) -> tuple[dict, list[dict], list[dict], list[dict]] | None:
    """(worker thread) A ticket, its transcript, audit trail and photos; None when there is none."""
    ticket = store.get_ticket(ticket_id)
    if ticket is None:
        return None
    attachments = store.session_attachments(ticket["session_id"]) if ticket["session_id"] else []
    return ticket, _transcript(store, ticket), store.list_events(ticket["id"]), attachments


# -- machine and agent endpoints -------------------------------------------------------------------

@bp.post("/api/tickets")
@operation("Create a ticket (idempotent)", access=EITHER, responses={
    201: Reply(TicketCreated, "created"), 200: Reply(TicketCreated, "already created with this idempotency_key")})
async def create_ticket(request: Request, caller: Caller, body: NewTicketBody):
    ctx = request.app.ctx
    now = now_utc(request)
    ticket, created = await ctx.db.run(ctx.tickets.open, body.new_ticket(created_by=caller.name),
                                       now=body.created_at(now))
    view = ticket_view(ticket, now, ctx.settings.tz)
    return json({"id": ticket["id"], "created": created, "first_response_due_text": view["first_response_due_text"],
                 "ticket": view}, status=201 if created else 200)


@bp.get("/api/tickets")
@operation("List tickets: open first, then urgent → normal, then the next due time", access=EITHER,
           responses={200: TicketList})
async def list_tickets(request: Request, caller: Caller, query: TicketQuery):
    ctx = request.app.ctx
    assignee = query.assignee
    unassigned = assignee == "none"
    if assignee == "me":
        if not caller.is_agent:
            raise BadRequest("invalid_filter", "assignee=me 只能在客服登录后使用。", field="assignee")
        assignee = caller.name
    filters = TicketFilter(
        statuses=query.status, priorities=query.priority, issue_types=query.issue_type,
        assignee=None if unassigned else assignee, unassigned=unassigned, overdue=query.overdue,
        customer_ref=query.customer_ref, session_id=query.session_id, q=query.q,
        limit=query.limit, offset=query.offset,
    )
    now = now_utc(request)
    tickets, total = await ctx.db.run(ctx.store.find_tickets, filters, now)
    return json({"tickets": [ticket_view(t, now, ctx.settings.tz) for t in tickets], "total": total,
                 "limit": filters.limit, "offset": filters.offset})


@bp.get("/api/tickets/export.csv")
@operation("Tickets created in a date range (shop-local days, inclusive) as CSV (UTF-8 with BOM)", access=EITHER,
           responses={200: Reply(description="CSV", media_type="text/csv")})
async def export_tickets(request: Request, query: ExportQuery):
    ctx = request.app.ctx
    today = now_utc(request).astimezone(ctx.settings.tz).date()
    last = query.to or today
    first = query.from_ or last - timedelta(days=29)
    for name, day in (("to", last), ("from", first)):
        if not EXPORT_YEARS[0] <= day.year <= EXPORT_YEARS[1]:
            raise BadRequest("invalid_date", f"日期必须在 {EXPORT_YEARS[0]} 到 {EXPORT_YEARS[1]} 年之间。", field=name)
    if first > last:
        raise BadRequest("invalid_date", "起始日期 from 不能晚于结束日期 to。", field="from")
    if (last - first).days >= MAX_EXPORT_DAYS:
        raise BadRequest("invalid_date", f"一次最多导出 {MAX_EXPORT_DAYS} 天。", field="from")
    start, end = day_bounds(first, last, ctx.settings.tz)
    body = await ctx.db.run_slow(ctx.store.export_csv, start, end, ctx.settings.tz)
    return raw(body.encode("utf-8"), content_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="tickets_{first:%Y%m%d}_{last:%Y%m%d}.csv"',
        "Cache-Control": "no-store"})


@bp.get("/api/tickets/<ticket_id>")
@operation("One ticket with its transcript and audit trail", access=EITHER, responses={200: OneTicket})
async def get_ticket(request: Request, ticket_id: TicketId):
    ctx = request.app.ctx
    found = await ctx.db.run(_ticket_page, ctx.store, ticket_id)
    if found is None:
        raise _not_found()
    ticket, transcript, events, attachments = found
    view = ticket_view(ticket, now_utc(request), ctx.settings.tz)
    view["transcript"] = transcript
    view["events"] = [event_view(e) for e in events]
    view["attachments"] = [attachment_view(a) for a in attachments]
    return json({"ticket": view})


@bp.patch("/api/tickets/<ticket_id>")
@operation("Change status, assignee, priority; add an internal note", access=EITHER, responses={200: ChangedTicket})
async def update_ticket(request: Request, ticket_id: TicketId, caller: Caller, body: TicketChange):
    ctx = request.app.ctx
    changes: dict[str, Any] = body.changes()
    assignee = changes.get("assignee")
    note = body.note.strip() if body.note is not None else None

    def change() -> tuple[dict, list[dict]]:  # worker thread
        if assignee is not None:
            agent = ctx.store.get_agent(assignee) if len(assignee) <= 64 else None
            if agent is None or not agent["active"]:
                raise invalid_field("assignee", f"没有名为 {assignee[:40]!r} 的在岗客服。", "unknown_agent")
        return ctx.tickets.update(ticket_id, changes, caller.name, note=note, reason=body.reason,
                                  now=now_utc(request), by=caller.name)

    try:
        ticket, written = await ctx.db.run(change)
    except TicketNotFound:
        raise _not_found() from None
    except ReasonRequired:
        raise BadRequest("reason_required", "这个工单还没有回复过顾客：结束前请说明原因（例如：已电话联系顾客、"
                                            "顾客撤回），原因会记入处理记录并告知顾客。", status=422,
                         field="reason") from None
    return json({"ticket": ticket_view(ticket, now_utc(request), ctx.settings.tz), "changes": written})


@bp.patch("/api/tickets/<ticket_id>/intake")
@operation("What the intake learnt about a complaint (assistant only): fields, raise-only priority, added risk "
           "flags, the customer's words appended once, intake state", access=MACHINE,
           responses={200: ChangedTicket}, errors=(409,))
async def update_intake(request: Request, ticket_id: TicketId, caller: Caller, body: IntakeChange):
    ctx = request.app.ctx
    now = now_utc(request)
    try:
        ticket, written = await ctx.db.run(ctx.tickets.update_intake, ticket_id, body.update(), caller.name, now=now)
    except TicketNotFound:
        raise _not_found() from None
    except TicketClosed:
        raise BadRequest("ticket_closed", "这个工单已经解决或关闭，登记信息不能再修改。", status=409) from None
    return json({"ticket": ticket_view(ticket, now, ctx.settings.tz), "changes": written})


@bp.post("/api/tickets/<ticket_id>/replies")
@operation("An agent's message to the customer (shown in the customer's chat)", access=AGENT,
           responses={201: Reply(SentReply, "sent")}, errors=(409,))
async def reply_to_customer(request: Request, ticket_id: TicketId, caller: Caller, body: AgentReply):
    ctx = request.app.ctx
    text = body.text
    now = now_utc(request)
    try:
        ticket, message = await ctx.db.run(ctx.tickets.reply, ticket_id, text.strip(), caller.name,
                                           display_name=caller.display_name, now=now, client_id=body.client_id)
    except TicketNotFound:
        raise _not_found() from None
    except NoConversation:
        raise BadRequest("no_conversation", "这个工单没有在线会话，无法在这里回复顾客。", status=409) from None
    return json({"message": message, "ticket": ticket_view(ticket, now, ctx.settings.tz)}, status=201)


# -- for the assistant, about one customer ------------------------------------------------------------

@bp.get("/api/progress")
@operation("The asking customer's own tickets (assistant only); others' are never returned", access=MACHINE,
           responses={200: CustomerTickets}, errors=(404, 422))
async def customer_progress(request: Request, query: ProgressQuery):
    ctx = request.app.ctx
    session_id, customer_ref, ticket_id = query.session_id, query.customer_ref, query.ticket_id
    if not session_id and not customer_ref:
        raise BadRequest("missing_customer", "需要 session_id 或 customer_ref 来确认是哪位顾客。", status=422)
    now = now_utc(request)

    def views() -> list[dict]:  # worker thread
        tickets = ctx.store.tickets_for_customer(session_id=session_id, customer_ref=customer_ref, limit=50)
        if ticket_id is not None:
            # Someone else's ticket and no ticket at all look the same: nothing leaks, not even existence.
            tickets = [t for t in tickets if t["id"] == ticket_id.upper()]
            if not tickets:
                raise _not_found()
        return [_customer_view(ctx, t, now) for t in tickets]

    return json({"tickets": await ctx.db.run(views)})


def _customer_view(ctx, ticket: dict, now: datetime) -> dict:
    """(worker thread) A ticket as the customer may see it, with the agent's display name."""
    agent = ctx.store.get_agent(ticket["assignee"]) if ticket["assignee"] else None
    return customer_view(ticket, now, ctx.settings.tz, agent["display_name"] if agent else None)


@bp.post("/api/tickets/<ticket_id>/csat")
@operation("The customer's rating of their own ticket (assistant only)", access=MACHINE,
           responses={200: RatedTicket})
async def rate_ticket(request: Request, ticket_id: TicketId, body: Rating):
    ctx = request.app.ctx
    session_id, score, comment = body.session_id, body.score, body.comment
    now = now_utc(request)

    def rate() -> dict:  # worker thread
        ticket = ctx.tickets.rate(ticket_id, session_id, score, (comment or "").strip() or None, now=now)
        return _customer_view(ctx, ticket, now)

    try:
        view = await ctx.db.run(rate)
    except TicketNotFound:
        raise _not_found() from None
    return json({"ticket": view})
