"""Bot ↔ human: who has a conversation, the live queue for 转人工, who is online, and ratings.

- A conversation is with a person while its session has an unresolved ticket with an assignee
  (read from the database, so it survives restarts and holds across replicas). Then customer
  messages go to the agent (stored, published to the desk) and the assistant says nothing.
- `watch()` listens to ticket updates on the event hub: an agent claiming a ticket pauses the
  conversation in Rasa (tracker event `pause`) and tells the customer who joined; resolving it
  resumes Rasa and asks for a satisfaction rating, which `capture_rating()` stores on the ticket.
- 转人工 within opening hours with an agent online puts the customer in a live queue with their
  place and a wait estimated from how fast agents really claimed hand-offs lately.
- Presence: an agent is online with an open desk event stream, or any desk request in the last
  few minutes (a request middleware notes both; the desk's routes need not know).
"""
from __future__ import annotations

import asyncio
import json
import logging
import math
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from statistics import median
from typing import Any

from sanic import Request, Sanic
from sqlalchemy import func, select

from bot.domain.calendar import format_promise
from bot.domain.promises import contact_promise
from bot.domain.rating import parse_rating, rating_payload
from bot.domain.taxonomy import ACTIVE_STATUSES as ACTIVE
from bot.domain.taxonomy import DONE_STATUSES as DONE
from bot.integrations.rasa_client import RasaUnavailable
from bot.services.tickets import ticket_view
from bot.store import schema
from bot.web.auth import COOKIE_NAME, session_token, token_hash

log = logging.getLogger(__name__)

ONLINE_SECONDS = 300  # a desk request in the last five minutes counts as online
RATING_WINDOW = timedelta(hours=24)  # a rating is accepted this long after the ticket was resolved
COMMENT_WINDOW = timedelta(minutes=10)  # the message right after a button rating may be its comment
QUEUE_NOTICE_SECONDS = 60  # at most one "you are number N" reminder a minute
AWAY_NOTICE_SECONDS = 600  # "your agent is away" at most every ten minutes
DEFAULT_MINUTES_PER_CUSTOMER = 4  # until there is history to measure
CLAIM_SAMPLE_DAYS = 7

RATING_PROMPT = "这次的服务您还满意吗？请点一个分数（1-5 分），也可以直接打字，比如「4分 处理得很快」。"
RATING_BUTTONS = [{"title": title, "payload": rating_payload(score)}
                  for score, title in ((5, "5 非常满意"), (4, "4 满意"), (3, "3 一般"), (2, "2 不满意"),
                                       (1, "1 非常不满意"))]

@dataclass(frozen=True)
class QueueSpot:
    ticket_id: str
    position: int  # 1 = next
    wait_minutes: int


@dataclass(frozen=True)
class SessionMode:
    mode: str  # "bot" | "human"
    ticket: dict | None = None  # the ticket a person has (or is queued for)
    agent_name: str | None = None  # display name, what the customer sees
    queue: QueueSpot | None = None  # queued, not yet claimed

    def as_dict(self) -> dict[str, Any]:
        return {"mode": self.mode, "agent": self.agent_name,
                "ticket_id": self.ticket["id"] if self.ticket else None,
                "queue": {"position": self.queue.position, "wait_minutes": self.queue.wait_minutes}
                if self.queue else None}


class Handoff:
    """One per app (`app.ctx.handoff`); create with `install(app)`."""

    def __init__(self, app: Sanic):
        self.app = app
        self.queue: dict[str, str] = {}  # ticket id → session id, in the order customers asked
        self.pending_resume: set[str] = set()  # sessions whose resume did not reach Rasa yet
        self._seen: dict[str, float] = {}  # agent name → monotonic time of the last desk request
        self._streams: dict[int, tuple[str, Request]] = {}  # open desk event streams
        self._queue_notice: dict[str, float] = {}
        self._away_notice: dict[str, float] = {}
        self._claim_minutes: tuple[float, float] | None = None  # (computed at, minutes)
        self.loop: asyncio.AbstractEventLoop | None = None  # the server's, once it runs
        self._tasks: set[asyncio.Task] = set()

    @property
    def ctx(self):
        return self.app.ctx

    def now(self) -> datetime:
        return self.ctx.clock()

    # -- presence -------------------------------------------------------------------------------
    async def note_request(self, request: Request) -> None:
        """Request middleware: a logged-in agent's request marks them online."""
        if not request.cookies.get(COOKIE_NAME):
            return
        token = session_token(request)
        if token is None:
            return
        found = self.ctx.store.agent_for_session(token_hash(token), self.now())
        if found is None:
            return
        name = found[0]["name"]
        if request.path == "/desk/logout":
            self._seen.pop(name, None)
            for key, (stream_agent, _request) in list(self._streams.items()):
                if stream_agent == name:
                    self._streams.pop(key, None)
            return
        self._seen[name] = time.monotonic()
        if request.path == "/api/desk/events":
            self._open_streams()  # forget the ones that ended (a reload, a closed tab)
            self._streams[id(request)] = (name, request)

    def _open_streams(self) -> set[str]:
        names = set()
        for key, (name, request) in list(self._streams.items()):
            transport = getattr(request, "transport", None)
            if transport is None or transport.is_closing():
                self._streams.pop(key, None)
            else:
                names.add(name)
        return names

    def online_agents(self) -> set[str]:
        recent = {name for name, seen in self._seen.items() if time.monotonic() - seen <= ONLINE_SECONDS}
        return recent | self._open_streams()

    # -- who has the conversation ---------------------------------------------------------------
    def _tickets(self, session_id: str) -> list[dict]:
        return self.ctx.store.tickets_for_customer(session_id=session_id, limit=20)

    def _display_name(self, agent: str | None) -> str | None:
        if not agent:
            return None
        found = self.ctx.store.get_agent(agent)
        return found["display_name"] if found else "客服"

    def mode_for(self, session_id: str, tickets: list[dict] | None = None) -> SessionMode:
        tickets = self._tickets(session_id) if tickets is None else tickets
        for ticket in tickets:
            if ticket["status"] in ACTIVE and ticket["assignee"]:
                return SessionMode("human", ticket, self._display_name(ticket["assignee"]))
        for ticket in tickets:
            if ticket["id"] in self.queue:
                spot = self.spot(ticket["id"])
                if spot is not None:
                    return SessionMode("human", ticket, None, spot)
        return SessionMode("bot")

    # -- the live queue ---------------------------------------------------------------------------
    def _waiting(self) -> list[str]:
        """Queued tickets still waiting (new, unassigned), oldest first; drops the others."""
        waiting = []
        for ticket_id in list(self.queue):
            ticket = self.ctx.store.get_ticket(ticket_id)
            if ticket is None or ticket["status"] != "new" or ticket["assignee"]:
                self.queue.pop(ticket_id, None)
            else:
                waiting.append(ticket_id)
        return waiting

    def spot(self, ticket_id: str) -> QueueSpot | None:
        waiting = self._waiting()
        if ticket_id not in waiting:
            return None
        position = waiting.index(ticket_id) + 1
        agents = max(1, len(self.online_agents()))
        return QueueSpot(ticket_id, position, max(1, math.ceil(position * self.minutes_per_customer() / agents)))

    def minutes_per_customer(self) -> float:
        """How long agents recently took to claim a hand-off (median, 1–30 minutes); cached a minute."""
        cached = self._claim_minutes
        if cached and time.monotonic() - cached[0] < 60:
            return cached[1]
        t, e = schema.tickets, schema.ticket_events
        since = (self.now() - timedelta(days=CLAIM_SAMPLE_DAYS)).astimezone(timezone.utc).replace(tzinfo=None)
        query = (select(t.c.created_at, func.min(e.c.at)).select_from(t.join(e, e.c.ticket_id == t.c.id))
                 .where(t.c.handoff_requested.is_(True), t.c.created_at >= since, e.c.action == "assigned")
                 .group_by(t.c.id, t.c.created_at).limit(500))
        try:
            with self.ctx.store.engine.connect() as conn:
                waits = [(claimed - created).total_seconds() / 60 for created, claimed in conn.execute(query)
                         if claimed >= created]
        except Exception:  # noqa: BLE001 - an estimate must never break a chat
            log.exception("could not measure claim times")
            waits = []
        minutes = min(30.0, max(1.0, median(waits))) if len(waits) >= 3 else float(DEFAULT_MINUTES_PER_CUSTOMER)
        self._claim_minutes = (time.monotonic(), minutes)
        return minutes

    def after_bot_reply(self, session_id: str, since: datetime) -> list[dict]:
        """After the assistant answered: when that answer was a hand-off (action_handoff created a
        ticket just now), queue the customer or say that nobody is online. Extra replies to send."""
        fresh = [t for t in self._tickets(session_id)
                 if t["handoff_requested"] and t["status"] == "new" and not t["assignee"]
                 and t["created_at"] >= since - timedelta(seconds=5) and t["id"] not in self.queue]
        if not fresh:
            return []
        ticket = fresh[0]
        now = self.now()
        if not contact_promise(self.ctx.settings, now=now).open_now:
            return []  # action_handoff already gave the off-hours callback time
        if not self.online_agents():
            due = format_promise(ticket["first_response_due"], now, self.ctx.settings.tz)
            return [{"text": f"现在客服都在忙，暂时没有人在线。您的工单 {ticket['id']} 已经登记好了，"
                             f"客服会在{due}联系您，回复会显示在这个窗口里，您也可以先去忙。"}]
        self.queue[ticket["id"]] = session_id
        self._queue_notice[session_id] = time.monotonic()
        spot = self.spot(ticket["id"])
        return [{"text": queue_text(spot), "custom": {"queue": {"position": spot.position,
                                                                 "wait_minutes": spot.wait_minutes}}}] if spot else []

    def queue_reminder(self, session_id: str, spot: QueueSpot) -> list[dict]:
        """A short "still number N" for a queued customer who writes again (once a minute at most)."""
        last = self._queue_notice.get(session_id, 0.0)
        if time.monotonic() - last < QUEUE_NOTICE_SECONDS:
            return []
        self._queue_notice[session_id] = time.monotonic()
        ahead = spot.position - 1
        where = f"前面还有 {ahead} 位" if ahead else "下一位就是您"
        return [{"text": f"收到，客服接入后都能看到。您{where}，预计还要约 {spot.wait_minutes} 分钟。"}]

    def agent_away_notice(self, session_id: str, mode: SessionMode) -> list[dict]:
        """The agent who has the conversation is not at the desk: say the message reached them
        (once in a while, not after every line), so nobody writes into silence."""
        if mode.queue is not None or not mode.ticket or mode.ticket["assignee"] in self.online_agents():
            return []
        last = self._away_notice.get(session_id, 0.0)
        if time.monotonic() - last < AWAY_NOTICE_SECONDS:
            return []
        self._away_notice[session_id] = time.monotonic()
        return [{"text": f"客服「{mode.agent_name}」暂时不在电脑前，您的消息已经转给TA，TA回来后会在这里回复您。",
                 "kind": "agent_away"}]

    def leave_queue_if_unstaffed(self, session_id: str, mode: SessionMode) -> list[dict]:
        """Queued, but the shop closed or every agent left: back to the assistant, with the callback time."""
        if mode.queue is None:
            return []
        now = self.now()
        if self.online_agents() and contact_promise(self.ctx.settings, now=now).open_now:
            return []
        self.queue.pop(mode.queue.ticket_id, None)
        due = format_promise(mode.ticket["first_response_due"], now, self.ctx.settings.tz)
        return [{"text": f"抱歉，客服刚好都不在线了。您的工单 {mode.ticket['id']} 已经登记，客服会在{due}联系您；"
                         "这段时间我先陪您，有什么补充直接告诉我。"}]

    # -- Rasa pause / resume ------------------------------------------------------------------------
    async def _tracker_event(self, session_id: str, event: str) -> bool:
        try:
            await self.ctx.rasa.append_events(session_id, [{"event": event}])
            return True
        except RasaUnavailable as exc:
            log.warning("could not %s the conversation %s in Rasa: %s", event, session_id, exc)
            return False

    async def pause(self, session_id: str) -> bool:
        self.pending_resume.discard(session_id)
        return await self._tracker_event(session_id, "pause")

    async def resume(self, session_id: str) -> bool:
        ok = await self._tracker_event(session_id, "resume")
        if ok:
            self.pending_resume.discard(session_id)
        else:
            self.pending_resume.add(session_id)  # retried before the next message goes to Rasa
        return ok

    async def ensure_resumed(self, session_id: str) -> None:
        if session_id in self.pending_resume:
            await self.resume(session_id)

    # -- reacting to ticket changes -------------------------------------------------------------------
    def on_event(self, event) -> None:
        """Hub listener, called inside `publish()`: the chat changes (notices, rating question) are
        written at once, in order with the agent's messages; Rasa is told in the background."""
        if event.data.get("merged_into"):
            return
        if event.kind == "ticket_created":
            self.merge_triage_ticket(event.data.get("ticket") or {})
        elif event.kind == "ticket_updated":
            self.on_ticket_updated(event.data.get("ticket") or {}, event.data.get("changes") or [])

    def _in_background(self, coroutine) -> None:
        loop = self.loop
        if loop is None or loop.is_closed():
            coroutine.close()  # not serving (a script, a test without a server): nobody to tell
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            task = loop.create_task(coroutine)
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        else:
            asyncio.run_coroutine_threadsafe(coroutine, loop)

    def merge_triage_ticket(self, created: dict) -> None:
        """The assistant is back and the customer completed a proper ticket: the same chat's
        degraded-mode ticket, if nobody took it yet, is closed into it (no duplicate for agents;
        its transcript is the same conversation)."""
        session_id = created.get("session_id")
        if not session_id or (created.get("idempotency_key") or "").startswith("degraded-"):
            return
        now = self.now()
        for ticket in self._tickets(session_id):
            if (ticket["id"] != created["id"] and ticket["idempotency_key"].startswith(f"degraded-{session_id}-")
                    and ticket["status"] == "new" and not ticket["assignee"]):
                updated, written = self.ctx.store.update_ticket(
                    ticket["id"], {"status": "closed"}, "system", now,
                    note=f"智能助手恢复后顾客完成了登记，已合并到 {created['id']}（对话记录相同）。")
                self.ctx.events.publish("ticket_updated", {
                    "ticket": ticket_view(updated, now, self.ctx.settings.tz), "changes": written,
                    "merged_into": created["id"]})

    def on_ticket_updated(self, ticket: dict, changes: list[dict]) -> None:
        session_id = ticket.get("session_id")
        if not session_id:
            return
        actions = {change.get("action"): change.get("details") or {} for change in changes}
        status_change = actions.get("status_changed")
        if status_change and ticket["status"] in DONE and status_change.get("from") in ACTIVE:
            self._ended(ticket)
            return
        if ticket["status"] in DONE:
            return
        if "assigned" in actions:
            if ticket.get("assignee"):
                self._taken(ticket, actions["assigned"].get("from"))
            else:
                self._released(ticket)
        elif status_change and status_change.get("from") in DONE and ticket.get("assignee"):
            self._taken(ticket, None)  # reopened by its agent

    def _say(self, session_id: str, sender: str, text: str, kind: str, ticket_id: str,
             buttons: list[dict] | None = None, **meta: Any) -> None:
        self.ctx.store.append_message(session_id, sender, text, buttons,
                                      {"kind": kind, "ticket_id": ticket_id, **meta})

    def _taken(self, ticket: dict, previous: str | None) -> None:
        session_id = ticket["session_id"]
        self.queue.pop(ticket["id"], None)
        name = self._display_name(ticket["assignee"])
        text = (f"已转由客服「{name}」继续为您服务。" if previous else
                f"客服「{name}」已接入，接下来由TA在这里为您服务，您直接发消息就可以。")
        self._say(session_id, "system", text, "agent_joined", ticket["id"], display_name=name)
        self._in_background(self.pause(session_id))

    def _someone_else_has(self, session_id: str, ticket_id: str) -> bool:
        return any(t["status"] in ACTIVE and t["assignee"] and t["id"] != ticket_id for t in self._tickets(session_id))

    def _released(self, ticket: dict) -> None:
        session_id = ticket["session_id"]
        if self._someone_else_has(session_id, ticket["id"]):
            return
        self._say(session_id, "system", "客服暂时离开了，您的问题仍在处理中。这段时间由智能助手为您服务。",
                  "agent_left", ticket["id"])
        self.pending_resume.add(session_id)
        self._in_background(self.resume(session_id))

    def _ended(self, ticket: dict) -> None:
        session_id = ticket["session_id"]
        self.queue.pop(ticket["id"], None)
        if self._someone_else_has(session_id, ticket["id"]):
            return
        self._say(session_id, "system", f"客服已处理完您的问题（工单 {ticket['id']}），本次人工服务结束。",
                  "agent_done", ticket["id"])
        if ticket.get("csat") is None:
            self._say(session_id, "bot", RATING_PROMPT, "rating_request", ticket["id"], RATING_BUTTONS, mode="bot")
        if ticket.get("assignee"):
            # Marked first: should the background call fail or the process stop, the next message
            # resumes the conversation before it goes to Rasa.
            self.pending_resume.add(session_id)
            self._in_background(self.resume(session_id))

    # -- satisfaction ratings ---------------------------------------------------------------------------
    def capture_rating(self, session_id: str, text: str) -> list[dict] | None:
        """When this message answers the rating question (or adds the comment right after it),
        stores it on the ticket and returns the thanks; else None (the message goes to Rasa)."""
        now = self.now()
        tickets = self._tickets(session_id)
        score, comment = parse_rating(text)
        if score is not None:
            ticket = next((t for t in tickets if t["status"] in DONE and t["csat"] is None and t["resolved_at"]
                           and now - t["resolved_at"] <= RATING_WINDOW), None)
            if ticket is None:
                return None
            self._store_rating(ticket, session_id, score, comment, now)
            thanks = "谢谢您的评价！" if score >= 4 else "抱歉这次没让您满意，您的意见主管会认真看，也可能回访您。"
            if comment is not None:
                return [{"text": thanks, "kind": "rating_done"}]
            return [{"text": thanks + "想补充几句建议的话，直接输入就好（不需要可以忽略）。", "kind": "rating_thanks"}]
        if text.startswith("/"):
            return None
        ticket = next((t for t in tickets if t["csat"] is not None and not t["csat_comment"] and t["csat_at"]
                       and now - t["csat_at"] <= COMMENT_WINDOW), None)
        if ticket is None or not self._last_bot_message_asked_for_comment(session_id):
            return None
        self._store_rating(ticket, session_id, ticket["csat"], text.strip()[:1000], now)
        return [{"text": "收到您的建议，谢谢！还有别的需要帮忙的，随时告诉我。", "kind": "rating_done"}]

    def _last_bot_message_asked_for_comment(self, session_id: str) -> bool:
        m = schema.chat_messages
        query = (select(m.c.meta).where(m.c.session_id == session_id, m.c.sender == "bot")
                 .order_by(m.c.id.desc()).limit(1))
        with self.ctx.store.engine.connect() as conn:
            meta = conn.execute(query).scalar()
        return bool(meta) and json.loads(meta).get("kind") == "rating_thanks"

    def _store_rating(self, ticket: dict, session_id: str, score: int, comment: str | None, now: datetime) -> None:
        updated = self.ctx.store.set_csat(ticket["id"], session_id, score, comment, now)
        self.ctx.events.publish("ticket_updated", {
            "ticket": ticket_view(updated, now, self.ctx.settings.tz),
            "changes": [{"action": "csat", "details": {"score": score, "comment": comment}}]})


def queue_text(spot: QueueSpot) -> str:
    ahead = spot.position - 1
    where = f"您前面还有 {ahead} 位顾客" if ahead else "您前面没有其他顾客"
    return (f"已为您排队转人工：{where}，预计等待约 {spot.wait_minutes} 分钟。"
            "客服接入后会直接在这个窗口和您对话，请不要关闭页面。")


def install(app: Sanic) -> Handoff:
    """Creates `app.ctx.handoff`: the presence middleware and the ticket-event listener."""
    handoff = Handoff(app)
    app.ctx.handoff = handoff
    app.register_middleware(handoff.note_request, "request")
    app.ctx.events.on_publish(handoff.on_event)

    async def _started(app, loop):
        handoff.loop = loop

    async def _stopping(app, loop):
        for task in list(handoff._tasks):
            task.cancel()

    app.register_listener(_started, "after_server_start")
    app.register_listener(_stopping, "before_server_stop")
    return handoff
