"""The ticket API: create, list, read, change, reply, export; progress and ratings for customers.

Who may call what (bot.web.auth): machines with the bearer token, agents with their login cookie.
Replies to customers are agents-only (a person answers); `/api/progress` and ratings are for the
assistant only and answer strictly for the asking customer. The full contract, with every field,
is in bot/web/openapi.py and served at `GET /api/openapi.json`.
"""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Any

from sanic import Blueprint, Request
from sanic.response import json, raw

from bot.domain.orders import normalise_order_number
from bot.domain.privacy import mask_message
from bot.domain.taxonomy import EXPECTATIONS, ISSUE_TYPES, PRIORITIES, STATUSES, TICKET_ID
from bot.services.tickets import (
    ORDER_NUMBER_STATUSES,
    RISK_FLAGS,
    NewTicket,
    customer_view,
    event_view,
    open_ticket,
    ticket_view,
)
from bot.store import NoConversation, TicketFilter, TicketNotFound
from bot.store.tickets import day_bounds
from bot.web.auth import authenticate
from bot.web.http import SESSION_ID, BadRequest, json_object, string_field
from bot.web.openapi import openapi_spec

bp = Blueprint("tickets")

MAX_DESCRIPTION_CHARS = 5000
MAX_NOTE_CHARS = 5000
MAX_CSAT_COMMENT_CHARS = 1000
MAX_EXPORT_DAYS = 366
MAX_SUBMISSION_AGE = timedelta(days=30)
MAX_PAGE = 500
IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9_\-.:]{1,128}$")
CHANNEL = re.compile(r"^[a-z0-9_\-]{1,32}$")
ORDER_NUMBER = re.compile(r"^[A-Za-z0-9\-]{4,64}$")
PHONE = re.compile(r"^\+?[\d\s\-]{5,24}$")
NO_CONTROL_CHARS = re.compile(r"^[^\x00-\x1f\x7f]+$")
PATCH_FIELDS = ("status", "assignee", "priority", "note")


def now_utc(request: Request) -> datetime:
    return request.app.ctx.clock()


# -- validation helpers -------------------------------------------------------------------------

def _invalid(name: str, message: str, code: str = "invalid_value", **extra: Any) -> BadRequest:
    return BadRequest(code, message, status=422, field=name, **extra)


def _choice(body: dict, name: str, allowed, *, required: bool = False) -> str | None:
    value = body.get(name)
    if value is None:
        if required:
            raise _invalid(name, f"缺少字段 {name}。", "missing_field")
        return None
    if not isinstance(value, str):
        raise _invalid(name, f"字段 {name} 必须是字符串。", "wrong_type")
    if value not in allowed:
        raise _invalid(name, f"字段 {name} 的值 {value[:40]!r} 不认识，可选：{'、'.join(allowed)}。",
                       allowed=list(allowed))
    return value


def _pattern(body: dict, name: str, pattern: re.Pattern, max_chars: int, hint: str, *,
             required: bool = False) -> str | None:
    value = string_field(body, name, required=required, max_chars=max_chars)
    if value is None:
        return None
    value = value.strip()
    if not value and not required:
        return None
    if not pattern.match(value):
        raise _invalid(name, f"字段 {name} 格式不对：{hint}")
    return value


def _boolean(body: dict, name: str) -> bool | None:
    value = body.get(name)
    if value is None or isinstance(value, bool):
        return value
    raise _invalid(name, f"字段 {name} 必须是 true 或 false。", "wrong_type")


def _ticket_id(ticket_id: str) -> str:
    ticket_id = ticket_id.strip().upper()
    if not TICKET_ID.match(ticket_id):
        raise _not_found()
    return ticket_id


def _not_found() -> BadRequest:
    return BadRequest("ticket_not_found", "找不到这个工单。", status=404)


def parse_new_ticket(body: dict, created_by: str) -> NewTicket:
    """Validates the body of `POST /api/tickets`; every problem is a 4xx naming the field."""
    key = _pattern(body, "idempotency_key", IDEMPOTENCY_KEY, 128,
                   "1–128 个字母、数字或 _-.:，同一次提交重试时保持不变。", required=True)
    session_id = _pattern(body, "session_id", SESSION_ID, 64, "只能包含字母、数字和 _-.:，最长 64 个字符。")
    customer_ref = _pattern(body, "customer_ref", NO_CONTROL_CHARS, 128, "不能包含控制字符，最长 128 个字符。")
    channel = _pattern(body, "channel", CHANNEL, 32, "小写字母、数字、_ 或 -，如 web、wechat、phone。") or "web"
    order_number = string_field(body, "order_number", required=False, max_chars=64)
    if order_number is not None:
        order_number = normalise_order_number(order_number) or None
        if order_number is not None and not ORDER_NUMBER.match(order_number):
            raise _invalid("order_number", "订单号只能包含字母、数字和 -，4–64 个字符。")
    order_status = _choice(body, "order_number_status", ORDER_NUMBER_STATUSES)
    issue_type = _choice(body, "issue_type", tuple(ISSUE_TYPES), required=True)
    expectation = _choice(body, "expectation", tuple(EXPECTATIONS))
    description = string_field(body, "description", required=True, max_chars=MAX_DESCRIPTION_CHARS)
    priority = _choice(body, "priority", tuple(PRIORITIES))
    flags = body.get("risk_flags")
    if flags is None:
        flags = []
    if not isinstance(flags, list) or not all(isinstance(flag, str) for flag in flags):
        raise _invalid("risk_flags", "字段 risk_flags 必须是字符串列表。", "wrong_type")
    unknown = [flag for flag in flags if flag not in RISK_FLAGS]
    if unknown:
        raise _invalid("risk_flags", f"不认识的风险标记：{'、'.join(f[:40] for f in unknown[:5])}。",
                       allowed=list(RISK_FLAGS))
    phone = _pattern(body, "phone", PHONE, 24, "数字，可带 +、空格或 -。")
    return NewTicket(
        idempotency_key=key, issue_type=issue_type, description=description.strip(), session_id=session_id,
        customer_ref=customer_ref, channel=channel, order_number=order_number, order_number_status=order_status,
        expectation=expectation, priority=priority, risk_flags=list(dict.fromkeys(flags)),
        off_hours=_boolean(body, "off_hours"), phone=re.sub(r"\D", "", phone) if phone else None,
        handoff_requested=bool(_boolean(body, "handoff_requested")), created_by=created_by)


def parse_submitted_at(body: dict, now: datetime) -> datetime:
    """When the assistant took the complaint. A ticket delivered late from the action server's
    outbox keeps the time the customer was promised from; a clock ahead of ours is ignored."""
    value = body.get("submitted_at")
    if value is None:
        return now
    if not isinstance(value, str):
        raise _invalid("submitted_at", "字段 submitted_at 必须是带时区的 ISO 8601 时间字符串。", "wrong_type")
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00")) if len(value) <= 40 else None
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None or moment.utcoffset() is None:
        raise _invalid("submitted_at", "字段 submitted_at 必须是带时区的 ISO 8601 时间，如 2026-11-23T09:30:00+08:00。")
    if moment < now - MAX_SUBMISSION_AGE:
        raise _invalid("submitted_at", "字段 submitted_at 太早了（超过 30 天）。")
    return min(moment.astimezone(now.tzinfo), now)


def _list_arg(request: Request, name: str, allowed) -> list[str]:
    raw_value = request.args.get(name)
    if raw_value is None or raw_value.strip() == "":
        return []
    values = [v.strip() for v in raw_value.split(",") if v.strip()]
    unknown = [v for v in values if v not in allowed]
    if unknown:
        raise BadRequest("invalid_filter", f"参数 {name} 的值 {unknown[0][:40]!r} 不认识，可选：{'、'.join(allowed)}。",
                         field=name, allowed=list(allowed))
    return values


def _int_arg(request: Request, name: str, default: int, low: int, high: int) -> int:
    raw_value = request.args.get(name)
    if raw_value is None or raw_value == "":
        return default
    if not raw_value.isdigit() or not low <= int(raw_value) <= high:
        raise BadRequest("invalid_filter", f"参数 {name} 必须是 {low} 到 {high} 之间的整数。", field=name)
    return int(raw_value)


def _text_arg(request: Request, name: str, max_chars: int, pattern: re.Pattern | None = None) -> str | None:
    value = request.args.get(name)
    if value is None or value.strip() == "":
        return None
    value = value.strip()
    if len(value) > max_chars or not NO_CONTROL_CHARS.match(value) or (pattern and not pattern.match(value)):
        raise BadRequest("invalid_filter", f"参数 {name} 格式不对或太长（最长 {max_chars} 个字符）。", field=name)
    return value


def _date_arg(request: Request, name: str, default: date) -> date:
    value = request.args.get(name)
    if value is None or value == "":
        return default
    try:
        if not re.match(r"^\d{4}-\d{2}-\d{2}$", value):
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        raise BadRequest("invalid_date", f"参数 {name} 必须是 YYYY-MM-DD 格式的日期。", field=name) from None


def _transcript(store, ticket: dict) -> list[dict]:
    if not ticket["session_id"]:
        return []
    return [mask_message(m) for m in store.list_messages(ticket["session_id"], limit=5000)]


# -- machine and agent endpoints -------------------------------------------------------------------

@bp.post("/api/tickets")
async def create_ticket(request: Request):
    caller = authenticate(request)
    body = json_object(request)
    new = parse_new_ticket(body, created_by=caller.name)
    ctx = request.app.ctx
    now = now_utc(request)
    created_at = parse_submitted_at(body, now)
    ticket, created = open_ticket(ctx.store, ctx.settings, new, now=created_at, hub=ctx.events,
                                  notifier=ctx.notifier)
    view = ticket_view(ticket, now, ctx.settings.tz)
    return json({"id": ticket["id"], "created": created, "first_response_due_text": view["first_response_due_text"],
                 "ticket": view}, status=201 if created else 200)


@bp.get("/api/tickets")
async def list_tickets(request: Request):
    caller = authenticate(request)
    ctx = request.app.ctx
    assignee = _text_arg(request, "assignee", 64)
    unassigned = assignee == "none"
    if assignee == "me":
        if not caller.is_agent:
            raise BadRequest("invalid_filter", "assignee=me 只能在客服登录后使用。", field="assignee")
        assignee = caller.name
    overdue_arg = request.args.get("overdue")
    if overdue_arg not in (None, "", "true", "false"):
        raise BadRequest("invalid_filter", "参数 overdue 只能是 true 或 false。", field="overdue")
    filters = TicketFilter(
        statuses=_list_arg(request, "status", tuple(STATUSES)),
        priorities=_list_arg(request, "priority", tuple(PRIORITIES)),
        issue_types=_list_arg(request, "issue_type", tuple(ISSUE_TYPES)),
        assignee=None if unassigned else assignee, unassigned=unassigned,
        overdue={"true": True, "false": False}.get(overdue_arg or ""),
        customer_ref=_text_arg(request, "customer_ref", 128),
        session_id=_text_arg(request, "session_id", 64, SESSION_ID),
        q=_text_arg(request, "q", 64),
        limit=_int_arg(request, "limit", 100, 1, MAX_PAGE),
        offset=_int_arg(request, "offset", 0, 0, 10_000_000),
    )
    now = now_utc(request)
    tickets, total = ctx.store.find_tickets(filters, now)
    return json({"tickets": [ticket_view(t, now, ctx.settings.tz) for t in tickets], "total": total,
                 "limit": filters.limit, "offset": filters.offset})


@bp.get("/api/tickets/export.csv")
async def export_tickets(request: Request):
    authenticate(request)
    ctx = request.app.ctx
    today = now_utc(request).astimezone(ctx.settings.tz).date()
    last = _date_arg(request, "to", today)
    first = _date_arg(request, "from", last - timedelta(days=29))
    if first > last:
        raise BadRequest("invalid_date", "起始日期 from 不能晚于结束日期 to。", field="from")
    if (last - first).days >= MAX_EXPORT_DAYS:
        raise BadRequest("invalid_date", f"一次最多导出 {MAX_EXPORT_DAYS} 天。", field="from")
    start, end = day_bounds(first, last, ctx.settings.tz)
    body = ctx.store.export_csv(start, end, ctx.settings.tz)
    return raw(body.encode("utf-8"), content_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="tickets_{first:%Y%m%d}_{last:%Y%m%d}.csv"',
        "Cache-Control": "no-store"})


@bp.get("/api/tickets/<ticket_id>")
async def get_ticket(request: Request, ticket_id: str):
    authenticate(request)
    ctx = request.app.ctx
    ticket = ctx.store.get_ticket(_ticket_id(ticket_id))
    if ticket is None:
        raise _not_found()
    view = ticket_view(ticket, now_utc(request), ctx.settings.tz)
    view["transcript"] = _transcript(ctx.store, ticket)
    view["events"] = [event_view(e) for e in ctx.store.list_events(ticket["id"])]
    return json({"ticket": view})


@bp.patch("/api/tickets/<ticket_id>")
async def update_ticket(request: Request, ticket_id: str):
    caller = authenticate(request)
    ctx = request.app.ctx
    ticket_id = _ticket_id(ticket_id)
    body = json_object(request)
    unknown = [key for key in body if key not in PATCH_FIELDS]
    if unknown:
        raise BadRequest("unknown_field", f"不能修改字段 {unknown[0][:40]}，可改：{'、'.join(PATCH_FIELDS)}。",
                         status=422, field=unknown[0][:40])
    if not body:
        raise BadRequest("empty_body", f"请至少给出一个要修改的字段：{'、'.join(PATCH_FIELDS)}。", status=422)
    changes: dict[str, Any] = {}
    if "status" in body:
        changes["status"] = _choice(body, "status", tuple(STATUSES), required=True)
    if "priority" in body:
        changes["priority"] = _choice(body, "priority", tuple(PRIORITIES), required=True)
    if "assignee" in body:
        assignee = body["assignee"]
        if assignee is not None:
            if not isinstance(assignee, str):
                raise _invalid("assignee", "字段 assignee 必须是客服账号名或 null。", "wrong_type")
            agent = ctx.store.get_agent(assignee) if len(assignee) <= 64 else None
            if agent is None or not agent["active"]:
                raise _invalid("assignee", f"没有名为 {assignee[:40]!r} 的在岗客服。", "unknown_agent")
        changes["assignee"] = assignee
    note = None
    if "note" in body:
        note = string_field(body, "note", required=True, max_chars=MAX_NOTE_CHARS).strip()
    try:
        ticket, written = ctx.tickets.update(ticket_id, changes, caller.name, note=note, now=now_utc(request))
    except TicketNotFound:
        raise _not_found() from None
    return json({"ticket": ticket_view(ticket, now_utc(request), ctx.settings.tz), "changes": written})


@bp.post("/api/tickets/<ticket_id>/replies")
async def reply_to_customer(request: Request, ticket_id: str):
    caller = authenticate(request, machine=False)
    ctx = request.app.ctx
    ticket_id = _ticket_id(ticket_id)
    text = string_field(json_object(request), "text", required=True, max_chars=ctx.settings.max_message_chars)
    now = now_utc(request)
    try:
        ticket, message = ctx.tickets.reply(ticket_id, text.strip(), caller.name, display_name=caller.display_name,
                                            now=now)
    except TicketNotFound:
        raise _not_found() from None
    except NoConversation:
        raise BadRequest("no_conversation", "这个工单没有在线会话，无法在这里回复顾客。", status=409) from None
    return json({"message": message, "ticket": ticket_view(ticket, now, ctx.settings.tz)}, status=201)


# -- for the assistant, about one customer ------------------------------------------------------------

@bp.get("/api/progress")
async def customer_progress(request: Request):
    authenticate(request, agent=False)
    ctx = request.app.ctx
    session_id = _text_arg(request, "session_id", 64, SESSION_ID)
    customer_ref = _text_arg(request, "customer_ref", 128)
    ticket_id = _text_arg(request, "ticket_id", 32)
    if not session_id and not customer_ref:
        raise BadRequest("missing_customer", "需要 session_id 或 customer_ref 来确认是哪位顾客。", status=422)
    tickets = ctx.store.tickets_for_customer(session_id=session_id, customer_ref=customer_ref, limit=50)
    if ticket_id is not None:
        # Someone else's ticket and no ticket at all look the same: nothing leaks, not even existence.
        tickets = [t for t in tickets if t["id"] == ticket_id.upper()]
        if not tickets:
            raise _not_found()
    now = now_utc(request)
    return json({"tickets": [_customer_view(ctx, t, now) for t in tickets]})


def _customer_view(ctx, ticket: dict, now: datetime) -> dict:
    agent = ctx.store.get_agent(ticket["assignee"]) if ticket["assignee"] else None
    return customer_view(ticket, now, ctx.settings.tz, agent["display_name"] if agent else None)


@bp.post("/api/tickets/<ticket_id>/csat")
async def rate_ticket(request: Request, ticket_id: str):
    authenticate(request, agent=False)
    ctx = request.app.ctx
    ticket_id = _ticket_id(ticket_id)
    body = json_object(request)
    session_id = _pattern(body, "session_id", SESSION_ID, 64, "只能包含字母、数字和 _-.:，最长 64 个字符。",
                          required=True)
    score = body.get("score")
    if score is None:
        raise _invalid("score", "缺少字段 score（1–5 分）。", "missing_field")
    if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 5:
        raise _invalid("score", "字段 score 必须是 1 到 5 的整数。")
    comment = string_field(body, "comment", required=False, max_chars=MAX_CSAT_COMMENT_CHARS)
    now = now_utc(request)
    try:
        ticket = ctx.tickets.rate(ticket_id, session_id, score, (comment or "").strip() or None, now=now)
    except TicketNotFound:
        raise _not_found() from None
    return json({"ticket": _customer_view(ctx, ticket, now)})


@bp.get("/api/openapi.json")
async def openapi(request: Request):
    return json(openapi_spec(request.app.ctx.settings))
