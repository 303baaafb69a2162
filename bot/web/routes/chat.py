"""The customer chat API: POST a message, GET the conversation so far, a WebSocket carrying both,
and the shop's opening status for the widget's banner.

HTTP and WebSocket handling only: a message's shape is checked here, then the message pipeline
(bot.services.conversation) stores and answers it; its refusals become 4xx answers here.
"""
from __future__ import annotations

import asyncio
import json as jsonlib
import logging

from sanic import Blueprint, Request
from sanic.response import empty, json
from websockets.exceptions import ConnectionClosed

from bot.domain.promises import contact_promise
from bot.services.conversation import Conversations, Incoming, MessageRefused
from bot.services.store_access import StoreUnavailable
from bot.web.events import HubClosed
from bot.web.http import SESSION_ID, BadRequest, check_session_id, clean_text, json_object, store_busy
from bot.web.ratelimit import RateLimiter
from bot.web.schemas.chat import ChatHistoryQuery, ChatPageQuery, IncomingMessage

bp = Blueprint("chat")
log = logging.getLogger(__name__)

# What a customer may see of a stored message's meta (no agent login names, no internal notes).
PUBLIC_META = ("kind", "display_name", "client_id", "button_title", "mode", "attachment")
WS_IDLE_SECONDS = 25
REPLAY_LIMIT = 500  # messages replayed when a socket opens (the widget asks for what it missed)


def parse_incoming(body: dict) -> Incoming:
    """The message's shape, checked by its model (bot/web/schemas/chat.py), as the pipeline's input."""
    message = IncomingMessage.parse(body)
    return Incoming(message.text, message.metadata, message.client_id, message.button_title)


def public_message(message: dict) -> dict:
    """A stored chat message as the customer may see it."""
    meta = message.get("meta") or {}
    return {"id": message["id"], "sender": message["sender"], "text": message["text"],
            "buttons": message.get("buttons") or [], "created_at": message["created_at"],
            "meta": {key: meta[key] for key in PUBLIC_META if key in meta}}


async def handle_message(app, session_id: str, body: dict, decision) -> dict:
    """Validates one customer message and has the pipeline answer it; raises BadRequest for a 4xx.
    `decision`: the rate limit's for this request, counted before its body was read."""
    incoming = parse_incoming(body)
    try:
        return await app.ctx.conversations.handle(session_id, incoming, decision)
    except MessageRefused as exc:
        raise BadRequest(exc.code, str(exc), status=exc.status, **exc.extra) from None


def history_page(ctx, session_id: str, after: int, limit: int) -> tuple[list[dict], bool, dict]:
    """(worker thread) Up to `limit` messages after `after`, whether more follow, and the mode."""
    messages = ctx.store.list_messages(session_id, after_id=after, limit=limit + 1)
    return messages[:limit], len(messages) > limit, ctx.handoff.mode_for(session_id).as_dict()


# -- HTTP ----------------------------------------------------------------------------------------

@bp.post("/api/chat/<session_id>/messages")
async def post_message(request: Request, session_id: str):
    check_session_id(session_id)
    decision = request.app.ctx.conversations.count(session_id)  # every request, before its body is read
    return json(await handle_message(request.app, session_id, json_object(request), decision))


@bp.get("/api/chat/<session_id>/messages")
async def get_messages(request: Request, session_id: str):
    check_session_id(session_id)
    query = ChatPageQuery.from_args(request.args)
    ctx = request.app.ctx
    try:
        messages, has_more, mode = await ctx.db.run(history_page, ctx, session_id, query.after, query.limit)
    except StoreUnavailable:
        raise store_busy() from None
    return json({"session_id": session_id, "messages": [public_message(m) for m in messages],
                 "has_more": has_more, **mode})


@bp.get("/api/shop/status")
async def shop_status(request: Request):
    """For the widget's banner: open now? when people are back, the weekly hours, anyone online."""
    ctx = request.app.ctx
    promise = contact_promise(ctx.settings, now=ctx.clock())
    return json({"open": promise.open_now, "next_opening_text": promise.next_opening_text,
                 "hours_text": promise.hours_text, "shop_name": ctx.settings.shop_name,
                 "agents_online": promise.open_now and bool(ctx.handoff.presence.online_agents()),
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


@bp.on_request
async def refuse_plain_http_on_sockets(request: Request):
    """A plain HTTP request to the WebSocket route is a 426, not the handshake library's crash."""
    route = request.route
    if route is not None and getattr(route.ctx, "websocket", False) \
            and (request.headers.get("upgrade") or "").lower() != "websocket":
        return json({"error": "upgrade_required", "message": "这个地址只接受 WebSocket 连接。"}, status=426,
                    headers={"Upgrade": "websocket"})
    return None


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
    try:
        after_id = ChatHistoryQuery.from_args(request.args).after
    except BadRequest as exc:
        await ws.close(code=4400, reason=exc.code)
        return
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
                try:
                    mode = await ctx.db.run(ctx.handoff.mode_for, session_id)
                except StoreUnavailable:
                    continue  # the next change tells the mode again
                await send({"type": "mode", **mode.as_dict()})

    pusher: asyncio.Task | None = None
    try:
        try:
            messages, _more, mode = await ctx.db.run(history_page, ctx, session_id, after_id, REPLAY_LIMIT)
        except StoreUnavailable:
            await ws.close(code=1013, reason="try again later")  # the widget reconnects
            return
        await send({"type": "hello", "session_id": session_id, **mode})
        for message in messages:
            await send_message(message)
        await send({"type": "ready"})
        pusher = asyncio.create_task(push())
        while True:
            raw = await ws.recv()
            if raw is None:
                continue
            try:
                frame = clean_text(jsonlib.loads(raw))
            except ValueError:
                frame = None
            if not (isinstance(frame, dict) and frame.get("type") == "ping"):
                decision = ctx.conversations.count(session_id)  # every other frame counts, whatever its size
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
                result = await handle_message(request.app, session_id, frame, decision)
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
    """Creates the message pipeline (`app.ctx.conversations`) with this process's rate limit."""
    app.ctx.conversations = Conversations(app.ctx, RateLimiter(app.ctx.settings.rate_limit_per_minute))
    app.ctx.db.on_replayed = app.ctx.conversations.on_replayed  # spooled messages reach their tickets
