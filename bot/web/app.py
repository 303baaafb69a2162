"""The bot service: a Sanic app factory wiring settings, store and clients to the routes."""
from __future__ import annotations

import itertools
import logging
from datetime import datetime, timezone

from sanic import Sanic
from sanic.exceptions import MethodNotSupported, NotFound, PayloadTooLarge
from sanic.response import json

from bot.config import Settings
from bot.integrations.notify import Notifier
from bot.integrations.rasa_client import RasaClient
from bot.services.escalation import ESCALATION_INTERVAL_SECONDS, run_escalation_loop
from bot.store import Store, open_store
from bot.store.live_events import EventLog
from bot.web.auth import LoginThrottle
from bot.web.events import EventHub
from bot.web.http import BadRequest, error_response

_app_names = itertools.count()
log = logging.getLogger(__name__)


def make_event_hub(store: Store) -> EventHub:
    """Durable live events in the store's database; on PostgreSQL, replicas ring each other with
    LISTEN/NOTIFY (on SQLite, one machine, other processes' events arrive by the poll)."""
    log = EventLog(store.engine)
    bus = None
    if log.postgres:
        from bot.integrations.event_bus import PgNotifyBus

        bus = PgNotifyBus(store.engine)
        log.notify = (bus.channel, bus.sender)
    return EventHub(log=log, bus=bus)


def create_app(settings: Settings, store: Store | None = None) -> Sanic:
    # Sanic keeps a registry of app names per process; tests build several apps.
    app = Sanic(f"complaint_bot_{next(_app_names)}")
    app.config.FALLBACK_ERROR_FORMAT = "json"
    app.config.REQUEST_MAX_SIZE = 1_000_000
    app.ctx.settings = settings
    app.ctx.store = store or open_store(settings.database_url)
    app.ctx.rasa = RasaClient(settings.rasa_url, settings.rasa_auth_token, settings.rasa_timeout_seconds)
    app.ctx.events = make_event_hub(app.ctx.store)  # live updates for the desk (SSE) and chats
    # Every chat message (customer, bot, degraded replies) shows up live on the desk.
    app.ctx.store.on_message(lambda session_id, message: app.ctx.events.publish(
        "message", {"session_id": session_id, "ticket_id": None, "message": message}))
    app.ctx.notifier = Notifier.from_settings(settings)  # optional webhook
    app.ctx.login_throttle = LoginThrottle()
    app.ctx.clock = lambda: datetime.now(timezone.utc)  # replaceable in tests
    app.ctx.escalation_interval = ESCALATION_INTERVAL_SECONDS

    from bot.services.handoff import install as install_handoff
    from bot.web.routes import chat, desk, desk_pages, health, tickets, widget

    chat.install(app)  # rate limiter and per-session chat state
    install_handoff(app)  # bot ↔ human: pause/resume in Rasa, live queue, presence, ratings

    app.blueprint(health.bp)
    app.blueprint(chat.bp)
    app.blueprint(tickets.bp)
    app.blueprint(desk.bp)
    app.blueprint(desk_pages.bp)  # the desk's pages and suggested next steps
    app.blueprint(widget.bp)  # the demo shop page at / and the chat widget

    @app.exception(BadRequest)
    async def _bad_request(request, exc: BadRequest):
        return error_response(exc)

    @app.exception(NotFound, MethodNotSupported, PayloadTooLarge)
    async def _http_errors(request, exc):
        if isinstance(exc, NotFound):
            return json({"error": "not_found", "message": "找不到这个地址。"}, status=404)
        if isinstance(exc, PayloadTooLarge):
            return json({"error": "payload_too_large", "message": "请求体太大了（最多 1 MB）。"}, status=413)
        return json({"error": "method_not_allowed", "message": f"这个地址不支持 {request.method} 请求。"}, status=405)

    @app.exception(Exception)
    async def _unexpected(request, exc: Exception):
        status = getattr(exc, "status_code", 500)
        if status >= 500:
            log.exception("unhandled error on %s", request.path)
        message = str(exc) if status < 500 else "服务器开小差了，请稍后再试。"
        return json({"error": "http_error" if status < 500 else "server_error", "message": message}, status=status)

    @app.before_server_start
    async def _start_live_events(app, _loop):
        await app.ctx.events.start()

    @app.after_server_start
    async def _start_escalation(app, loop):
        app.ctx.escalation_task = loop.create_task(run_escalation_loop(app, app.ctx.escalation_interval))

    @app.before_server_stop
    async def _stop_background(app, _loop):
        app.ctx.events.shutdown()  # ends open SSE streams so the server can stop at once
        task = getattr(app.ctx, "escalation_task", None)
        if task is not None:
            task.cancel()

    @app.after_server_stop
    async def _close_clients(app, _loop):
        await app.ctx.rasa.close()
        await app.ctx.notifier.close()

    return app
