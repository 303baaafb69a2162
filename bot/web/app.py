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
from bot.services.handoff import Handoff
from bot.services.intake_idle import run_intake_filing_loop
from bot.services.store_access import StoreAccess, StoreUnavailable
from bot.services.tickets import TicketService
from bot.store import Store, open_store
from bot.store.live_events import EventLog
from bot.store.spool import MessageSpool
from bot.web.auth import LoginThrottle
from bot.web.events import EventHub
from bot.web.http import MAX_JSON_BYTES, BadRequest, error_response, readable_cookies, store_busy

_app_names = itertools.count()
NO_STORE_PATHS = ("/api/tickets", "/api/me", "/api/chat", "/api/progress", "/api/agents", "/api/desk")
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
    # Photos are up to MAX_ATTACHMENT_MB; JSON bodies stay at 1 MB (bot.web.http.json_object).
    app.config.REQUEST_MAX_SIZE = max(MAX_JSON_BYTES, settings.max_attachment_bytes + 64 * 1024)
    app.ctx.settings = settings
    app.ctx.store = store or open_store(settings.database_url)
    app.ctx.rasa = RasaClient(settings.rasa_url, settings.rasa_auth_token, settings.rasa_timeout_seconds,
                              identity_secret=settings.identity_secret)
    # The database from worker threads with a bounded wait; chat messages it refuses wait in a spool.
    app.ctx.db = StoreAccess(app.ctx.store, MessageSpool(settings.chat_spool_path), settings.store_timeout_seconds)
    app.ctx.events = make_event_hub(app.ctx.store)  # live updates for the desk (SSE) and chats
    # Every chat message (customer, bot, degraded replies) shows up live on the desk.
    app.ctx.store.on_message(lambda session_id, message: app.ctx.events.publish(
        "message", {"session_id": session_id, "ticket_id": None, "message": message}))
    app.ctx.notifier = Notifier.from_settings(settings)  # optional webhook
    app.ctx.login_throttle = LoginThrottle(app.ctx.store)  # failed logins persist in the database
    app.ctx.clock = lambda: datetime.now(timezone.utc)  # replaceable in tests
    # Every ticket change goes through here: written, announced on the hub, notified.
    app.ctx.tickets = TicketService(app.ctx.store, settings, hub=app.ctx.events, notifier=app.ctx.notifier,
                                    clock=lambda: app.ctx.clock())
    app.ctx.escalation_interval = ESCALATION_INTERVAL_SECONDS

    from bot.web import openapi
    from bot.web.routes import (
        attachments,
        canned,
        chat,
        desk,
        desk_live,
        desk_pages,
        health,
        queue,
        stats,
        tickets,
        widget,
    )
    from bot.web.routes.chat_contract import describe_chat_routes

    chat.install(app)  # the message pipeline (bot.services.conversation)
    attachments.install(app)  # evidence photos (bot.services.attachments)
    # Bot ↔ human: presence, live queue, pause/resume in Rasa, ratings, reactions to ticket changes.
    app.ctx.handoff = Handoff(app.ctx)
    app.ctx.events.on_publish(app.ctx.handoff.reactions.on_event)
    app.register_middleware(readable_cookies, "request")  # first: every later step may read cookies
    app.register_middleware(desk.note_agents_online, "request")
    stats.install(app)  # early warnings and the daily digest to the team's webhook

    app.blueprint(health.bp)
    app.blueprint(chat.bp)
    app.blueprint(attachments.bp)  # evidence photos in the chat
    app.blueprint(queue.bp)  # bulk actions and a customer's history (before tickets: /api/tickets/bulk)
    app.blueprint(tickets.bp)
    app.blueprint(desk.bp)
    app.blueprint(desk_live.bp)  # the live lane and the online/away switch
    app.blueprint(canned.bp)  # the team's canned replies
    app.blueprint(desk_pages.bp)  # the desk's pages and suggested next steps
    app.blueprint(widget.bp)  # the demo shop page at / and the chat widget
    app.blueprint(stats.bp)  # the lead's statistics: /api/stats, alerts, the chart library
    app.blueprint(openapi.bp)  # GET /api/openapi.json, generated from the routes above and their models
    describe_chat_routes()

    @app.on_response
    async def _no_store(request, response):
        # Tickets, conversations and who is logged in: never kept by a browser or a proxy cache.
        if response is not None and request.path.startswith(NO_STORE_PATHS):
            response.headers["Cache-Control"] = "no-store"

    @app.exception(BadRequest)
    async def _bad_request(request, exc: BadRequest):
        return error_response(exc)  # every 4xx of every route and model, one format

    @app.exception(StoreUnavailable)
    async def _store_unavailable(request, exc: StoreUnavailable):
        # The database did not answer within STORE_TIMEOUT_SECONDS (bot.services.store_access): a
        # desk page says so in HTML, a form login goes back to its page, every API answers 503 JSON.
        return desk_pages.store_busy_answer(request) or error_response(store_busy())

    @app.exception(NotFound, MethodNotSupported, PayloadTooLarge)
    async def _http_errors(request, exc):
        if isinstance(exc, NotFound):
            return json({"error": "not_found", "message": "找不到这个地址。"}, status=404)
        if isinstance(exc, PayloadTooLarge):
            if request.path.endswith("/attachments"):
                limit = request.app.ctx.settings.max_attachment_bytes // (1024 * 1024)
                return json({"error": "file_too_large", "field": "file",
                             "message": f"图片太大了：每张最多 {limit} MB，请压缩或截图后再发送。"}, status=413)
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
    async def _start_background(app, loop):
        app.ctx.handoff.control.started(loop)  # Rasa is paused and resumed from the server's loop
        app.ctx.notifier.started(loop)  # webhooks of changes made in worker threads are sent from it
        app.ctx.escalation_task = loop.create_task(run_escalation_loop(app, app.ctx.escalation_interval))
        app.ctx.intake_task = loop.create_task(run_intake_filing_loop(app))  # quiet chats' complaints filed
        app.ctx.spool_task = loop.create_task(app.ctx.db.replay())  # messages the database refused, written later

    @app.before_server_stop
    async def _stop_background(app, _loop):
        app.ctx.events.shutdown()  # ends open SSE streams so the server can stop at once
        app.ctx.handoff.control.stopping()
        for name in ("escalation_task", "intake_task", "spool_task"):
            task = getattr(app.ctx, name, None)
            if task is not None:
                task.cancel()

    @app.after_server_stop
    async def _close_clients(app, _loop):
        await app.ctx.rasa.close()
        await app.ctx.notifier.close()
        app.ctx.db.close()

    return app
