"""The bot service: a Sanic app factory wiring settings, store and clients to the routes."""
from __future__ import annotations

import itertools
import logging

from sanic import Sanic
from sanic.response import json

from bot.config import Settings
from bot.http import BadRequest, error_response
from bot.rasa_client import RasaClient
from bot.store import Store, open_store

_app_names = itertools.count()
log = logging.getLogger(__name__)


def create_app(settings: Settings, store: Store | None = None) -> Sanic:
    # Sanic keeps a registry of app names per process; tests build several apps.
    app = Sanic(f"complaint_bot_{next(_app_names)}")
    app.config.FALLBACK_ERROR_FORMAT = "json"
    app.config.REQUEST_MAX_SIZE = 1_000_000
    app.ctx.settings = settings
    app.ctx.store = store or open_store(settings.database_url)
    app.ctx.rasa = RasaClient(settings.rasa_url, settings.rasa_auth_token, settings.rasa_timeout_seconds)

    from bot.routes import chat, health

    app.blueprint(health.bp)
    app.blueprint(chat.bp)

    @app.exception(BadRequest)
    async def _bad_request(request, exc: BadRequest):
        return error_response(exc)

    @app.exception(Exception)
    async def _unexpected(request, exc: Exception):
        status = getattr(exc, "status_code", 500)
        if status >= 500:
            log.exception("unhandled error on %s", request.path)
        message = str(exc) if status < 500 else "服务器开小差了，请稍后再试。"
        return json({"error": "http_error" if status < 500 else "server_error", "message": message}, status=status)

    @app.after_server_stop
    async def _close_clients(app, _loop):
        await app.ctx.rasa.close()

    return app
