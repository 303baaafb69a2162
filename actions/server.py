"""`python -m actions.server`: the action server, on loopback and for Rasa only.

rasa-sdk's own `rasa run actions` listens on every interface and answers anyone. This builds the
same Sanic app (`rasa_sdk.endpoint.create_app`, same routes, same executor) and adds:

- the address: ACTION_HOST, 127.0.0.1 by default (Rasa runs on the same machine);
- a shared secret: every request but `GET /health` must carry
  `Authorization: Bearer $ACTION_SERVER_TOKEN` (endpoints.yml makes Rasa send it); anything else
  is answered 401 before any action runs. The header, not Rasa's `token` query parameter, because
  query strings end up in access logs;
- no CORS: only Rasa calls this server, never a browser.

What an action may do for whom is the actions' own check (actions/common.py `signed_customer`).
"""
from __future__ import annotations

import argparse
import hmac
import logging
import sys

from sanic import Sanic
from sanic.request import Request
from sanic.response import json

from bot.config import ConfigError, Settings, load_settings

log = logging.getLogger(__name__)
OPEN_PATHS = frozenset({"/health"})  # the supervisor and the bot service's /healthz poll it


def bearer_token(request: Request) -> bytes:
    scheme, _, token = (request.headers.get("authorization") or "").partition(" ")
    return token.strip().encode("utf-8", "replace") if scheme.lower() == "bearer" else b""


def create_app(settings: Settings) -> Sanic:
    """rasa-sdk's app for the `actions` package, refusing every call without the secret."""
    from rasa_sdk.endpoint import create_app as create_sdk_app

    for name in ("ACTION_SERVER_TOKEN", "IDENTITY_SECRET"):  # without the second, nobody's identity verifies
        if len(getattr(settings, name.lower())) < 16:
            raise ConfigError(f"{name}: expected a secret of at least 16 characters "
                              "(run `make run` once to generate it into .env)")
    expected = settings.action_server_token.encode("utf-8")
    app = create_sdk_app("actions", cors_origins="")

    @app.middleware("request")
    async def require_secret(request: Request):
        if request.method == "GET" and request.path in OPEN_PATHS:
            return None
        if not hmac.compare_digest(bearer_token(request), expected):
            return json({"error": "unauthorized", "message": "the action server answers Rasa only"}, status=401)
        return None

    return app


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m actions.server", description=__doc__.split("\n")[0])
    parser.add_argument("--host", help="address to listen on (default ACTION_HOST, 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port (default ACTION_PORT, 5055)")
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
        app = create_app(settings)
    except ConfigError as exc:
        print(f"配置错误 / configuration error: {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(level=settings.log_level, format="%(levelname)s %(name)s: %(message)s")
    host, port = args.host or settings.action_host, args.port or settings.action_port
    log.info("action server on http://%s:%s (Rasa only: bearer secret required)", host, port)
    app.run(host=host, port=port, access_log=False, motd=False, workers=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
