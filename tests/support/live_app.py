"""Helpers for the ticket-service tests: settings without any .env, the real bot-service app served
on a free loopback port from a background thread (so a test can reach its store, clock and event
hub directly), a logged-in agent, and a small local HTTP receiver for webhooks."""
from __future__ import annotations

import asyncio
import json
import secrets
import threading
from contextlib import contextmanager
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests

from bot.config import Settings, load_settings
from tests.support.net import free_port  # noqa: F401 (re-exported for tests)

TOKEN = "test-token-" + secrets.token_urlsafe(16)



def make_settings(tmp_path: Path, **env: str) -> Settings:
    values = {
        "BOT_API_TOKEN": TOKEN, "RASA_AUTH_TOKEN": secrets.token_urlsafe(24),
        "SESSION_SECRET": secrets.token_urlsafe(24), "SHOP_SECRET": secrets.token_urlsafe(24),
        "IDENTITY_SECRET": secrets.token_urlsafe(24),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'desk.sqlite3'}",
        "BUSINESS_HOURS": "daily 00:00-24:00", "FOLLOW_CHINA_HOLIDAYS": "false",
        "RASA_URL": f"http://127.0.0.1:{free_port()}",  # nothing listens there
        "RASA_TIMEOUT_SECONDS": "1",
        **env,
    }
    return load_settings(values, env_file=tmp_path / "no.env")


class LiveApp:
    """`create_app(settings, store)` served for real by Sanic on 127.0.0.1 in a thread."""

    def __init__(self, settings: Settings, store=None):
        from sanic import Sanic

        from bot.web.app import create_app

        # Sanic rewrites its protocol's methods when a server starts ("touch-up"); a second app in
        # the same process only survives that in test mode, which keeps the original methods.
        Sanic.test_mode = True
        self.app = create_app(settings, store)
        self.settings = settings
        self.store = self.app.ctx.store
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.loop = asyncio.new_event_loop()
        self._server = None
        self._started = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="live-app", daemon=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_until_complete(self._start())
        except BaseException as exc:  # noqa: BLE001 - reported to the test thread
            self._error = exc
            self._started.set()
            return
        self._started.set()
        self.loop.run_forever()

    async def _start(self) -> None:
        self._server = await self.app.create_server(host="127.0.0.1", port=self.port, access_log=False,
                                                    return_asyncio_server=True)
        await self._server.startup()
        await self._server.before_start()
        await self._server.after_start()

    async def _stop(self) -> None:
        await self._server.before_stop()
        self._server.close()
        await self._server.wait_closed()
        await self._server.after_stop()

    def start(self) -> LiveApp:
        self._thread.start()
        self._started.wait(30)
        if self._error is not None:
            raise self._error
        return self

    def stop(self) -> None:
        if self._server is not None:
            asyncio.run_coroutine_threadsafe(self._stop(), self.loop).result(30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)

    def set_clock(self, moment: datetime | None) -> None:
        """Pretend it is `moment` inside the app (None: the real time again)."""
        self.app.ctx.clock = (lambda: moment) if moment else (lambda: datetime.now(timezone.utc))

    def call(self, method: str, path: str, token: str | None = TOKEN, **kwargs) -> requests.Response:
        headers = dict(kwargs.pop("headers", {}) or {})
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        return requests.request(method, f"{self.base}{path}", headers=headers, timeout=30, **kwargs)


def ticket_body(key: str, **fields) -> dict:
    body = {"idempotency_key": key, "session_id": f"s-{key}", "channel": "web",
            "order_number": "4512345678901234567", "order_number_status": "given",
            "issue_type": "logistics_delay", "expectation": "expedite", "description": "快递五天了还没到，麻烦催一下"}
    body.update(fields)
    return {k: v for k, v in body.items() if v is not ...}


def add_agent(store, name: str, password: str = "correct horse 1", display_name: str | None = None) -> dict:
    from bot.web.passwords import hash_password

    return store.create_agent(name, display_name or name, hash_password(password), datetime.now(timezone.utc))


class AgentClient:
    """A logged-in agent: a requests session holding the cookie, sending the CSRF token."""

    def __init__(self, live: LiveApp, name: str, password: str = "correct horse 1"):
        self.live = live
        self.http = requests.Session()
        response = self.http.post(f"{live.base}/desk/login", json={"name": name, "password": password}, timeout=30)
        assert response.status_code == 200, response.text
        self.csrf_token = response.json()["csrf_token"]
        self.name = name

    def call(self, method: str, path: str, csrf: bool = True, **kwargs) -> requests.Response:
        headers = dict(kwargs.pop("headers", {}) or {})
        if csrf:
            headers["X-CSRF-Token"] = self.csrf_token
        return self.http.request(method, f"{self.live.base}{path}", headers=headers, timeout=30, **kwargs)


class Receiver:
    """A local HTTP server that records JSON posts and answers from a script of statuses."""

    def __init__(self, statuses: list[int] | None = None, body: dict | None = None, delay: float = 0.0):
        self.requests: list[dict] = []
        self.statuses = list(statuses or [])
        self.body = body if body is not None else {"errcode": 0, "errmsg": "ok"}
        self.delay = delay
        self.received = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's naming
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                if receiver.delay:
                    threading.Event().wait(receiver.delay)
                receiver.requests.append({"path": self.path, "headers": dict(self.headers),
                                          "json": json.loads(raw.decode("utf-8"))})
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                payload = json.dumps(receiver.body if status < 300 else {"error": "boom"}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
                receiver.received.set()

            def log_message(self, *_args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Receiver:
        self._thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self.server.shutdown()
        self.server.server_close()


POSTGRES = {"host": "127.0.0.1", "port": 5432, "user": "postgres", "dbname": "test"}


def postgres_unreachable() -> str | None:
    """Why PostgreSQL cannot be used for the tests, or None when it can."""
    try:
        import psycopg2
    except ImportError:
        return "psycopg2 is not installed"
    try:
        psycopg2.connect(connect_timeout=3, **POSTGRES).close()
    except psycopg2.Error as exc:
        return f"PostgreSQL at {POSTGRES['host']}:{POSTGRES['port']}/{POSTGRES['dbname']} unreachable: {exc}".strip()
    return None


@contextmanager
def database_url(kind: str, tmp_path: Path):
    """A fresh, empty database: a SQLite file, or a new PostgreSQL schema dropped afterwards."""
    if kind == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.sqlite3'}"
        return
    reason = postgres_unreachable()
    if reason:
        pytest.skip(f"PostgreSQL tests skipped: {reason}")
    import psycopg2

    schema_name = f"t_{secrets.token_hex(6)}"
    admin = psycopg2.connect(**POSTGRES)
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f"CREATE SCHEMA {schema_name}")
    try:
        yield (f"postgresql://{POSTGRES['user']}@{POSTGRES['host']}:{POSTGRES['port']}/{POSTGRES['dbname']}"
               f"?options=-csearch_path%3D{schema_name}")
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f"DROP SCHEMA IF EXISTS {schema_name} CASCADE")
        admin.close()
