"""Outgoing webhook for new, urgent and overdue tickets: 企业微信, 钉钉, 飞书 or plain JSON.

(The lead's early warnings and daily digest go through the same `Notifier`; their messages are
laid out in bot.integrations.team_messages.)

The message carries what a lead needs to act (id, type, wish, priority, risk, due time, a link to
the desk) and nothing personal: phone numbers, ID numbers and e-mails in the customer's words are
masked with bot.domain.privacy, and customer ids are left out.

Sending happens in a background task with bounded retries and exponential back-off; every
outcome is logged and nothing here ever raises into ticket creation. A 企业微信/钉钉/飞书 robot
answers HTTP 200 with an error code in the body when it refuses a message; that is logged as a
failure. 钉钉 robots with the "custom keywords" security setting need a keyword: every message
contains "投诉".
"""
from __future__ import annotations

import asyncio
import logging
import re
from datetime import datetime, timezone
from typing import Any

import aiohttp

from bot.domain.calendar import format_promise
from bot.domain.privacy import mask_personal_data, mask_phone, shorten
from bot.domain.taxonomy import EXPECTATIONS, ISSUE_TYPES, PRIORITIES
from bot.domain.triage import FLAG_LABELS_ZH

log = logging.getLogger(__name__)

FORMATS = ("json", "wecom", "dingtalk", "feishu")
KIND_TITLES = {"new": "新投诉工单", "urgent": "紧急投诉工单", "overdue": "投诉工单超时未处理"}
DESCRIPTION_CHARS = 200
# Characters that would turn a customer's words into markdown (links, headings, emphasis); the
# masks' asterisks become full-width too (138＊＊＊＊5678), or they would render as bold.
_MARKDOWN_DEFUSE = str.maketrans({"[": "［", "]": "］", "<": "＜", ">": "＞", "*": "＊", "`": "'", "#": "＃",
                                  "_": "＿", "\\": "＼"})


def _clean(text: str, limit: int = DESCRIPTION_CHARS) -> str:
    return shorten(re.sub(r"\s+", " ", mask_personal_data(text or "")).strip(), limit)


def clean_customer_text(text: str, limit: int = DESCRIPTION_CHARS) -> str:
    """A customer's words for a team message: personal data masked, one line, at most `limit` characters."""
    return _clean(text, limit)


def defuse_markdown(text: str) -> str:
    """Text that a markdown robot (企业微信, 钉钉) shows as it is: no links, headings or emphasis."""
    return text.translate(_MARKDOWN_DEFUSE)


def notification_fields(kind: str, ticket: dict, *, shop_name: str, desk_url: str, tz,
                        now: datetime | None = None) -> dict[str, Any]:
    """The facts of one notification, already masked; the formats below only lay them out."""
    now = now or datetime.now(timezone.utc)
    issue = ISSUE_TYPES.get(ticket.get("issue_type") or "")
    overdue = kind == "overdue"
    due = ticket["resolution_due"] if overdue and ticket.get("first_responded_at") else ticket["first_response_due"]
    return {
        "kind": kind,
        "title": f"{KIND_TITLES[kind]} {ticket['id']}",
        "shop": shop_name,
        "ticket_id": ticket["id"],
        "priority": ticket["priority"],
        "priority_label": PRIORITIES.get(ticket["priority"], ticket["priority"]),
        "issue_type": ticket.get("issue_type"),
        "issue_label": issue.label if issue else (ticket.get("issue_type") or ""),
        "expectation": ticket.get("expectation"),
        "expectation_label": EXPECTATIONS.get(ticket.get("expectation") or "", "未说明"),
        "risk_flags": list(ticket.get("risk_flags") or []),
        "risk_labels": [FLAG_LABELS_ZH.get(f, f) for f in ticket.get("risk_flags") or []],
        "order_number": ticket.get("order_number") or "",
        "phone": mask_phone(ticket.get("phone")),
        "description": _clean(ticket.get("description") or ""),
        "due_label": "解决时限" if overdue and ticket.get("first_responded_at") else "首次回复时限",
        "due_text": format_promise(due, now, tz) if due else "",
        "due_at": due.astimezone(timezone.utc).isoformat() if due else None,
        "url": f"{desk_url}/desk/tickets/{ticket['id']}",
    }


def _lines(f: dict[str, Any], markdown: bool) -> list[str]:
    def text(value: str) -> str:
        return value.translate(_MARKDOWN_DEFUSE) if markdown else value

    lines = [f"店铺：{text(f['shop'])}", f"优先级：{f['priority_label']}", f"问题：{f['issue_label']}",
             f"诉求：{f['expectation_label']}"]
    if f["risk_labels"]:
        lines.append(f"风险：{'、'.join(f['risk_labels'])}")
    if f["order_number"]:
        lines.append(f"订单号：{text(f['order_number'])}")
    if f["phone"]:
        lines.append(f"电话：{text(f['phone'])}")
    if f["due_text"]:
        lines.append(f"{f['due_label']}：{f['due_text']}")
    lines.append(f"顾客描述：{text(f['description'])}")
    return lines


def build_payload(fmt: str, fields: dict[str, Any]) -> dict[str, Any]:
    """The request body for one webhook format."""
    if fmt == "wecom":
        body = "\n".join([f"### {fields['title']}", *(f"> {line}" for line in _lines(fields, True)),
                          f"[在客服台打开]({fields['url']})"])
        return {"msgtype": "markdown", "markdown": {"content": body}}
    if fmt == "dingtalk":
        body = "\n\n".join([f"### {fields['title']}", *(f"- {line}" for line in _lines(fields, True)),
                            f"[在客服台打开]({fields['url']})"])
        return {"msgtype": "markdown", "markdown": {"title": fields["title"], "text": body}}
    if fmt == "feishu":
        body = "\n".join([fields["title"], *_lines(fields, False), f"客服台：{fields['url']}"])
        return {"msg_type": "text", "content": {"text": body}}
    if fmt == "json":
        text = "\n".join([fields["title"], *_lines(fields, False), f"客服台：{fields['url']}"])
        return {"event": fields["kind"], "title": fields["title"], "text": text, "ticket": {
            k: fields[k] for k in ("ticket_id", "priority", "issue_type", "expectation", "risk_flags",
                                   "order_number", "phone", "description", "due_at", "url")}}
    raise ValueError(f"unknown webhook format {fmt!r}; expected one of {', '.join(FORMATS)}")


def _refused(body: Any) -> str | None:
    """The robot's error code when it answered 200 but refused the message."""
    if isinstance(body, dict):
        for key in ("errcode", "code", "StatusCode"):
            if key in body and body[key] not in (0, "0", None):
                return f"{key}={body[key]} {body.get('errmsg') or body.get('msg') or body.get('StatusMessage') or ''}"
    return None


class Notifier:
    """Sends notifications for one shop; a no-op when no WEBHOOK_URL is set."""

    def __init__(self, url: str, fmt: str = "json", *, shop_name: str = "本店", desk_url: str = "",
                 tz: str = "Asia/Shanghai", attempts: int = 4, backoff_seconds: float = 1.0,
                 timeout_seconds: float = 5.0):
        if fmt not in FORMATS:
            raise ValueError(f"unknown webhook format {fmt!r}; expected one of {', '.join(FORMATS)}")
        self.url = url
        self.fmt = fmt
        self.shop_name = shop_name
        self.desk_url = desk_url.rstrip("/")
        self.tz = tz
        self.attempts = attempts
        self.backoff_seconds = backoff_seconds
        self.timeout = aiohttp.ClientTimeout(total=timeout_seconds)
        self._session: aiohttp.ClientSession | None = None
        self._tasks: set[asyncio.Task] = set()
        self.loop: asyncio.AbstractEventLoop | None = None  # the server's, once it runs (`started`)

    @classmethod
    def from_settings(cls, settings) -> Notifier:
        return cls(settings.webhook_url, settings.webhook_format, shop_name=settings.shop_name,
                   desk_url=settings.public_url, tz=settings.timezone)

    @property
    def enabled(self) -> bool:
        return bool(self.url)

    def payload(self, kind: str, ticket: dict, now: datetime | None = None) -> dict[str, Any]:
        fields = notification_fields(kind, ticket, shop_name=self.shop_name, desk_url=self.desk_url,
                                     tz=self.tz, now=now)
        return build_payload(self.fmt, fields)

    def started(self, loop: asyncio.AbstractEventLoop) -> None:
        """The server's loop: notifications queued from worker threads (ticket changes made off
        the loop, bot.services.store_access) are sent from it."""
        self.loop = loop

    def notify(self, kind: str, ticket: dict) -> None:
        """Queues a notification in the background; returns at once and never raises. Safe from
        any thread: off the loop, it is handed to the server's loop (`started`)."""
        if not self.enabled:
            return
        try:
            payload = self.payload(kind, ticket)
            try:
                running = asyncio.get_running_loop()
            except RuntimeError:
                running = None
            loop = self.loop
            if running is not None:
                self._send_soon(payload, ticket["id"])
            elif loop is not None and not loop.is_closed():
                loop.call_soon_threadsafe(self._send_soon, payload, ticket["id"])
            else:
                raise RuntimeError("no event loop to send it from")
        except Exception:  # noqa: BLE001 - a notification must never break the caller
            log.exception("webhook: could not queue %s notification for %s", kind, ticket.get("id"))

    def _send_soon(self, payload: dict[str, Any], ticket_id: str) -> None:
        """(on the loop) Starts sending in a background task."""
        task = asyncio.get_running_loop().create_task(self.deliver(payload, ticket_id))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self.timeout)
        return self._session

    async def deliver(self, payload: dict[str, Any], ticket_id: str = "") -> bool:
        """POSTs with retries on network errors, 429 and 5xx. True when the receiver accepted it."""
        for attempt in range(1, self.attempts + 1):
            retry = True
            try:
                http = await self._http()
                async with http.post(self.url, json=payload) as response:
                    text = await response.text()
                    if response.status < 300:
                        try:
                            refused = _refused(await response.json(content_type=None))
                        except ValueError:
                            refused = None
                        if refused is None:
                            log.info("webhook: %s delivered (attempt %d)", ticket_id, attempt)
                            return True
                        log.error("webhook: %s refused by the receiver: %s", ticket_id, refused)
                        return False
                    retry = response.status == 429 or response.status >= 500
                    log.warning("webhook: %s got HTTP %d (attempt %d/%d): %s", ticket_id, response.status,
                                attempt, self.attempts, text[:200])
            except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
                log.warning("webhook: %s failed (attempt %d/%d): %r", ticket_id, attempt, self.attempts, exc)
            except Exception:  # noqa: BLE001 - never let a notification crash the service
                log.exception("webhook: %s failed unexpectedly", ticket_id)
                return False
            if not retry or attempt == self.attempts:
                break
            await asyncio.sleep(self.backoff_seconds * 2 ** (attempt - 1))
        log.error("webhook: %s not delivered; giving up", ticket_id)
        return False

    async def drain(self, timeout: float = 10.0) -> None:
        """Waits for queued notifications (shutdown, tests)."""
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=timeout)

    async def close(self) -> None:
        await self.drain(timeout=5.0)
        if self._session is not None:
            await self._session.close()
