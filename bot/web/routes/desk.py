"""The agents' side of the API: log in and out, who am I, the agent list, live events (SSE), and
the middleware that notes which agents are online.

The desk's pages are built on these: after `POST /desk/login` the browser holds the session
cookie, reads its CSRF token from `GET /api/me` and listens to `GET /api/desk/events`. The
database is read and written in worker threads (`ctx.db.run`, bot.services.store_access).
"""
from __future__ import annotations

import asyncio
import json as jsonlib
import logging
import math
from urllib.parse import quote, urlsplit

from sanic import Blueprint, Request
from sanic.response import json, redirect

from bot.domain.privacy import mask_message
from bot.services.store_access import StoreUnavailable
from bot.web.auth import (
    COOKIE_NAME,
    Caller,
    LoginThrottle,
    agent_session,
    authenticate,
    clear_session_cookie,
    safe_next,
    session_token,
    set_session_cookie,
    start_session,
    token_hash,
)
from bot.web.contract import AGENT, AGENT_PAGE, EITHER, Reply, documented, operation, operation_of
from bot.web.events import Event, HubClosed
from bot.web.http import BadRequest, json_object
from bot.web.passwords import MAX_PASSWORD_CHARS, dummy_hash, verify_password
from bot.web.routes.health import shop_warnings
from bot.web.schemas.desk import AgentList, LoggedOut, LoginForm, LoginResult, Me
from bot.web.schemas.views import LiveEvent

bp = Blueprint("desk")
log = logging.getLogger(__name__)

KEEPALIVE_SECONDS = 15
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _is_form(request: Request) -> bool:
    return (request.content_type or "").startswith(FORM_TYPES)


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


def _wait_text(seconds: int) -> str:
    return f"{seconds} 秒" if seconds < 60 else f"{math.ceil(seconds / 60)} 分钟"


@bp.post("/desk/login")
@documented("Agent login; sets the desk_session cookie (HttpOnly, SameSite=Strict)", body=LoginForm,
            body_media_types=("application/json", "application/x-www-form-urlencoded"), responses={
                200: Reply(LoginResult, "JSON login"),
                303: Reply(description="form login: to `next` (default /desk), or back to "
                                       "/desk/login?error=invalid_credentials", media_type="")},
            errors=(401, 403, 429))
async def login(request: Request):
    ctx = request.app.ctx
    if not _same_origin(request):
        raise BadRequest("csrf_failed", "请求来源不可信，请从客服台页面登录。", status=403)
    name, password, next_path = _login_fields(request)
    address = request.remote_addr or request.ip or "?"
    throttle: LoginThrottle = ctx.login_throttle
    wait = await ctx.db.run(throttle.retry_after, name, address, ctx.clock())
    if wait:
        raise BadRequest("too_many_attempts", f"登录失败次数过多，请 {_wait_text(wait)}后再试。", status=429,
                         retry_after=wait)
    agent = await ctx.db.run(ctx.store.get_agent, name, with_hash=True)
    stored = agent["password_hash"] if agent else dummy_hash()
    ok = await asyncio.get_running_loop().run_in_executor(None, verify_password, password, stored)
    if not ok or agent is None or not agent["active"]:
        await ctx.db.run(throttle.failed, name, address, ctx.clock())
        log.warning("desk: failed login for %r from %s", name[:64], address)
        if _is_form(request):
            target = f"/desk/login?error=invalid_credentials&next={quote(safe_next(next_path), safe='')}"
            return redirect(target, status=303)
        raise BadRequest("invalid_credentials", "账号或密码不正确。", status=401)

    def start() -> tuple[str, str]:  # worker thread
        throttle.succeeded(name, address)
        return start_session(ctx.store, ctx.settings, agent["name"], ctx.clock())

    cookie, csrf_token = await ctx.db.run(start)
    log.info("desk: %s logged in from %s", agent["name"], address)
    if _is_form(request):
        response = redirect(safe_next(next_path), status=303)
    else:
        response = json({"agent": {"name": agent["name"], "display_name": agent["display_name"]},
                         "csrf_token": csrf_token})
    set_session_cookie(response, ctx.settings, cookie)
    return response


@bp.post("/desk/logout")
@documented("End the agent's session (a live one needs the CSRF token)", access=AGENT_PAGE, responses={
    200: LoggedOut, 303: Reply(description="form logout: to /desk/login", media_type="")}, errors=(403,))
async def logout(request: Request):
    ctx = request.app.ctx
    token = session_token(request)
    if token is not None and await agent_session(request) is not None:
        await authenticate(request, machine=False)  # a live session needs its CSRF token to be ended
        await ctx.db.run(ctx.store.delete_agent_session, token_hash(token))
    response = redirect("/desk/login", status=303) if _is_form(request) else json({"ok": True})
    clear_session_cookie(response, ctx.settings)
    return response


@bp.get("/api/me")
@operation("The logged-in agent, the session's CSRF token and the shop's settings", access=AGENT,
           responses={200: Me})
async def me(request: Request, caller: Caller):
    settings = request.app.ctx.settings
    return json({"agent": {"name": caller.name, "display_name": caller.display_name},
                 "csrf_token": caller.csrf_token,
                 "shop": {"name": settings.shop_name, "timezone": settings.timezone,
                          "business_hours": settings.business_hours},
                 "warnings": shop_warnings(request.app.ctx)})


@bp.get("/api/agents")
@operation("Agents (for assigning tickets)", access=EITHER, responses={200: AgentList})
async def list_agents(request: Request):
    ctx = request.app.ctx
    agents = await ctx.db.run(ctx.store.list_agents)
    return json({"agents": [{"name": a["name"], "display_name": a["display_name"], "active": a["active"]}
                            for a in agents]})


async def note_agents_online(request: Request) -> None:
    """Request middleware: a logged-in agent's request to the desk (a route agents may call: the
    desk's pages and API) marks them online, an open event stream keeps them online, logging out
    ends it (bot.services.handoff.presence). Files, the login page and the customers' routes do
    not look the session up, so they never wait for the database. The session found is the one
    the route authenticates with (bot.web.auth.agent_session); when the database does not answer,
    the route says so (503) and nobody is marked."""
    if not request.cookies.get(COOKIE_NAME) or not _agents_route(request):
        return
    try:
        found = await agent_session(request)
    except StoreUnavailable:
        return
    if found is None:
        return
    name, presence = found[0]["name"], request.app.ctx.handoff.presence
    if request.path == "/desk/logout":
        presence.logged_out(name)
        return
    presence.seen(name)
    if request.path == "/api/desk/events":
        presence.stream_opened(name, id(request), lambda: _still_open(request))


def _agents_route(request: Request) -> bool:
    route = request.route
    contract = operation_of(route.handler) if route is not None else None
    return contract is not None and contract.access is not None and contract.access.agent


def _still_open(request: Request) -> bool:
    transport = getattr(request, "transport", None)
    return transport is not None and not transport.is_closing()


def _missed_events(hub, last_sent: int) -> list[Event] | None:
    """(worker thread) The events after `last_sent` still kept; None when the log never handed
    out that id (another database)."""
    if last_sent > hub.last_id():
        return None
    return hub.since(last_sent)


def sse_frame(event: Event) -> str:
    payload = event.as_dict()
    if event.kind == "message" and isinstance(payload.get("data", {}).get("message"), dict):
        payload["data"] = {**payload["data"], "message": mask_message(payload["data"]["message"])}
    data = jsonlib.dumps(payload, ensure_ascii=False)
    return f"id: {event.id}\nevent: {event.kind}\ndata: {data}\n\n"


@bp.get("/api/desk/events")
@operation("Live updates as Server-Sent Events (event: ticket_created | ticket_updated | message)", access=EITHER,
           responses={200: Reply(LiveEvent, "each `data:` line is a LiveEvent", "text/event-stream")},
           parameters=({"name": "Last-Event-ID", "in": "header", "required": False, "schema": {"type": "integer"},
                        "description": "replay the events after this id"},))
async def desk_events(request: Request):
    """Server-Sent Events: `ticket_created`, `ticket_updated`, `message`; a comment every 15 s keeps
    proxies from closing the stream. Reconnecting browsers send Last-Event-ID and get what they
    missed (from the last few hundred events). Event ids come from the database: unique across
    restarts and replicas, so this works after a restart and behind a load balancer."""
    ctx = request.app.ctx
    hub = ctx.events
    raw_last = request.headers.get("last-event-id") or request.args.get("last_event_id") or ""
    last_sent = int(raw_last) if raw_last.isdigit() else 0
    subscription = hub.subscribe()  # before replaying, so nothing falls between the two
    try:
        missed = await ctx.db.run(_missed_events, hub, last_sent) if last_sent else []
        if missed is None:
            last_sent = 0  # an id this log never handed out (another database): start afresh, drop nothing
        response = await request.respond(
            content_type="text/event-stream; charset=utf-8",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
        await response.send("retry: 3000\n\n")
        for event in missed or []:
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
