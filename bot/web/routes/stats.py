"""The lead's statistics: `GET /api/stats`, the heat map and alerts behind the desk's pages, the
chart library the statistics page loads, and the background task for early warnings and digests.

Who may read: agents with their login session and machines with the bearer token (like the other
ticket API routes). Every number is computed in the database (bot.services.stats); the queries
run in a worker thread so a year of statistics never holds up a customer's chat, bounded in time
(bot.services.store_access: a database that does not answer becomes a 503). The fields are
described in docs/TICKET_API.md.
"""
from __future__ import annotations

import re
from pathlib import Path

from sanic import Blueprint, Request, Sanic
from sanic.response import file, json

from bot.services.alerts import current_alerts
from bot.services.stats import RangeError, compute_stats, hour_weekday_counts, resolve_range
from bot.services.team_notices import NOTICE_INTERVAL_SECONDS, run_notice_loop
from bot.web.auth import authenticate
from bot.web.contract import EITHER, Reply, documented
from bot.web.http import BadRequest

bp = Blueprint("stats")

# The statistics answers are described field by field in docs/TICKET_API.md ("Statistics").
_RANGE = ({"name": "from", "in": "query", "schema": {"type": "string", "format": "date"},
           "description": "first shop-local day, inclusive (default: 6 days before `to`)"},
          {"name": "to", "in": "query", "schema": {"type": "string", "format": "date"},
           "description": "last shop-local day, inclusive (default: today); at most 366 days in all"})
_STATS_JSON = Reply(description="statistics of the range (docs/TICKET_API.md, Statistics)")

# Copied from web/node_modules by scripts/setup_web.sh (npm, web/package-lock.json); never a CDN.
VENDOR_DIR = Path(__file__).resolve().parent.parent / "static" / "vendor"
VENDOR_FILES = {"echarts.min.js": "text/javascript; charset=utf-8"}
_NAME = re.compile(r"^[a-z0-9][a-z0-9.\-]*$")


def _range(request: Request):
    ctx = request.app.ctx
    today = ctx.clock().astimezone(ctx.settings.tz).date()
    try:
        return resolve_range(request.args.get("from"), request.args.get("to"), today)
    except RangeError as exc:
        raise BadRequest("invalid_date", str(exc), field=exc.field) from None


@bp.get("/api/stats")
@documented("The lead's statistics of a date range, computed in the database", access=EITHER,
            parameters=_RANGE, responses={200: _STATS_JSON}, errors=(400,))
async def stats(request: Request):
    await authenticate(request)
    ctx = request.app.ctx
    days = _range(request)
    return json(await ctx.db.run_slow(compute_stats, ctx.store, ctx.settings, days, ctx.clock()),
                headers={"Cache-Control": "no-store"})


@bp.get("/api/stats/heatmap")
@documented("Tickets by shop-local weekday and hour over a date range", access=EITHER,
            parameters=_RANGE, responses={200: _STATS_JSON}, errors=(400,))
async def heatmap(request: Request):
    await authenticate(request)
    ctx = request.app.ctx
    days = _range(request)
    return json(await ctx.db.run_slow(hour_weekday_counts, ctx.store, ctx.settings, days, ctx.clock()),
                headers={"Cache-Control": "no-store"})


@bp.get("/api/stats/alerts")
@documented("Today's spikes of one issue type (early warning)", access=EITHER,
            responses={200: Reply(description="{alerts, min_count, factor}")})
async def alerts(request: Request):
    """Just today's spikes (the desk's banner polls this; cheaper than the whole statistics)."""
    await authenticate(request)
    ctx = request.app.ctx
    now = ctx.clock()
    found = await ctx.db.run(current_alerts, ctx.store, ctx.settings, now)
    return json({"alerts": found, "min_count": ctx.settings.alert_min_count, "factor": ctx.settings.alert_factor},
                headers={"Cache-Control": "no-store"})


@bp.get("/desk/vendor/<name>")
@documented("The chart library, installed from npm by the set-up and served from this origin",
            responses={200: Reply(description="JavaScript", media_type="text/javascript")}, errors=(404,))
async def vendor_file(request: Request, name: str):
    path = VENDOR_DIR / name
    if not _NAME.match(name) or name not in VENDOR_FILES or not path.is_file():
        raise BadRequest("not_found", "找不到这个文件（图表库未安装：运行 make setup）。", status=404)
    return await file(path, mime_type=VENDOR_FILES[name],
                      headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "public, max-age=3600"})


def install(app: Sanic) -> None:
    """Starts the early-warning and digest task with the server (`app.ctx.notice_interval` seconds)."""
    app.ctx.notice_interval = NOTICE_INTERVAL_SECONDS

    @app.after_server_start
    async def _start_notices(app, loop):
        app.ctx.notice_task = loop.create_task(run_notice_loop(app, app.ctx.notice_interval))

    @app.before_server_stop
    async def _stop_notices(app, _loop):
        task = getattr(app.ctx, "notice_task", None)
        if task is not None:
            task.cancel()
