"""GET /healthz: the bot service itself, its database, Rasa and the action server; under
`python -m bot up` also each service's restarts; and warnings the shop should act on (holiday
data missing for the coming weeks)."""
from __future__ import annotations

import asyncio
import json as jsonlib
import logging
from pathlib import Path

import aiohttp
from sanic import Blueprint, Request
from sanic.response import json

from bot.domain.holiday_coverage import holiday_coverage_warning
from bot.web.contract import Reply, operation
from bot.web.schemas.desk import Health

bp = Blueprint("health")
log = logging.getLogger(__name__)


async def _action_server_up(url: str) -> bool:
    health_url = url.rsplit("/webhook", 1)[0] + "/health"
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as http:
            async with http.get(health_url) as response:
                return response.status == 200
    except (aiohttp.ClientError, asyncio.TimeoutError):
        return False


def supervisor_status(path: str) -> dict | None:
    """What `python -m bot up` wrote about its services (None when not supervised)."""
    if not path:
        return None
    try:
        return jsonlib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def shop_warnings(ctx) -> list[dict]:
    """Problems the shop should fix that do not stop the service (shown in /healthz and the desk)."""
    warning = holiday_coverage_warning(ctx.settings.calendar(), ctx.clock())
    return [warning.as_dict()] if warning else []


@bp.get("/healthz")
@operation("The bot service, its database, Rasa and the action server", responses={
    200: Reply(Health, "ok or degraded"), 503: Reply(Health, "database unreachable")})
async def healthz(request: Request):
    ctx = request.app.ctx
    # Off the event loop and bounded (bot.services.store_access): a locked database makes this
    # answer "unwritable" within seconds instead of freezing every request.
    database, rasa_ok, actions_ok = await asyncio.gather(
        ctx.db.health(), ctx.rasa.is_up(), _action_server_up(ctx.settings.action_server_url))
    database_ok = database["database"] != "unreachable"
    services = {
        "bot": {"ok": database["database"] == "ok", **database},
        "rasa": {"ok": rasa_ok, "url": ctx.settings.rasa_url},
        "action_server": {"ok": actions_ok, "url": ctx.settings.action_server_url},
    }
    body: dict = {"status": "ok" if all(s["ok"] for s in services.values()) else "degraded", "services": services,
                  "live_events": ctx.events.describe(), "warnings": shop_warnings(ctx)}
    supervised = supervisor_status(ctx.settings.supervisor_status_file)
    if supervised:
        names = {"bot": "bot", "rasa": "rasa", "action_server": "actions"}
        for name, child in names.items():
            state = (supervised.get("services") or {}).get(child)
            if state:
                services[name].update({"restarts": state.get("restarts", 0), "state": state.get("state"),
                                       "last_exit_code": state.get("last_exit_code"),
                                       "last_exit_at": state.get("last_exit_at")})
        body["supervisor"] = supervised
    return json(body, status=200 if database_ok else 503)
