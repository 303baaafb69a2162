"""The customer chat API: POST a message, GET the conversation so far, a WebSocket carrying both,
and the shop's opening status for the widget's banner.

Every customer message is stored before anything else happens, so nothing typed is lost. Then:
- a person has the conversation (bot.services.handoff): the message goes to them, the assistant is quiet
  (mode "human");
- it answers the rating question after a resolved ticket: stored on the ticket;
- otherwise Rasa answers (mode "bot"), with the shop's verified customer id as metadata
  `customer_ref` (bot.domain.identity; a customer_ref the browser sends itself is dropped);
- when Rasa (or the action server behind it) is down, slow or silent, the customer is answered at
  once and the session's messages become one ticket marked `needs_triage` (mode "degraded").
  The next message tries Rasa again, so recovery needs nobody.
"""
from __future__ import annotations

import asyncio
import json as jsonlib
import logging
import re
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from sanic import Blueprint, Request
from sanic.response import empty, json
from websockets.exceptions import ConnectionClosed

from bot.domain.calendar import format_promise
from bot.domain.identity import verify_customer
from bot.domain.promises import contact_promise
from bot.domain.taxonomy import ACTIVE_STATUSES
from bot.integrations.rasa_client import RasaUnavailable
from bot.services.tickets import NewTicket, open_ticket, ticket_view
from bot.web.events import HubClosed
from bot.web.http import SESSION_ID, BadRequest, check_session_id, json_object

bp = Blueprint("chat")
log = logging.getLogger(__name__)

DEGRADED_REPLY = ("非常抱歉，系统暂时有点忙，您的留言已经完整记录下来了🙏 "
                  "请继续把遇到的问题、订单号和您的诉求告诉我，客服同事会尽快跟进处理。")
MAX_METADATA_CHARS = 2000
MAX_TITLE_CHARS = 100
CLIENT_ID = re.compile(r"^[A-Za-z0-9_\-]{1,64}$")
RECENT_RESULTS = 5000  # answers remembered per process, so a resent message is not processed twice
# What a customer may see of a stored message's meta (no agent login names, no internal notes).
PUBLIC_META = ("kind", "display_name", "client_id", "button_title", "mode")
PRIVATE_METADATA = ("customer_ref", "customer_token")
WS_IDLE_SECONDS = 25


@dataclass(frozen=True)
class Incoming:
    text: str
    metadata: dict[str, Any]
    client_id: str | None
    button_title: str | None


def parse_incoming(body: dict) -> Incoming:
    text = body.get("text")
    if text is None:
        raise BadRequest("missing_field", "缺少字段 text（顾客发送的文字）。", status=422, field="text")
    if not isinstance(text, str):
        raise BadRequest("wrong_type", "字段 text 必须是字符串。", status=422, field="text")
    metadata = body.get("metadata", {})
    if metadata is None:
        metadata = {}
    if not isinstance(metadata, dict):
        raise BadRequest("wrong_type", "字段 metadata 必须是 JSON 对象。", status=422, field="metadata")
    if len(jsonlib.dumps(metadata, ensure_ascii=False)) > MAX_METADATA_CHARS:
        raise BadRequest("too_long", f"字段 metadata 太大（最多 {MAX_METADATA_CHARS} 个字符）。", status=413,
                         field="metadata", max_chars=MAX_METADATA_CHARS)
    if not text.strip():
        raise BadRequest("empty_field", "消息不能为空。", status=422, field="text")
    client_id = body.get("client_id")
    if client_id is not None and (not isinstance(client_id, str) or not CLIENT_ID.match(client_id)):
        raise BadRequest("invalid_value", "字段 client_id 只能包含字母、数字、_ 和 -，最长 64 个字符。", status=422,
                         field="client_id")
    title = body.get("button_title")
    if title is not None and (not isinstance(title, str) or len(title) > MAX_TITLE_CHARS):
        raise BadRequest("invalid_value", f"字段 button_title 必须是不超过 {MAX_TITLE_CHARS} 个字符的字符串。",
                         status=422, field="button_title")
    return Incoming(text, metadata, client_id, title or None)


def public_message(message: dict) -> dict:
    """A stored chat message as the customer may see it."""
    meta = message.get("meta") or {}
    return {"id": message["id"], "sender": message["sender"], "text": message["text"],
            "buttons": message.get("buttons") or [], "created_at": message["created_at"],
            "meta": {key: meta[key] for key in PUBLIC_META if key in meta}}


def _record_replies(store, session_id: str, replies: list[dict], mode: str) -> list[dict]:
    """Stores the replies (with their kind, when they have one); returns them as the API shows them."""
    items = []
    for reply in replies:
        kind = reply.pop("kind", None)
        meta = {"mode": mode, **({"kind": kind} if kind else {})}
        items.append(("bot", reply.get("text", ""), reply.get("buttons"), meta))
    if items:
        store.append_messages(session_id, items)
    return replies


# -- degraded mode -----------------------------------------------------------------------------

def record_for_triage(ctx, session_id: str, text: str, customer_ref: str | None) -> tuple[dict, bool]:
    """The ticket this session's unanswered messages belong to: its open ticket if it has one (with
    a note for the agent, once a day), else one new ticket per session and day marked
    `needs_triage`, described by what the customer typed. Returns (ticket, created)."""
    store, settings, now = ctx.store, ctx.settings, ctx.clock()
    day = now.astimezone(settings.tz).strftime("%Y%m%d")
    active = store.active_ticket_for_session(session_id)
    if active is not None:
        if not active["idempotency_key"].startswith("degraded-") and (active["id"], day) not in ctx.triage_noted:
            ctx.triage_noted.add((active["id"], day))
            ticket, written = store.update_ticket(active["id"], {}, "system", now, note=(
                "智能助手暂时无法应答：顾客此后的留言都在对话记录里，请人工查看。"))
            ctx.events.publish("ticket_updated", {"ticket": ticket_view(ticket, now, settings.tz), "changes": written})
        return active, False
    ticket: dict | None = None
    for attempt in range(1, 10):
        key = f"degraded-{session_id}-{day}" + (f"-{attempt}" if attempt > 1 else "")
        ticket, created = open_ticket(store, settings, NewTicket(
            idempotency_key=key, issue_type="other_complaint", description=text, session_id=session_id,
            customer_ref=customer_ref, channel="web", risk_flags=["needs_triage"], created_by="system"),
            now=now, hub=ctx.events, notifier=ctx.notifier)
        if created or ticket["status"] in ACTIVE_STATUSES:
            return ticket, created
    return ticket, False  # type: ignore[return-value] - nine resolved degraded tickets in one day


def degraded_replies(ctx, session_id: str, text: str, customer_ref: str | None) -> list[dict]:
    try:
        ticket, created = record_for_triage(ctx, session_id, text, customer_ref)
    except Exception:  # noqa: BLE001 - the message itself is stored; the customer still gets an answer
        log.exception("degraded mode: could not record a ticket for %s", session_id)
        return [{"text": DEGRADED_REPLY}]
    due = format_promise(ticket["first_response_due"], ctx.clock(), ctx.settings.tz)
    if created:
        return [{"text": f"非常抱歉，系统暂时有点忙，您的留言已经完整记录下来了🙏 工单号 {ticket['id']}，"
                         f"客服会在{due}联系您。您可以继续补充遇到的问题、订单号和诉求，都会一并转给客服。",
                 "kind": "degraded"}]
    return [{"text": f"收到，已经记录到您的工单 {ticket['id']} 里了，客服会一并处理（最晚{due}联系您）。",
             "kind": "degraded"}]


# -- one customer message, from POST or the WebSocket ----------------------------------------------

async def handle_message(app, session_id: str, body: dict) -> dict:
    """Validates, stores and answers one customer message; raises BadRequest for a 4xx.

    A message resent with the same `client_id` (after a lost connection) is answered once."""
    incoming = parse_incoming(body)
    ctx = app.ctx
    if incoming.client_id is None:
        return await _answer(ctx, session_id, incoming)
    key = (session_id, incoming.client_id)
    earlier = ctx.chat_results.get(key)
    if earlier is not None:
        return await asyncio.shield(earlier)
    future = asyncio.get_running_loop().create_future()
    ctx.chat_results[key] = future
    while len(ctx.chat_results) > RECENT_RESULTS:
        ctx.chat_results.popitem(last=False)
    try:
        result = await _answer(ctx, session_id, incoming)
    except BaseException as exc:
        ctx.chat_results.pop(key, None)  # a refused message may be sent again later
        future.set_exception(exc)
        future.exception()  # retrieved: no "never retrieved" warning when nobody else waits
        raise
    future.set_result(result)
    return result


async def _answer(ctx, session_id: str, incoming: Incoming) -> dict:
    settings, store, handoff = ctx.settings, ctx.store, ctx.handoff
    text = incoming.text
    decision = ctx.rate_limiter.check(session_id)
    customer_ref = verify_customer(settings.shop_secret, incoming.metadata.get("customer_token"))
    metadata = {k: v for k, v in incoming.metadata.items() if k not in PRIVATE_METADATA}
    if customer_ref:
        metadata["customer_ref"] = customer_ref
    meta: dict[str, Any] = {}
    if metadata:
        meta["metadata"] = metadata
    if incoming.client_id:
        meta["client_id"] = incoming.client_id
    if incoming.button_title:
        meta["button_title"] = incoming.button_title

    limit = settings.max_message_chars
    if len(text) > limit:
        # Kept for the agents all the same: the customer's words are never thrown away.
        store.append_message(session_id, "customer", text, meta={**meta, "rejected": "too_long"})
        raise BadRequest("too_long", f"消息有点长（超过 {limit} 字），已为您保存；麻烦分几条发送，方便我们准确处理。",
                         status=413, field="text", max_chars=limit)
    if not decision.allowed:
        if decision.keep:
            store.append_message(session_id, "customer", text, meta={**meta, "rejected": "rate_limited"})
            message = f"您发得有点快啦，请稍等 {decision.retry_after} 秒再发～刚才这条已经为您保存，客服都能看到。"
        else:
            message = f"您发得太快了，请稍等 {decision.retry_after} 秒后再发送。"
        raise BadRequest("too_many_messages", message, status=429, retry_after=decision.retry_after)

    mode = handoff.mode_for(session_id)
    if mode.mode == "human":
        notice = handoff.leave_queue_if_unstaffed(session_id, mode)
        if notice:
            store.append_message(session_id, "customer", text, meta=meta or None)
            return {"replies": _record_replies(store, session_id, notice, "bot"), "mode": "bot"}
        store.append_message(session_id, "customer", text,
                             meta={**meta, "mode": "human", "ticket_id": mode.ticket["id"]})
        if mode.ticket["status"] == "pending_customer":
            _customer_answered(ctx, mode.ticket["id"])
        replies = (handoff.queue_reminder(session_id, mode.queue) if mode.queue
                   else handoff.agent_away_notice(session_id, mode))
        return {"replies": _record_replies(store, session_id, replies, "human"), **mode.as_dict()}

    store.append_message(session_id, "customer", text, meta=meta or None)
    rating = handoff.capture_rating(session_id, text)
    if rating is not None:
        return {"replies": _record_replies(store, session_id, rating, "bot"), "mode": "bot"}

    await handoff.ensure_resumed(session_id)
    started = ctx.clock()
    result: dict[str, Any] = {}
    try:
        replies = await ctx.rasa.send_message(session_id, text, metadata)
        if not replies:
            # Rasa answers nothing when the action server failed, or when the conversation is
            # still paused (a resume lost in a restart): resume before the next message.
            handoff.pending_resume.add(session_id)
            raise RasaUnavailable("Rasa sent no reply")
    except RasaUnavailable as exc:
        log.warning("chat %s: degraded mode (%s)", session_id, exc)
        replies, mode_name = degraded_replies(ctx, session_id, text, customer_ref), "degraded"
    else:
        mode_name = "bot"
        extra = handoff.after_bot_reply(session_id, started)
        for reply in extra:
            queue = (reply.get("custom") or {}).get("queue")
            if queue:
                result["queue"] = queue
        replies = replies + extra
    return {"replies": _record_replies(store, session_id, replies, mode_name), "mode": mode_name, **result}


def _customer_answered(ctx, ticket_id: str) -> None:
    """The agent was waiting for the customer, who wrote back: the ticket is the agent's turn again."""
    now = ctx.clock()
    ticket, written = ctx.store.update_ticket(ticket_id, {"status": "open"}, "customer", now)
    if written:
        ctx.events.publish("ticket_updated", {"ticket": ticket_view(ticket, now, ctx.settings.tz), "changes": written})


# -- HTTP ----------------------------------------------------------------------------------------

@bp.post("/api/chat/<session_id>/messages")
async def post_message(request: Request, session_id: str):
    check_session_id(session_id)
    return json(await handle_message(request.app, session_id, json_object(request)))


@bp.get("/api/chat/<session_id>/messages")
async def get_messages(request: Request, session_id: str):
    check_session_id(session_id)
    after = request.args.get("after", "0")
    if not after.isdigit():
        raise BadRequest("invalid_after", "参数 after 必须是非负整数。")
    ctx = request.app.ctx
    messages = ctx.store.list_messages(session_id, after_id=int(after))
    return json({"session_id": session_id, "messages": [public_message(m) for m in messages],
                 **ctx.handoff.mode_for(session_id).as_dict()})


@bp.get("/api/shop/status")
async def shop_status(request: Request):
    """For the widget's banner: open now? when people are back, the weekly hours, anyone online."""
    ctx = request.app.ctx
    promise = contact_promise(ctx.settings, now=ctx.clock())
    return json({"open": promise.open_now, "next_opening_text": promise.next_opening_text,
                 "hours_text": promise.hours_text, "shop_name": ctx.settings.shop_name,
                 "agents_online": promise.open_now and bool(ctx.handoff.online_agents()),
                 "max_message_chars": ctx.settings.max_message_chars})


# The widget may sit on a shop's own domain: the customer API answers any origin. It uses no
# cookies (the session id is in the path, identity in a signed token), so this opens nothing.
CORS_PATHS = ("/api/chat/", "/api/shop/")
CORS_HEADERS = {"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
                "Access-Control-Allow-Headers": "Content-Type", "Access-Control-Max-Age": "86400"}


@bp.route("/api/chat/<session_id>/messages", methods=["OPTIONS"])
async def chat_preflight(request: Request, session_id: str):
    return empty(status=204, headers=CORS_HEADERS)


@bp.route("/api/shop/status", methods=["OPTIONS"])
async def status_preflight(request: Request):
    return empty(status=204, headers=CORS_HEADERS)


@bp.on_response
async def add_cors_headers(request: Request, response) -> None:
    if request.path.startswith(CORS_PATHS) and response is not None:
        for name, value in CORS_HEADERS.items():
            response.headers.setdefault(name, value)


# -- WebSocket -------------------------------------------------------------------------------------

@bp.websocket("/api/chat/<session_id>/ws")
async def chat_socket(request: Request, ws, session_id: str):
    """Frames are JSON. Client → server: `{"type": "message", "text", "metadata", "client_id",
    "button_title"}`, `{"type": "ping"}`. Server → client: `hello` (mode), every stored
    `message` of the session (replayed after `?after=`, then live), `ready` after the replay,
    `result` / `error` for each message sent, `mode` when a person takes over or leaves, `pong`."""
    if not SESSION_ID.match(session_id or ""):
        await ws.close(code=4400, reason="invalid session id")
        return
    ctx = request.app.ctx
    after = request.args.get("after", "0")
    after_id = int(after) if after.isdigit() else 0
    sent: set[int] = set()
    subscription = ctx.events.subscribe()  # before the replay, so nothing falls between the two

    async def send(frame: dict) -> None:
        await ws.send(jsonlib.dumps(frame, ensure_ascii=False))

    async def send_message(message: dict) -> None:
        if message["id"] in sent:
            return
        sent.add(message["id"])
        await send({"type": "message", "message": public_message(message)})

    async def push() -> None:
        while True:
            try:
                event = await subscription.next(timeout=WS_IDLE_SECONDS)
            except HubClosed:
                await ws.close(code=1001, reason="server stopping")
                return
            if event is None:
                continue
            data = event.data
            if event.kind == "message" and data.get("session_id") == session_id:
                await send_message(data["message"])
            elif event.kind == "ticket_updated" and (data.get("ticket") or {}).get("session_id") == session_id:
                await send({"type": "mode", **ctx.handoff.mode_for(session_id).as_dict()})

    pusher: asyncio.Task | None = None
    try:
        await send({"type": "hello", "session_id": session_id, **ctx.handoff.mode_for(session_id).as_dict()})
        for message in ctx.store.list_messages(session_id, after_id=after_id):
            await send_message(message)
        await send({"type": "ready"})
        pusher = asyncio.create_task(push())
        while True:
            raw = await ws.recv()
            if raw is None:
                continue
            try:
                frame = jsonlib.loads(raw)
            except ValueError:
                frame = None
            if not isinstance(frame, dict):
                await send({"type": "error", "error": "invalid_json", "message": "消息格式不对，需要 JSON 对象。"})
                continue
            if frame.get("type") == "ping":
                await send({"type": "pong"})
                continue
            if frame.get("type") != "message":
                await send({"type": "error", "error": "invalid_value", "message": "不认识的消息类型。"})
                continue
            client_id = frame.get("client_id") if isinstance(frame.get("client_id"), str) else None
            try:
                result = await handle_message(request.app, session_id, frame)
            except BadRequest as exc:
                await send({"type": "error", "client_id": client_id, "error": exc.code, "message": str(exc),
                            "status": exc.status_code, **exc.extra})
                continue
            await send({"type": "result", "client_id": client_id, **result})
    except ConnectionClosed:
        pass
    except Exception as exc:  # noqa: BLE001 - Sanic's WebsocketClosed and friends: the customer left
        if "closed" not in type(exc).__name__.lower() and "closed" not in str(exc).lower():
            log.exception("chat socket %s failed", session_id)
    finally:
        if pusher is not None:
            pusher.cancel()
        subscription.close()


def install(app) -> None:
    """Per-app state of the chat routes (rate limiter, recent answers, triage notes)."""
    from bot.web.ratelimit import RateLimiter

    app.ctx.rate_limiter = RateLimiter(app.ctx.settings.rate_limit_per_minute)
    app.ctx.chat_results = OrderedDict()
    app.ctx.triage_noted = set()
