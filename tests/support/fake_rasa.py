"""A fake Rasa for service-level tests: a local HTTP server speaking Rasa's REST channel and
tracker API that records what it was sent and can be made to fail, stall or stay silent, and
`live_app`, the real bot service on loopback wired to it."""
from __future__ import annotations

import json
import re
import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from tests.support.live_app import LiveApp, add_agent, make_settings, ticket_body


class FakeRasa:
    """What the bot service needs of Rasa. `mode`: ok | down (HTTP 503) | slow | silent ([]).
    "转人工" behaves like action_handoff: it creates a hand-off ticket through the ticket API."""

    def __init__(self):
        self.messages: list[dict] = []  # webhook bodies that got an answer
        self.tracker_events: list[tuple[str, dict, str]] = []  # (session, event, token)
        self.mode = "ok"
        self.delay = 3.0
        self.live: LiveApp | None = None
        # (text, sender) -> replies: a test's own stand-in for the assistant's actions, when set
        self.on_message = None
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _send(self, status: int, payload) -> None:
                body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):  # noqa: N802 - http.server's naming
                self._send(200, {"model_file": "fake.tar.gz"})

            def do_POST(self):  # noqa: N802
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                body = json.loads(raw.decode("utf-8")) if raw else None
                url = urlsplit(self.path)
                tracker = re.match(r"^/conversations/([^/]+)/tracker/events$", url.path)
                if tracker:
                    token = parse_qs(url.query).get("token", [""])[0]
                    for event in body if isinstance(body, list) else [body]:
                        fake.tracker_events.append((tracker.group(1), event, token))
                    self._send(200, {"events": []})
                    return
                if fake.mode == "down":
                    self._send(503, {"error": "down"})
                    return
                if fake.mode == "slow":
                    time.sleep(fake.delay)
                if fake.mode == "silent":
                    fake.messages.append(body)
                    self._send(200, [])
                    return
                fake.messages.append(body)
                self._send(200, fake.answer(body))

            def log_message(self, *_args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def answer(self, body: dict) -> list[dict]:
        text, session = body["message"], body["sender"]
        if self.on_message is not None:
            return self.on_message(text, session)
        if text == "转人工" and self.live is not None:
            created = self.live.call("POST", "/api/tickets", json=ticket_body(
                f"handoff-{session}", session_id=session, handoff_requested=True, description="顾客要求转人工",
                issue_type="other_complaint", order_number=None, expectation=None)).json()
            return [{"text": f"好的，马上为您转人工客服（工单号 {created['id']}）。"}]
        return [{"text": f"收到：{text}", "buttons": [{"title": "好的", "payload": "/affirm"}]}]

    def texts(self, session: str | None = None) -> list[str]:
        return [m["message"] for m in self.messages if session is None or m["sender"] == session]

    def events_for(self, session: str) -> list[str]:
        return [event["event"] for sid, event, _token in self.tracker_events if sid == session]

    def __enter__(self) -> FakeRasa:
        self._thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self.server.shutdown()
        self.server.server_close()


@contextmanager
def live_app(tmp_path, rasa: FakeRasa, **env: str):
    live = LiveApp(make_settings(tmp_path, RASA_URL=rasa.url, RASA_TIMEOUT_SECONDS="1", **env))
    live.app.ctx.escalation_interval = 3600  # no priority changes while a test runs
    live.start()
    add_agent(live.store, "lily", display_name="丽丽")
    add_agent(live.store, "max", display_name="小马")
    rasa.live = live
    try:
        yield live
    finally:
        live.stop()
