"""Helpers for the action tests: settings for one test, trackers built the way Rasa builds them,
and small real HTTP servers on loopback standing in for the order API and the bot service.

Trackers are real `rasa_sdk.Tracker` objects made from event dicts; `form_turn` reproduces what
Rasa 3.6 sends to `validate_complaint_form` (rasa/core/actions/forms.py `_temporary_tracker`): the
conversation so far, the user message, the slot candidates `action_extract_slots` found, then
`requested_slot`, the form's `ActionExecuted` and the candidates again.
"""
from __future__ import annotations

import json
import re
import sqlite3
import threading
import time
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
from rasa.core.nlg.interpolator import interpolate_text
from rasa.shared.core.domain import Domain
from rasa_sdk import Tracker
from rasa_sdk.events import ActionExecuted, ActiveLoop, SlotSet
from rasa_sdk.executor import CollectingDispatcher

import actions.acknowledge
import actions.answers
import actions.asking
import actions.common
import actions.general
import actions.handoff
import actions.intake
import actions.submission
from actions.clients import tickets as tickets_client
from actions.clients.tickets import TicketClient
from bot.config import Settings, load_settings
from bot.domain.identity import CONVERSATION_SIGNATURE, sign_conversation
from tests.support.net import free_port  # noqa: F401 (re-exported for tests)

ROOT = Path(__file__).resolve().parents[2]
FORM = "complaint_form"
SHOP_TZ = ZoneInfo("Asia/Shanghai")
ALWAYS_OPEN = "daily 00:00-24:00"
TOKEN = "test-token-0123456789abcdef"
IDENTITY_SECRET = "identity-secret-0123456789abcdef"
SENDER = "web-3f2a9c"
TAOBAO = "4512345678901234567"  # an order number in Taobao's format, shared by the action tests
FORM_STARTED = 1_763_000_000.0  # timestamp of the form's ActiveLoop event in `in_form`
PLACEHOLDER = re.compile(r"{\w+}")

with warnings.catch_warnings():
    warnings.simplefilter("ignore", UserWarning)  # "slot auto-fill has been removed": not ours to fix
    DOMAIN: dict[str, Any] = Domain.load(str(ROOT / "domain.yml")).as_dict()


# -- settings ----------------------------------------------------------------------------------

def closed_now_hours() -> tuple[str, int]:
    """A daily one-hour window starting two hours from now (shop time), so the shop is closed now.

    Returns the BUSINESS_HOURS value and the opening hour, for exact assertions on the promise.
    """
    hour = (datetime.now(SHOP_TZ).hour + 2) % 24
    return f"daily {hour:02d}:00-{hour + 1:02d}:00", hour


def make_settings(tmp_path: Path, **env: str) -> Settings:
    """Settings from an explicit environment only (no .env): always open unless told otherwise."""
    values = {
        "DOTENV_DISABLED": "1",
        "SHOP_NAME": "小满家居",
        "SHOP_TIMEZONE": "Asia/Shanghai",
        "BUSINESS_HOURS": ALWAYS_OPEN,
        "FOLLOW_CHINA_HOLIDAYS": "false",
        "BOT_API_TOKEN": TOKEN,
        "IDENTITY_SECRET": IDENTITY_SECRET,
        "BOT_SERVICE_URL": closed_port_url(),
        "OUTBOX_PATH": str(tmp_path / "outbox.sqlite3"),
        "ORDER_API_TIMEOUT_SECONDS": "0.3",
    }
    values.update(env)
    return load_settings(values, env_file=Path("/nonexistent"))


def use_settings(monkeypatch: pytest.MonkeyPatch, settings: Settings) -> Settings:
    """Makes every action module read `settings` (they imported the function by name)."""
    for module in (actions.common, actions.intake, actions.submission, actions.general, actions.handoff,
                   actions.acknowledge, actions.answers, actions.asking):
        monkeypatch.setattr(module, "settings", lambda: settings)
    return settings


def use_ticket_client(monkeypatch: pytest.MonkeyPatch, settings: Settings, **options: Any) -> TicketClient:
    """The process-wide ticket client, built here with fast retries and no background thread."""
    options = {"timeout": 1.0, "attempts": 2, "backoff": 0.01, **options}
    client = TicketClient(settings.bot_service_url, settings.bot_api_token, settings.outbox_path, **options)
    monkeypatch.setattr(tickets_client, "_client", client)
    return client


def set_up_shop(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, **env: str) -> tuple[Settings, TicketClient]:
    """Settings and ticket client for one test (the bot service is unreachable unless BOT_SERVICE_URL says)."""
    settings = use_settings(monkeypatch, make_settings(tmp_path, **env))
    return settings, use_ticket_client(monkeypatch, settings)


def outbox_rows(path: str | Path) -> list[dict[str, Any]]:
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT idempotency_key, payload, attempts FROM outbox ORDER BY created_at").fetchall()
    return [{"idempotency_key": key, "payload": json.loads(payload), "attempts": attempts}
            for key, payload, attempts in rows]


# -- events and trackers -------------------------------------------------------------------------

def entity(name: str, value: Any, text: str | None = None) -> dict[str, Any]:
    return {"entity": name, "value": value, "text": text if text is not None else str(value),
            "extractor": "RegexEntityExtractor"}


def user(text: str, intent: str | None, confidence: float = 0.97, entities: Iterable[dict] = (),
         metadata: dict[str, Any] | None = None, timestamp: float | None = None,
         signed_for: str | None = SENDER) -> dict[str, Any]:
    """A user event as Rasa stores it, with the NLU's parse data. Its metadata carries the bot
    service's signature for the session `signed_for` and the metadata's customer_ref, as every
    message relayed by the bot service does (bot.domain.identity); None leaves it unsigned."""
    metadata = dict(metadata or {})
    if signed_for is not None:
        metadata[CONVERSATION_SIGNATURE] = sign_conversation(IDENTITY_SECRET, signed_for, metadata.get("customer_ref"))
    parse_data = {
        "text": text,
        "intent": {"name": intent, "confidence": confidence},
        "intent_ranking": [{"name": intent, "confidence": confidence}],
        "entities": list(entities),
        "metadata": metadata or {},
    }
    return {"event": "user", "timestamp": timestamp or time.time(), "text": text, "parse_data": parse_data,
            "input_channel": "rest", "metadata": metadata or {}}


def slot(name: str, value: Any) -> dict[str, Any]:
    return SlotSet(name, value, timestamp=time.time())


def action(name: str) -> dict[str, Any]:
    return ActionExecuted(name, timestamp=time.time())


def loop(name: str | None, timestamp: float | None = None) -> dict[str, Any]:
    return ActiveLoop(name, timestamp=timestamp or time.time())


def tracker(events: list[dict[str, Any]], sender_id: str = SENDER) -> Tracker:
    """A real Tracker whose slots, latest message, active loop and latest action follow the events."""
    slots: dict[str, Any] = {name: None for name in DOMAIN["slots"]}
    slots["requested_slot"] = None
    latest: dict[str, Any] = {}
    active: dict[str, Any] = {}
    latest_action = None
    for event in events:
        kind = event["event"]
        if kind == "slot":
            slots[event["name"]] = event["value"]
        elif kind == "user":
            latest = {**event["parse_data"], "text": event["text"]}
        elif kind == "active_loop":
            active = {"name": event["name"]} if event["name"] else {}
        elif kind == "action":
            latest_action = event["name"]
        elif kind == "restart":
            slots = {name: None for name in slots}
    return Tracker(sender_id, slots, latest, [dict(e) for e in events], False, None, active, latest_action)


def first_message(text: str, intent: str, confidence: float = 0.97, entities: Iterable[dict] = (),
                  slots: dict[str, Any] | None = None, metadata: dict[str, Any] | None = None) -> Tracker:
    """The tracker `action_acknowledge_complaint` sees after the customer's first complaint:
    the message, then the slots the domain mappings filled from it."""
    events = [action("action_session_start"), {"event": "session_started", "timestamp": time.time()},
              action("action_listen"), user(text, intent, confidence, entities, metadata)]
    events += [slot(name, value) for name, value in (slots or {}).items()]
    return tracker(events)


def in_form(first: str = "快递三天没动了", intent: str = "complain_logistics_delay", *,
            filled: dict[str, Any] | None = None, requested: str = "order_number",
            started: float = FORM_STARTED, priority: str = "normal") -> list[dict[str, Any]]:
    """Events of a conversation whose complaint form is running and has asked for `requested`.

    `filled` holds slots set earlier in the form (in order); `issue_type` defaults to the one of
    the first message.
    """
    from bot.domain.taxonomy import issue_type_for_intent

    issue_type = issue_type_for_intent(intent)
    events = [action("action_session_start"), {"event": "session_started", "timestamp": started - 5},
              action("action_listen"), user(first, intent, timestamp=started - 2),
              slot("issue_type", issue_type),
              action("action_acknowledge_complaint"),
              slot("description", first), slot("priority", priority), slot("risk_flags", []),
              slot("off_hours", False), slot("failed_attempts", {}),
              action(FORM), loop(FORM, timestamp=started)]
    events += [slot(name, value) for name, value in (filled or {}).items()]
    events += [slot("requested_slot", requested), action("action_listen")]
    return events


def form_turn(history: list[dict[str, Any]], message: dict[str, Any], candidates: dict[str, Any] | None = None,
              ) -> Tracker:
    """What Rasa sends to `validate_complaint_form` after `message` while the form is active."""
    requested = tracker(history).get_slot("requested_slot")
    found = [slot(name, value) for name, value in (candidates or {}).items()]
    events = [*history, message, *found, slot("requested_slot", requested), action(FORM), *found]
    return tracker(events)


def filled_form(order: str | None = "4512345678901234567", expectation: str = "return_refund",
                first: str = "我订单4512345678901234567的羽绒服拉链坏了，要退货退款",
                intent: str = "complain_product_quality", started: float = FORM_STARTED,
                **extra: Any) -> list[dict[str, Any]]:
    """A complaint form that has just been confirmed and completed, as action_submit_complaint sees it."""
    filled = {"order_number": order, "order_number_status": "given" if order else "unknown",
              "expectation": expectation, **extra}
    events = in_form(first, intent, filled=filled, requested="confirm", started=started)
    events += [user("对，提交吧", "affirm"), slot("confirm", True), slot("requested_slot", None),
               action(FORM), loop(None)]
    return events


# -- reading results -------------------------------------------------------------------------------

def rendered(message: dict[str, Any]) -> list[dict[str, Any]]:
    """What the customer may read for one dispatched message. A domain response comes back as
    every one of its variations, filled with the message's values by Rasa's own interpolator (the
    Rasa server would add slot values; an action passes what its text needs), so a `not in` check
    covers each wording. A placeholder the action did not fill fails the test here rather than
    reaching a customer as "{due}"."""
    name = message.get("response")
    if not name:
        return [{"text": message.get("text") or "", "buttons": message.get("buttons") or []}]
    assert name in DOMAIN["responses"], f"{name} is not a response in domain.yml"
    variations = []
    for variation in DOMAIN["responses"][name]:
        text = interpolate_text(variation.get("text") or "", message)
        assert not PLACEHOLDER.search(text), f"{name}: a placeholder was not filled: {text}"
        buttons = [*(variation.get("buttons") or []), *(message.get("buttons") or [])]  # Rasa appends the action's
        variations.append({"text": text, "buttons": buttons})
    return variations


def texts(dispatcher: CollectingDispatcher) -> str:
    return "\n".join(v["text"] for m in dispatcher.messages for v in rendered(m))


def responses(dispatcher: CollectingDispatcher) -> list[str]:
    return [m["response"] for m in dispatcher.messages if m.get("response")]


def payloads(dispatcher: CollectingDispatcher) -> list[str]:
    """The buttons the customer sees, the response's own included (once, whatever the variation)."""
    seen: list[str] = []
    for message in dispatcher.messages:
        for payload in dict.fromkeys(b["payload"] for v in rendered(message) for b in v["buttons"]):
            seen.append(payload)
    return seen


def slot_values(events: list[dict[str, Any]]) -> dict[str, Any]:
    """The value each slot ends up with after the returned events (the last SlotSet wins)."""
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def slot_events(events: list[dict[str, Any]]) -> list[tuple[str, Any]]:
    return [(e["name"], e["value"]) for e in events if e.get("event") == "slot"]


# -- real HTTP on loopback ---------------------------------------------------------------------------


def closed_port_url() -> str:
    """A URL on loopback where nothing listens: connections are refused at once."""
    return f"http://127.0.0.1:{free_port()}"


@dataclass
class Received:
    method: str
    path: str
    query: dict[str, list[str]]
    raw_query: str
    headers: dict[str, str]
    body: Any


@dataclass
class Reply:
    status: int = 200
    body: Any = None
    delay: float = 0.0


@dataclass
class LocalServer:
    """A real HTTP server in a thread on 127.0.0.1; `answer(request)` decides each reply.

    Every request is recorded in `received` (path, parsed query, headers, JSON body).
    """

    answer: Callable[[Received], Reply]
    port: int = 0
    received: list[Received] = field(default_factory=list)

    def __post_init__(self) -> None:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _handle(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw) if raw else None
                except ValueError:
                    body = raw.decode("utf-8", "replace")
                request = Received(self.command, parts.path, parse_qs(parts.query), parts.query,
                                   {k.lower(): v for k, v in self.headers.items()}, body)
                server.received.append(request)
                reply = server.answer(request)
                if reply.delay:
                    time.sleep(reply.delay)
                data = json.dumps(reply.body, ensure_ascii=False).encode() if reply.body is not None else b""
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", "application/json; charset=utf-8")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    pass  # the client gave up waiting (a timeout test)

            do_GET = do_POST = do_PATCH = _handle

            def log_message(self, *args: Any) -> None:
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            block_on_close = False
            allow_reuse_address = True

        self._server = Server(("127.0.0.1", self.port), Handler)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> LocalServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._server.shutdown()
        self._server.server_close()

    def requests_to(self, path: str) -> list[Received]:
        return [r for r in self.received if r.path == path]


def created_ticket(body: dict[str, Any], number: int = 7, due_text: str = "今天 17:15 前") -> Reply:
    """What the bot service answers to POST /api/tickets (bot/web/routes/tickets.py `create_ticket`)."""
    ticket_id = f"TK-20261123-{number:04d}"
    view = {"id": ticket_id, "idempotency_key": body.get("idempotency_key"), "session_id": body.get("session_id"),
            "issue_type": body.get("issue_type"), "priority": body.get("priority") or "normal", "status": "new",
            "first_response_due_text": due_text}
    return Reply(201, {"id": ticket_id, "created": True, "first_response_due_text": due_text, "ticket": view})


async def validate_form(turn: Tracker) -> tuple[CollectingDispatcher, list[dict[str, Any]]]:
    """Runs the complaint form's validation exactly as Rasa calls it on the action server."""
    from actions.intake import ValidateComplaintForm

    dispatcher = CollectingDispatcher()
    return dispatcher, await ValidateComplaintForm().run(dispatcher, turn, DOMAIN)
