"""The agents' side of the API: log in and out, who am I, the agent list, live events (SSE).

The desk's pages are built on these: after `POST /desk/login` the browser holds the session
cookie, reads its CSRF token from `GET /api/me` and listens to `GET /api/desk/events`.
"""
from __future__ import annotations

import asyncio
import json as jsonlib
import logging
from urllib.parse import quote, urlsplit

from sanic import Blueprint, Request
from sanic.response import json, redirect

from bot.domain.privacy import mask_message
from bot.web.auth import (
    LoginThrottle,
    authenticate,
    clear_session_cookie,
    session_token,
    set_session_cookie,
    start_session,
    token_hash,
)
from bot.web.events import Event, HubClosed
from bot.web.http import BadRequest, json_object
from bot.web.passwords import MAX_PASSWORD_CHARS, dummy_hash, verify_password
from bot.web.routes.health import shop_warnings

bp = Blueprint("desk")
log = logging.getLogger(__name__)

KEEPALIVE_SECONDS = 15
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _is_form(request: Request) -> bool:
    return (request.content_type or "").startswith(FORM_TYPES)


def _safe_next(value: str | None) -> str:
    """Only a path on this site: never `//evil.example` or `https://…` (open redirect)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value or len(value) > 512:
        return "/desk"
    return value


def _same_origin(request: Request) -> bool:
    """A browser's Origin header must name this site (login CSRF); machines send none."""
    origin = request.headers.get("origin")
    if not origin or origin == "null":
        return origin is None
    host = urlsplit(origin).netloc.lower()
    allowed = {(request.headers.get("host") or "").lower(),
               urlsplit(request.app.ctx.settings.public_url).netloc.lower()}
    return host in allowed


def _login_fields(request: Request) -> tuple[str, str, str | None]:
    if _is_form(request):
        form = request.form
        name, password, next_path = form.get("name"), form.get("password"), form.get("next")
    else:
        body = json_object(request)
        name, password, next_path = body.get("name"), body.get("password"), body.get("next")
    if not isinstance(name, str) or not name.strip() or not isinstance(password, str) or not password:
        raise BadRequest("missing_field", "请填写账号和密码。", status=422)
    if len(name) > 64 or len(password) > MAX_PASSWORD_CHARS:
        raise BadRequest("invalid_credentials", "账号或密码不正确。", status=401)
    return name.strip(), password, next_path if isinstance(next_path, str) else None


@bp.post("/desk/login")
async def login(request: Request):
    ctx = request.app.ctx
    if not _same_origin(request):
        raise BadRequest("csrf_failed", "请求来源不可信，请从客服台页面登录。", status=403)
    name, password, next_path = _login_fields(request)
    address = request.remote_addr or request.ip or "?"
    throttle: LoginThrottle = ctx.login_throttle
    if throttle.blocked(name, address):
        raise BadRequest("too_many_attempts", "登录失败次数过多，请 15 分钟后再试。", status=429)
    agent = ctx.store.get_agent(name, with_hash=True)
    stored = agent["password_hash"] if agent else dummy_hash()
    ok = await asyncio.get_running_loop().run_in_executor(None, verify_password, password, stored)
    if not ok or agent is None or not agent["active"]:
        throttle.failed(name, address)
        log.warning("desk: failed login for %r from %s", name[:64], address)
        if _is_form(request):
            target = f"/desk/login?error=invalid_credentials&next={quote(_safe_next(next_path), safe='')}"
            return redirect(target, status=303)
        raise BadRequest("invalid_credentials", "账号或密码不正确。", status=401)
    throttle.succeeded(name)
    cookie, csrf_token = start_session(ctx.store, ctx.settings, agent["name"], ctx.clock())
    log.info("desk: %s logged in from %s", agent["name"], address)
    if _is_form(request):
        response = redirect(_safe_next(next_path), status=303)
    else:
        response = json({"agent": {"name": agent["name"], "display_name": agent["display_name"]},
                         "csrf_token": csrf_token})
    set_session_cookie(response, ctx.settings, cookie)
    return response


@bp.post("/desk/logout")
async def logout(request: Request):
    ctx = request.app.ctx
    token = session_token(request)
    if token is not None and ctx.store.agent_for_session(token_hash(token), ctx.clock()) is not None:
        authenticate(request, machine=False)  # a live session needs its CSRF token to be ended
        ctx.store.delete_agent_session(token_hash(token))
    response = redirect("/desk/login", status=303) if _is_form(request) else json({"ok": True})
    clear_session_cookie(response, ctx.settings)
    return response


@bp.get("/api/me")
async def me(request: Request):
    caller = authenticate(request, machine=False)
    settings = request.app.ctx.settings
    return json({"agent": {"name": caller.name, "display_name": caller.display_name},
                 "csrf_token": caller.csrf_token,
                 "shop": {"name": settings.shop_name, "timezone": settings.timezone,
                          "business_hours": settings.business_hours},
                 "warnings": shop_warnings(request.app.ctx)})


@bp.get("/api/agents")
async def list_agents(request: Request):
    authenticate(request)
    agents = request.app.ctx.store.list_agents()
    return json({"agents": [{"name": a["name"], "display_name": a["display_name"], "active": a["active"]}
                            for a in agents]})


def sse_frame(event: Event) -> str:
    payload = event.as_dict()
    if event.kind == "message" and isinstance(payload.get("data", {}).get("message"), dict):
        payload["data"] = {**payload["data"], "message": mask_message(payload["data"]["message"])}
    data = jsonlib.dumps(payload, ensure_ascii=False)
    return f"id: {event.id}\nevent: {event.kind}\ndata: {data}\n\n"


@bp.get("/api/desk/events")
async def desk_events(request: Request):
    """Server-Sent Events: `ticket_created`, `ticket_updated`, `message`; a comment every 15 s keeps
    proxies from closing the stream. Reconnecting browsers send Last-Event-ID and get what they
    missed (from the last few hundred events). Event ids come from the database: unique across
    restarts and replicas, so this works after a restart and behind a load balancer."""
    authenticate(request)
    hub = request.app.ctx.events
    raw_last = request.headers.get("last-event-id") or request.args.get("last_event_id") or ""
    last_sent = int(raw_last) if raw_last.isdigit() else 0
    subscription = hub.subscribe()  # before replaying, so nothing falls between the two
    if last_sent > hub.last_id():
        last_sent = 0  # an id this log never handed out (another database): start afresh, drop nothing
    try:
        response = await request.respond(
            content_type="text/event-stream; charset=utf-8",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
        await response.send("retry: 3000\n\n")
        if last_sent:
            for event in hub.since(last_sent):
                await response.send(sse_frame(event))
                last_sent = event.id
        while True:
            try:
                event = await subscription.next(timeout=KEEPALIVE_SECONDS)
            except HubClosed:
                break
            if event is None:
                await response.send(": keep-alive\n\n")
            elif event.id > last_sent:
                await response.send(sse_frame(event))
                last_sent = event.id
        await response.eof()
    finally:
        subscription.close()
