"""The agent desk's pages (login, queue, ticket, statistics), their assets, and suggested next steps.

The pages are plain HTML in bot/web/static/desk; their scripts read the JSON API (`/api/me`,
`/api/tickets`, `/api/desk/events` …) and render everything a customer typed with textContent.
The only values put into the HTML here are fixed texts, the taxonomy's labels and the shop's
settings, all escaped; a strict Content-Security-Policy (no inline scripts) backs that up.
Pages other than the login need a logged-in agent and send everyone else to the login page.
When the database does not answer in time (bot.services.store_access), a page says so in plain
words (503, `store_busy_answer`) rather than sending a logged-in agent to the login page.
"""
from __future__ import annotations

import html
import json as jsonlib
import re
from functools import lru_cache
from pathlib import Path
from urllib.parse import quote

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, file, json, redirect
from sanic.response import html as html_response

from bot.domain.suggestions import suggestions_for_ticket
from bot.domain.taxonomy import CATEGORIES, EXPECTATIONS, ISSUE_TYPES, PRIORITIES, STATUSES, TICKET_ID
from bot.domain.triage import FLAG_LABELS_ZH
from bot.services.store_access import StoreUnavailable
from bot.web.auth import Caller, authenticate, safe_next
from bot.web.contract import AGENT, AGENT_PAGE, HTML_PAGE, TO_LOGIN, Reply, documented, operation
from bot.web.http import BadRequest
from bot.web.schemas.fields import TicketId
from bot.web.schemas.views import Suggestions

bp = Blueprint("desk_pages")

STATIC_DIR = Path(__file__).resolve().parent.parent / "static" / "desk"
ASSET_NAME = re.compile(r"^[a-z0-9][a-z0-9_\-]*\.(css|js|svg|png|ico)$")
ASSET_TYPES = {"css": "text/css; charset=utf-8", "js": "text/javascript; charset=utf-8",
               "svg": "image/svg+xml", "png": "image/png", "ico": "image/x-icon"}
PAGE_HEADERS = {
    "Content-Security-Policy": ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                                "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
                                "frame-ancestors 'none'"),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
# Only these fixed messages are ever shown for `?error=`: the query text itself is never echoed.
LOGIN_ERRORS = {
    "invalid_credentials": "账号或密码不正确，请重新输入。",
    "too_many_attempts": "登录失败次数过多，请稍后再试。",
    "session_expired": "登录已过期，请重新登录。",
    "store_busy": "系统暂时有点忙，请稍后再登录。",
}
LOGIN_NOTICES = {"logged_out": "已退出登录。"}


@lru_cache(maxsize=16)
def _template(name: str) -> str:
    return (STATIC_DIR / name).read_text(encoding="utf-8")


def _script_json(value) -> str:
    """JSON safe inside <script type="application/json">: no `</script>` or comment can close it."""
    text = jsonlib.dumps(value, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def desk_data(settings) -> dict:
    """The labels and shop settings every page needs (so the scripts never repeat the taxonomy)."""
    return {
        "shop": {"name": settings.shop_name, "timezone": settings.timezone},
        "issue_types": [{"key": key, "label": issue.label, "category": issue.category}
                        for key, issue in ISSUE_TYPES.items()],
        "categories": CATEGORIES,
        "expectations": EXPECTATIONS,
        "priorities": PRIORITIES,
        "statuses": STATUSES,
        "risk_flags": FLAG_LABELS_ZH,
        "limits": {"message": settings.max_message_chars},
    }


def render_page(request: Request, name: str, status: int = 200, **values: str) -> HTTPResponse:
    """A page from bot/web/static/desk with `{{key}}` replaced by escaped values; `{{desk_data}}`
    becomes the JSON above."""
    settings = request.app.ctx.settings
    text = _template(name).replace("{{desk_data}}", _script_json(desk_data(settings)))
    values = {"shop_name": settings.shop_name, **values}
    for key, value in values.items():
        text = text.replace("{{" + key + "}}", html.escape(value, quote=True))
    return html_response(text, status=status, headers=PAGE_HEADERS)


async def _agent(request: Request) -> Caller | None:
    try:
        caller = await authenticate(request, machine=False)
    except BadRequest:
        return None
    return caller if caller.is_agent else None


def store_busy_answer(request: Request) -> HTTPResponse | None:
    """What a desk page or a form login answers when the database did not answer in time; None
    for the JSON API (bot.web.app answers 503 `store_busy` there)."""
    path = request.path
    if path == "/desk/login" and request.method == "POST":
        if not (request.content_type or "").startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            return None
        next_path = safe_next(request.form.get("next"))
        return redirect(f"/desk/login?error=store_busy&next={quote(next_path, safe='')}", status=303)
    if request.method in ("GET", "HEAD") and (path == "/desk" or path.startswith("/desk/")):
        return render_page(request, "busy.html", status=503)  # the pages: the rest under /desk are files
    return None


def _to_login(request: Request) -> HTTPResponse:
    here = request.path + (f"?{request.query_string}" if request.query_string else "")
    return redirect(f"/desk/login?next={quote(here[:500], safe='')}", status=303)


@bp.get("/desk/login")
@documented("The desk's login page (HTML); `error` and `next` as left by a failed form login", responses={
    200: HTML_PAGE, 303: Reply(description="already logged in: to `next`", media_type="")}, parameters=(
    {"name": "next", "in": "query", "schema": {"type": "string"}, "description": "local /desk… page to open next"},
    {"name": "error", "in": "query", "schema": {"type": "string", "enum": list(LOGIN_ERRORS)}},
    {"name": "notice", "in": "query", "schema": {"type": "string", "enum": list(LOGIN_NOTICES)}}))
async def login_page(request: Request):
    next_path = safe_next(request.args.get("next"))
    try:
        logged_in = await _agent(request) is not None
    except StoreUnavailable:
        logged_in = False  # the database is busy: the form, which says so when it is sent
    if logged_in:
        return redirect(next_path, status=303)
    error = LOGIN_ERRORS.get(request.args.get("error") or "", "")
    notice = LOGIN_NOTICES.get(request.args.get("notice") or "", "")
    return render_page(request, "login.html", next=next_path, error=error, notice=notice,
                       error_hidden="" if error else "hidden", notice_hidden="" if notice else "hidden")


@bp.get("/desk")
@documented("The desk's ticket queue (HTML)", access=AGENT_PAGE, responses={200: HTML_PAGE, 303: TO_LOGIN})
async def queue_page(request: Request):
    if await _agent(request) is None:
        return _to_login(request)
    return render_page(request, "queue.html")


@bp.get("/desk/tickets/<ticket_id>")
@documented("The desk's page of one ticket (HTML)", access=AGENT_PAGE, path={"ticket_id": TicketId}, responses={
    200: HTML_PAGE, 303: TO_LOGIN, 404: Reply(description="no such ticket (HTML page)", media_type="text/html")})
async def ticket_page(request: Request, ticket_id: str):
    if await _agent(request) is None:
        return _to_login(request)
    ctx = request.app.ctx
    ticket_id = ticket_id.strip().upper()
    if not TICKET_ID.match(ticket_id) or await ctx.db.run(ctx.store.get_ticket, ticket_id) is None:
        return render_page(request, "missing.html", status=404)
    return render_page(request, "ticket.html", ticket_id=ticket_id)


@bp.get("/desk/stats")
@documented("The desk's statistics (HTML)", access=AGENT_PAGE, responses={200: HTML_PAGE, 303: TO_LOGIN})
async def stats_page(request: Request):
    if await _agent(request) is None:
        return _to_login(request)
    return render_page(request, "stats.html")


@bp.get("/desk/assets/<name>")
@documented("The desk's scripts and styles", responses={200: Reply(description="CSS, JavaScript or an image",
                                                                   media_type="")}, errors=(404,))
async def asset(request: Request, name: str):
    match = ASSET_NAME.match(name)
    path = STATIC_DIR / name
    if match is None or not path.is_file():
        raise BadRequest("not_found", "找不到这个文件。", status=404)
    return await file(path, mime_type=ASSET_TYPES[match.group(1)],
                      headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "no-cache"})


@bp.get("/api/tickets/<ticket_id>/suggestions")
@operation("Suggested next steps (two or more solution options) for the agent; never sent to anyone",
           access=AGENT, responses={200: Suggestions})
async def ticket_suggestions(request: Request, ticket_id: TicketId):
    """Solution options for the agent (never sent to the customer by the service)."""
    ctx = request.app.ctx
    ticket = await ctx.db.run(ctx.store.get_ticket, ticket_id)
    if ticket is None:
        raise BadRequest("ticket_not_found", "找不到这个工单。", status=404)
    return json({"ticket_id": ticket["id"], "issue_type": ticket["issue_type"],
                 "expectation": ticket["expectation"],
                 "suggestions": [option.as_dict() for option in suggestions_for_ticket(ticket)]})
