"""GET /healthz: the bot service itself, its database, Rasa and the action server."""
from __future__ import annotations

import asyncio

import aiohttp
from sanic import Blueprint, Request
from sanic.response import json

from bot.web.contract import Reply, operation
from bot.web.models.desk import Health

bp = Blueprint("health")


async def _action_server_up(url: str) -> bool:
    health_url = url.rsplit("/webhook", 1)[0] + "/health"
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as http:
            async with http.get(health_url) as response:
                return response.status == 200
    except (aiohttp.ClientError, asyncio.TimeoutError):
        return False


@bp.get("/healthz")
@operation("The bot service, its database, Rasa and the action server", responses={
    200: Reply(Health, "ok or degraded"), 503: Reply(Health, "database unreachable")})
async def healthz(request: Request):
    ctx = request.app.ctx
    try:
        database_ok = ctx.store.ping()
    except Exception:  # noqa: BLE001 - any database error means "not ok" here
        database_ok = False
    rasa_ok, actions_ok = await asyncio.gather(
        ctx.rasa.is_up(), _action_server_up(ctx.settings.action_server_url))
    services = {
        "bot": {"ok": database_ok, "database": "ok" if database_ok else "unreachable"},
        "rasa": {"ok": rasa_ok, "url": ctx.settings.rasa_url},
        "action_server": {"ok": actions_ok, "url": ctx.settings.action_server_url},
    }
    all_ok = all(s["ok"] for s in services.values())
    return json({"status": "ok" if all_ok else "degraded", "services": services},
                status=200 if database_ok else 503)
