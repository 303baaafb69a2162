"""Conversation simulator: customer personas × every issue type talk to the assistant over the
chat API, answering its questions by reading its replies; success is judged on the stored ticket.

    .venv/bin/python -m bench.simulator --base http://127.0.0.1:8000 --token $BOT_API_TOKEN
    .venv/bin/python -m bench.simulator --keyword-bot          # the shop keyword auto-reply instead
    .venv/bin/python -m bench.simulator --start-stack          # start the stack on free ports first

Each simulated customer has a goal (issue type, an order number in a real platform format or none,
an expectation) and a persona that decides how it speaks. It detects which question the bot asks
(issue type, order number, expectation, confirmation, correction) from the reply text and the
buttons, answers with free text most of the time and with a button sometimes, confirms the summary
when it is right and corrects it otherwise.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import random
import re
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from bench import phrases as P
from bench.common import log, percentile, rate, summarise
from bot.domain.taxonomy import EXPECTATIONS, ISSUE_TYPES

PERSONAS = ("terse", "angry", "rambling", "corrects_themselves", "no_order_number", "asks_for_human_midway",
            "one_long_message")
ISSUE_KEYS = tuple(ISSUE_TYPES)
TICKET_RE = re.compile(r"TK-\d{8}-\d{4}")
MAX_TURNS = 12

# ---------------------------------------------------------------------------------------------
# Goals


def order_number(platform: str, rng: random.Random) -> str:
    """A realistic order number: 淘宝/天猫 18–19 digits, 京东 11–12 (modern ones start with 2 or 3,
    so none looks like a mobile number), 拼多多 YYMMDD-15 digits."""
    if platform == "taobao":
        length = rng.choice((18, 19))
        return rng.choice("1234") + "".join(rng.choice("0123456789") for _ in range(length - 1))
    if platform == "jd":
        length = rng.choice((11, 12))
        return rng.choice("23") + "".join(rng.choice("0123456789") for _ in range(length - 1))
    if platform == "pdd":
        day = date(2025, 1, 1) + timedelta(days=rng.randrange(0, 600))
        return day.strftime("%y%m%d") + "-" + "".join(rng.choice("0123456789") for _ in range(15))
    raise ValueError(platform)


@dataclass
class Goal:
    issue_type: str
    expectation: str
    order_number: str | None
    platform: str


def make_goal(persona: str, issue_type: str, rng: random.Random) -> Goal:
    platform = rng.choice(("taobao", "taobao", "jd", "pdd"))
    number = None if persona == "no_order_number" else order_number(platform, rng)
    return Goal(issue_type=issue_type, expectation=rng.choice(P.GOAL_WISHES[issue_type]), order_number=number,
                platform=platform)


# ---------------------------------------------------------------------------------------------
# Reading the bot's replies


@dataclass
class BotTurn:
    """What one answer of the bot means to a customer."""

    kind: str  # ticket, handoff, confirm, ask_correction, ask_order, ask_expectation, ask_issue, cancelled,
    #            fallback, other, error
    text: str
    buttons: list[dict] = field(default_factory=list)
    ticket_id: str | None = None
    summary: dict[str, Any] | None = None


def _buttons(reply: dict) -> list[dict]:
    return [b for b in reply.get("buttons") or [] if isinstance(b, dict)]


def _classify_one(reply: dict) -> str | None:
    text = reply.get("text") or ""
    payloads = [b.get("payload", "") for b in _buttons(reply)]
    if "/affirm" in payloads and "/deny" in payloads or "确认一下" in text:
        return "confirm"
    if "哪里需要修改" in text or "正确的内容" in text:
        return "ask_correction"
    if "/dont_know" in payloads or re.search(r"订单号发我|提供一下订单号|哪一笔订单|订单号好像不太对|再核对一下", text):
        return "ask_order"
    if any(p.startswith("/inform") and "expectation" in p for p in payloads) or \
            re.search(r"希望.{0,4}(怎么|如何)(处理|解决)|想怎么(处理|解决)", text):
        return "ask_expectation"
    if any(p.startswith("/complain_") for p in payloads) or re.search(r"什么问题|哪方面的问题|具体遇到", text):
        return "ask_issue"
    return None


def classify_turn(replies: list[dict], mode: str = "bot") -> BotTurn:
    """The meaning of one chat answer. The last reply that asks something decides; a ticket number
    or a hand-off anywhere ends the conversation."""
    text = "\n".join(r.get("text") or "" for r in replies)
    buttons = [b for r in replies for b in _buttons(r)]
    ticket = TICKET_RE.search(text)
    if mode == "degraded":  # Rasa did not answer in time: the bot service recorded the message itself
        return BotTurn("degraded", text, buttons, ticket.group(0) if ticket else None)
    if mode == "human" or re.search(r"转人工客服|转给客服|转接人工|人工客服.{0,6}(接入|接手)", text):
        return BotTurn("handoff", text, buttons, ticket.group(0) if ticket else None)
    if ticket or re.search(r"已经为您(提交|登记)好了", text):
        return BotTurn("ticket", text, buttons, ticket.group(0) if ticket else None)
    for reply in reversed(replies):
        kind = _classify_one(reply)
        if kind:
            return BotTurn(kind, text, buttons, summary=parse_summary(text) if kind == "confirm" else None)
    if "取消" in text and "登记" in text:
        return BotTurn("cancelled", text, buttons)
    if re.search(r"没太看明白|没理解|没太理解|换个说法", text):
        return BotTurn("fallback", text, buttons)
    return BotTurn("other", text, buttons)


_LABEL_TO_ISSUE = {t.label: k for k, t in ISSUE_TYPES.items()}
_LABEL_TO_EXPECTATION = {label: k for k, label in EXPECTATIONS.items()}


def parse_summary(text: str) -> dict[str, Any]:
    """The read-back summary as values: order_number (None when "not given"), issue_type,
    expectation; a key is missing when that line cannot be read."""
    found: dict[str, Any] = {}
    m = re.search(r"订单号[：:]\s*([^\s，,（(]+)", text)
    if m:
        value = m.group(1)
        found["order_number"] = None if "暂未" in value or "未提供" in value else value
    m = re.search(r"问题[：:]\s*([^\s（(，,\n]+)", text)
    if m and m.group(1) in _LABEL_TO_ISSUE:
        found["issue_type"] = _LABEL_TO_ISSUE[m.group(1)]
    m = re.search(r"诉求[：:]\s*([^\s（(，,\n]+)", text)
    if m and m.group(1) in _LABEL_TO_EXPECTATION:
        found["expectation"] = _LABEL_TO_EXPECTATION[m.group(1)]
    return found


# ---------------------------------------------------------------------------------------------
# The simulated customer


ISSUE_BUTTON = {"product_quality": "/complain_product_quality", "not_as_described": "/complain_not_as_described",
                "wrong_or_missing_item": "/complain_wrong_or_missing_item",
                "logistics_delay": "/complain_logistics_delay",
                "package_damaged_or_lost": "/complain_package_damaged_or_lost",
                "after_sales_refund": "/complain_after_sales_refund"}


class Customer:
    """One simulated customer. `opening()` is the first message; `answer(turn)` the reply to the
    bot's answer, or None when the customer is done (ticket number or hand-off seen, or gave up)."""

    def __init__(self, persona: str, issue_type: str, seed: int | str, goal: Goal | None = None):
        if persona not in PERSONAS:
            raise ValueError(f"unknown persona {persona!r}")
        self.persona = persona
        self.rng = random.Random(f"{persona}|{issue_type}|{seed}")
        self.goal = goal or make_goal(persona, issue_type, self.rng)
        self.said: dict[str, Any] = {}  # what the customer has told the bot so far (field -> value)
        self.turns = 0
        self.corrections = 0
        self.done = False
        self.outcome: str | None = None  # ticket, handoff, gave_up, max_turns
        self.ticket_id: str | None = None
        self.button_rate = {"terse": 0.4, "one_long_message": 0.0}.get(persona, 0.2)
        self.human_at = self.rng.choice((2, 3)) if persona == "asks_for_human_midway" else None
        self.human_asks = 0
        self.human_pick = self.rng.randrange(len(P.HUMAN))
        # corrects_themselves: first says a wrong order number or a wrong wish, then fixes it.
        self.mistake = self.rng.choice(("order_number", "expectation")) if persona == "corrects_themselves" else None
        if self.mistake == "expectation" and self.goal.expectation == "other":
            self.mistake = "order_number"  # nobody corrects a slip into "whatever you think"
        self.fix_attempts: dict[str, int] = {}
        self.mistake_fixed = False
        self.fix_when = self.rng.choice(("next_turn", "summary"))
        self.problem = self.rng.choice(P.PROBLEMS[issue_type])
        self.pending_fix: str | None = None
        self.last_summary: dict[str, Any] = {}

    # -- wording -----------------------------------------------------------------------------
    def _pick(self, options: list[str], **values: Any) -> str:
        return self.rng.choice(options).format(**values)

    def _wish_text(self, wish: str | None = None) -> str:
        return self.rng.choice(P.WISHES[wish or self.goal.expectation])

    def _wrong_wish(self) -> str:
        return next(w for w in self.rng.sample(list(P.WISHES), len(P.WISHES))
                    if w not in (self.goal.expectation, "other"))

    def _wrong_order(self) -> str:
        return order_number(self.goal.platform, self.rng)

    def describe_problem(self, first: bool) -> str:
        if self.persona == "terse":
            return self.rng.choice(P.TERSE[self.goal.issue_type])
        problem = self.problem if first else self.rng.choice(P.PROBLEMS[self.goal.issue_type])
        if self.persona == "angry":
            return self._pick(P.ANGRY_OPENERS) + problem + self._pick(P.ANGRY_CLOSERS)
        if self.persona == "rambling" and first:
            return self._pick(P.RAMBLE_OPENERS) + problem + self._pick(P.RAMBLE_CLOSERS)
        return problem

    def say_order(self) -> str:
        number = self.goal.order_number
        if self.mistake == "order_number" and "order_number" not in self.said:
            number = self._wrong_order()
            self.pending_fix = "order_number"
        self.said["order_number"] = number
        if self.persona == "angry":
            return self._pick(P.ANGRY_ORDER, order=number)
        if self.persona == "rambling":
            return self._pick(P.RAMBLE_ORDER, order=number)
        return self._pick(P.PLAIN_ORDER, order=number)

    def say_wish(self) -> str:
        wish = self.goal.expectation
        if self.mistake == "expectation" and "expectation" not in self.said:
            wish = self._wrong_wish()
            self.pending_fix = "expectation"
        self.said["expectation"] = wish
        text = self._wish_text(wish)
        if self.persona == "angry":
            return self._pick(P.ANGRY_WISH, wish=text)
        if self.persona == "rambling":
            return self._pick(P.RAMBLE_WISH, wish=text)
        return text

    def fix_mistake(self) -> str:
        """The correction of the earlier slip (corrects_themselves)."""
        self.mistake_fixed = True
        self.pending_fix = None
        self.corrections += 1
        if self.mistake == "order_number":
            self.said["order_number"] = self.goal.order_number
            return self._pick(P.ORDER_FIX, order=self.goal.order_number)
        self.said["expectation"] = self.goal.expectation
        return self._pick(P.SELF_WISH_FIX, wish=self._wish_text())

    # -- the conversation --------------------------------------------------------------------
    def opening(self) -> str:
        self.turns = 1
        self.said["issue_type"] = self.goal.issue_type
        if self.persona == "one_long_message":
            wish = self._wish_text()
            self.said["expectation"] = self.goal.expectation
            if self.goal.order_number:
                self.said["order_number"] = self.goal.order_number
                return self._pick(P.LONG_TEMPLATES, problem=self.problem, order=self.goal.order_number, wish=wish)
            return self._pick(P.LONG_NO_ORDER, problem=self.problem, wish=wish)
        return self.describe_problem(first=True)

    def answer(self, turn: BotTurn) -> str | None:
        if turn.kind in ("ticket", "handoff"):
            self.done, self.outcome, self.ticket_id = True, turn.kind, turn.ticket_id
            return None
        if turn.kind == "degraded" and all(k in self.said for k in ("issue_type", "order_number", "expectation")):
            # The bot service recorded everything in a ticket itself; nothing is left to add.
            self.done, self.outcome, self.ticket_id = True, "degraded", turn.ticket_id
            return None
        if self.turns >= MAX_TURNS:
            self.done, self.outcome = True, "max_turns"
            return None
        self.turns += 1
        if turn.kind == "confirm":
            self.last_summary = turn.summary or {}
        return self.choose(turn)

    def choose(self, turn: BotTurn) -> str:
        """The next message for a bot answer (pure apart from the customer's own random draws)."""
        if self.human_at is not None and self.turns >= self.human_at:
            # Asks for a person; asks once more if the bot carries on as if nothing was said.
            self.human_asks += 1
            if self.human_asks >= 2:
                self.human_at = None
            return P.HUMAN[(self.human_pick + self.human_asks) % len(P.HUMAN)]
        if self.pending_fix and self.fix_when == "next_turn" and turn.kind != "confirm":
            return self.fix_mistake()
        use_button = self.rng.random() < self.button_rate
        kind = turn.kind
        if kind == "confirm":
            return self.confirm(turn, use_button)
        if kind == "ask_correction":
            return self.correction(turn.summary or self.last_summary) or self.rng.choice(P.AFFIRM)
        if kind == "ask_order":
            return self.answer_order(use_button, turn)
        if kind == "ask_expectation":
            return self.answer_wish(use_button, turn)
        if kind == "ask_issue":
            button = ISSUE_BUTTON.get(self.goal.issue_type)
            if use_button and button and any(b.get("payload") == button for b in turn.buttons):
                return button
            return self.describe_problem(first=False)
        # Not a question the customer recognises (fallback, chit-chat, degraded, cancelled):
        # volunteer the next thing not said yet, else say the problem again.
        if "order_number" not in self.said:
            return self.answer_order(False, turn)
        if "expectation" not in self.said:
            return self.answer_wish(False, turn)
        return self.describe_problem(first=False)

    def answer_order(self, use_button: bool, turn: BotTurn) -> str:
        if self.goal.order_number is None:
            self.said["order_number"] = None
            if use_button and any(b.get("payload") == "/dont_know" for b in turn.buttons):
                return "/dont_know"
            return self.rng.choice(P.DONT_KNOW)
        if "order_number" in self.said and self.said["order_number"] == self.goal.order_number:
            return self._pick(P.PLAIN_ORDER, order=self.goal.order_number)  # asked again: repeat it
        return self.say_order()

    def answer_wish(self, use_button: bool, turn: BotTurn) -> str:
        wish = self.goal.expectation
        if self.mistake == "expectation" and "expectation" not in self.said:
            return self.say_wish()
        payload = f'/inform{{"expectation": "{wish}"}}'
        if use_button and any(b.get("payload", "").replace(" ", "") == payload.replace(" ", "")
                              for b in turn.buttons):
            self.said["expectation"] = wish
            return next(b["payload"] for b in turn.buttons
                        if b.get("payload", "").replace(" ", "") == payload.replace(" ", ""))
        return self.say_wish()

    def expected(self) -> dict[str, Any]:
        return {"order_number": self.goal.order_number, "issue_type": self.goal.issue_type,
                "expectation": self.goal.expectation}

    def correction(self, summary: dict[str, Any]) -> str | None:
        """The message that fixes the first wrong line of the summary, or None if all is right.
        A second try at the same line names the labels of the summary (问题不是A，是B)."""
        if self.pending_fix:
            return self.fix_mistake()
        want = self.expected()
        for name in ("order_number", "issue_type", "expectation"):
            if name in summary and summary[name] != want[name]:
                self.corrections += 1
                tries = self.fix_attempts[name] = self.fix_attempts.get(name, 0) + 1
                return self._fix_text(name, summary[name], want[name], tries)
        return None

    def _fix_text(self, name: str, wrong: Any, right: Any, tries: int) -> str:
        if name == "order_number":
            if right is None:
                return self.rng.choice(P.NO_ORDER_FIX)
            return self._pick(P.ORDER_FIX, order=right)
        if name == "issue_type":
            if tries >= 2 and wrong in ISSUE_TYPES:
                return self._pick(P.ISSUE_FIX_LABEL, wrong=ISSUE_TYPES[wrong].label, right=ISSUE_TYPES[right].label)
            return self._pick(P.ISSUE_FIX, problem=self.rng.choice(P.PROBLEMS[right]))
        if tries >= 2 and wrong in EXPECTATIONS:
            return self._pick(P.WISH_FIX_LABEL, wrong=EXPECTATIONS[wrong], right=EXPECTATIONS[right])
        return self._pick(P.WISH_FIX, wish=self._wish_text())

    def summary_is_wrong(self, summary: dict[str, Any]) -> bool:
        want = self.expected()
        return bool(self.pending_fix) or any(name in summary and summary[name] != want[name] for name in want)

    def confirm(self, turn: BotTurn, use_button: bool) -> str:
        summary = turn.summary or {}
        if self.corrections >= 3 or not self.summary_is_wrong(summary):  # after 3 tries: take it as it is
            return "/affirm" if use_button else self.rng.choice(P.AFFIRM)
        if use_button and not self.pending_fix:
            return "/deny"  # press 需要修改 first; the fix follows when the bot asks what to change
        return self.correction(summary) or self.rng.choice(P.AFFIRM)


# ---------------------------------------------------------------------------------------------
# Success


def judge(persona: str, goal: Goal | dict, said: dict[str, Any], tickets: list[dict],
          outcome: str | None = None) -> tuple[bool, list[str]]:
    """(success, reasons). Success: a ticket for the session with the right order number (None
    when the customer has none), issue type and expectation; for a customer who asked for a
    human midway, only what was said so far must be right, and the conversation must have been
    handed to a person (when `outcome` is known)."""
    want = goal if isinstance(goal, dict) else {"order_number": goal.order_number,
                                                "issue_type": goal.issue_type,
                                                "expectation": goal.expectation}
    if not tickets:
        return False, ["no ticket"]
    ticket = tickets[-1]
    fields = ("order_number", "issue_type", "expectation")
    if persona == "asks_for_human_midway":
        fields = tuple(f for f in fields if f in said)
    reasons = []
    if persona == "asks_for_human_midway" and outcome is not None and outcome != "handoff":
        reasons.append(f"asked for a human twice, not handed off (outcome: {outcome})")
    for name in fields:
        got = ticket.get(name) or None
        if got != want[name]:
            reasons.append(f"{name}: got {got!r}, want {want[name]!r}")
    return not reasons, reasons


# ---------------------------------------------------------------------------------------------
# Talking to a bot: over HTTP or to the in-process keyword bot


class HttpChat:
    """The real stack's chat API and ticket API."""

    def __init__(self, base: str, token: str, http, timeout: float = 60):
        import aiohttp

        self.base = base.rstrip("/")
        self.token = token
        self.http = http
        self.timeout = aiohttp.ClientTimeout(total=timeout)

    async def send(self, session_id: str, text: str) -> tuple[int, dict]:
        async with self.http.post(f"{self.base}/api/chat/{session_id}/messages", json={"text": text},
                                  timeout=self.timeout) as response:
            try:
                body = await response.json(content_type=None)
            except ValueError:
                body = {}
            return response.status, body if isinstance(body, dict) else {}

    async def tickets(self, session_id: str, ticket_id: str | None = None) -> list[dict]:
        headers = {"Authorization": f"Bearer {self.token}"}
        async with self.http.get(f"{self.base}/api/tickets", params={"session_id": session_id},
                                 headers=headers, timeout=self.timeout) as response:
            if response.status == 200:
                body = await response.json(content_type=None)
                found = body.get("tickets", body if isinstance(body, list) else [])
                found = [t for t in found if t.get("session_id") in (None, session_id)]
                if found:
                    return sorted(found, key=lambda t: str(t.get("created_at") or t.get("id") or ""))
        if ticket_id:
            async with self.http.get(f"{self.base}/api/tickets/{ticket_id}", headers=headers,
                                     timeout=self.timeout) as response:
                if response.status == 200:
                    body = await response.json(content_type=None)
                    return [body.get("ticket", body)]
        return []


@dataclass
class Conversation:
    persona: str
    issue_type: str
    session_id: str
    goal: dict[str, Any]
    transcript: list[tuple[str, str]] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)  # seconds, one per customer message
    modes: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    outcome: str | None = None
    ticket_id: str | None = None
    turns: int = 0
    seconds: float = 0.0
    success: bool | None = None
    reasons: list[str] = field(default_factory=list)
    said: dict[str, Any] = field(default_factory=dict)
    ticket: dict[str, Any] | None = None


async def converse(chat, customer: Customer, session_id: str,
                   on_message: Callable[[float, int, str], Awaitable[None] | None] | None = None) -> Conversation:
    """Runs one whole conversation; never raises for a bad answer (it is recorded as an error)."""
    conv = Conversation(customer.persona, customer.goal.issue_type, session_id,
                        {"order_number": customer.goal.order_number, "issue_type": customer.goal.issue_type,
                         "expectation": customer.goal.expectation, "platform": customer.goal.platform})
    started = time.perf_counter()
    text: str | None = customer.opening()
    while text is not None:
        conv.transcript.append(("customer", text))
        sent = time.perf_counter()
        try:
            status, body = await chat.send(session_id, text)
        except Exception as exc:  # noqa: BLE001 - timeouts, refused connections: recorded
            status, body = 0, {"error": f"{type(exc).__name__}: {exc}"}
        latency = time.perf_counter() - sent
        conv.latencies.append(latency)
        mode = body.get("mode", "error") if status == 200 else "error"
        conv.modes.append(mode)
        if on_message is not None:
            maybe = on_message(latency, status, mode)
            if asyncio.iscoroutine(maybe):
                await maybe
        if status != 200:
            conv.errors.append(f"HTTP {status}: {str(body)[:200]}")
            conv.transcript.append(("bot", f"<error HTTP {status}>"))
            if len(conv.errors) >= 3:
                customer.outcome = "errors"
                break
            turn = BotTurn("error", "")
        else:
            replies = body.get("replies") or []
            conv.transcript.append(("bot", "\n".join(
                (r.get("text") or "") + ("  [" + " | ".join(b.get("title", "") for b in r.get("buttons") or []) + "]"
                                         if r.get("buttons") else "") for r in replies)))
            turn = classify_turn(replies, mode)
        text = customer.answer(turn)
    conv.seconds = time.perf_counter() - started
    conv.outcome = customer.outcome
    conv.ticket_id = customer.ticket_id
    conv.turns = customer.turns
    conv.said = dict(customer.said)
    return conv


async def check_ticket(chat, conv: Conversation) -> Conversation:
    try:
        tickets = await chat.tickets(conv.session_id, conv.ticket_id)
    except Exception as exc:  # noqa: BLE001 - reported as the reason
        conv.success, conv.reasons = False, [f"ticket API error: {type(exc).__name__}: {exc}"]
        return conv
    conv.success, conv.reasons = judge(conv.persona, conv.goal, conv.said, tickets, conv.outcome)
    conv.ticket = {k: tickets[-1].get(k) for k in ("id", "order_number", "issue_type", "expectation",
                                                   "priority")} if tickets else None
    if len(tickets) > 1:
        conv.reasons.append(f"note: {len(tickets)} tickets for this session")
    return conv


def plan(per_cell: int, seed: int = 2026) -> list[tuple[str, str, str]]:
    """(persona, issue_type, seed) for every persona × issue type, `per_cell` times each."""
    return [(persona, issue, f"{seed}-{n}") for n in range(per_cell) for persona in PERSONAS
            for issue in ISSUE_KEYS]


async def simulate(chat, per_cell: int = 1, concurrency: int = 4, seed: int = 2026, label: str = "sim",
                   progress: bool = True) -> list[Conversation]:
    jobs = plan(per_cell, seed)
    run_id = uuid.uuid4().hex[:6]
    done: list[Conversation] = []
    queue: asyncio.Queue = asyncio.Queue()
    for i, job in enumerate(jobs):
        queue.put_nowait((i, job))

    async def worker() -> None:
        while True:
            try:
                i, (persona, issue, job_seed) = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            customer = Customer(persona, issue, job_seed)
            conv = await converse(chat, customer, f"{label}-{run_id}-{i}")
            await check_ticket(chat, conv)
            done.append(conv)
            if progress and len(done) % 20 == 0:
                ok = sum(bool(c.success) for c in done)
                log(f"  simulator [{label}]: {len(done)}/{len(jobs)} conversations, {ok} succeeded")

    await asyncio.gather(*(worker() for _ in range(max(1, concurrency))))
    done.sort(key=lambda c: int(c.session_id.rsplit("-", 1)[1]))
    return done


# ---------------------------------------------------------------------------------------------
# Report


def failure_cause(conv: Conversation) -> str:
    """A short label of why a conversation failed (for the top-causes list)."""
    if conv.errors:
        return "HTTP errors"
    if conv.outcome in ("max_turns", "errors"):
        return f"no ticket: {conv.outcome} (bot kept asking or did not understand)"
    for reason in conv.reasons:
        if reason.startswith("asked for a human"):
            return "human request not handed off"
        if reason == "no ticket":
            return f"no ticket ({conv.outcome})"
        if reason.startswith("ticket API"):
            return "ticket API error"
    fields = [r.split(":", 1)[0] for r in conv.reasons if not r.startswith("note")]
    return "wrong " + " + ".join(fields) if fields else "unknown"


def report(conversations: list[Conversation]) -> dict[str, Any]:
    n = len(conversations)
    ok = [c for c in conversations if c.success]
    by_persona: dict[str, list[Conversation]] = defaultdict(list)
    by_issue: dict[str, list[Conversation]] = defaultdict(list)
    for c in conversations:
        by_persona[c.persona].append(c)
        by_issue[c.issue_type].append(c)

    def cell(items: list[Conversation]) -> dict[str, Any]:
        good = sum(bool(c.success) for c in items)
        return {"n": len(items), "success": good, "rate": rate(good, len(items))}

    ticket_turns = [c.turns for c in conversations if c.outcome in ("ticket", "handoff")]
    failures = [c for c in conversations if not c.success]
    causes = Counter(failure_cause(c) for c in failures)
    wrong_fields = Counter(r.split(":", 1)[0] for c in failures for r in c.reasons if ": got" in r)
    latencies = [x for c in conversations for x in c.latencies]
    return {
        "conversations": n,
        "success": len(ok),
        "success_rate": rate(len(ok), n),
        "per_persona": {p: cell(by_persona[p]) for p in PERSONAS if p in by_persona},
        "per_issue_type": {i: cell(by_issue[i]) for i in ISSUE_KEYS if i in by_issue},
        "turns_per_ticket": {"mean": (sum(ticket_turns) / len(ticket_turns)) if ticket_turns else None,
                             "p50": percentile(ticket_turns, 50), "p95": percentile(ticket_turns, 95),
                             "n": len(ticket_turns)},
        "turns_per_ticket_by_persona": {
            p: (sum(c.turns for c in by_persona[p] if c.outcome in ("ticket", "handoff"))
                / max(1, sum(1 for c in by_persona[p] if c.outcome in ("ticket", "handoff"))))
            for p in PERSONAS if p in by_persona},
        "outcomes": dict(Counter(c.outcome or "none" for c in conversations)),
        "failure_causes": dict(causes.most_common()),
        "wrong_fields": dict(wrong_fields.most_common()),
        "message_latency_s": summarise(latencies),
        "failures": [{
            "session_id": c.session_id, "persona": c.persona, "issue_type": c.issue_type, "goal": c.goal,
            "ticket": c.ticket, "outcome": c.outcome, "reasons": c.reasons, "cause": failure_cause(c),
            "transcript": c.transcript,
        } for c in failures[:10]],
        "failure_examples_by_cause": {
            cause: [{"persona": c.persona, "issue_type": c.issue_type, "goal": c.goal, "ticket": c.ticket,
                     "first_message": c.transcript[0][1] if c.transcript else ""}
                    for c in failures if failure_cause(c) == cause][:3]
            for cause in causes},
    }


def print_summary(result: dict[str, Any], label: str) -> None:
    sr = result["success_rate"]
    log(f"simulator [{label}]: {result['success']}/{result['conversations']} succeeded "
        f"({(sr or 0) * 100:.1f}%), turns per ticket {result['turns_per_ticket']['mean']}")
    for persona, cell in result["per_persona"].items():
        log(f"    {persona:<22} {cell['success']}/{cell['n']}")
    for cause, count in result["failure_causes"].items():
        log(f"    failure: {cause}: {count}")


async def run_http(base: str, token: str, per_cell: int, concurrency: int, seed: int) -> dict[str, Any]:
    import aiohttp

    async with aiohttp.ClientSession() as http:
        chat = HttpChat(base, token, http)
        conversations = await simulate(chat, per_cell=per_cell, concurrency=concurrency, seed=seed, label="sim")
    return report(conversations)


async def run_keyword_bot(per_cell: int, seed: int) -> dict[str, Any]:
    from bench.keyword_bot import KeywordBot

    conversations = await simulate(KeywordBot(), per_cell=per_cell, concurrency=1, seed=seed, label="kw",
                                   progress=False)
    return report(conversations)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", default="http://127.0.0.1:8000", help="bot service URL")
    parser.add_argument("--token", default="", help="BOT_API_TOKEN (tickets API)")
    parser.add_argument("--per-cell", type=int, default=1, help="conversations per persona × issue type")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--keyword-bot", action="store_true", help="talk to the keyword auto-reply bot")
    parser.add_argument("--start-stack", action="store_true", help="start the stack on free ports first")
    parser.add_argument("--json", help="write the result here")
    args = parser.parse_args(argv)
    if args.keyword_bot:
        result = asyncio.run(run_keyword_bot(args.per_cell, args.seed))
        label = "keyword bot"
    elif args.start_stack:
        import tempfile
        from pathlib import Path

        from bench.common import bench_stack, start_stack

        stack = bench_stack(Path(tempfile.mkdtemp(prefix="bench-sim-")))
        try:
            start_stack(stack)
            result = asyncio.run(run_http(stack.base, stack.token, args.per_cell, args.concurrency, args.seed))
        finally:
            stack.stop_all()
        label = "ours"
    else:
        result = asyncio.run(run_http(args.base, args.token, args.per_cell, args.concurrency, args.seed))
        label = "ours"
    print_summary(result, label)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(result, fh, ensure_ascii=False, indent=2)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
