"""The message pipeline: one customer message in, the replies out, nothing the customer typed lost.

Every customer message is stored before anything else happens. Then:
- a person has the conversation (bot.services.handoff): the message goes to them, the assistant
  is quiet (mode "human");
- it answers the rating question after a resolved ticket: stored on the ticket;
- otherwise Rasa answers (mode "bot"), with the shop's verified customer id as metadata
  `customer_ref` (bot.domain.identity; a customer_ref the browser sends itself is dropped);
- when Rasa (or the action server behind it) is down, slow or silent, the customer is answered at
  once and the session's messages become one ticket marked `needs_triage` (mode "degraded").
  The next message tries Rasa again, so recovery needs nobody.

Whatever the mode, a customer message with content also reaches the session's latest ticket while
it is open (issue 11, `add_to_ticket`): appended to the description once, re-triaged (priority
only raised, flags added), scanned for the customer's deadline; acknowledgements (嗯, 好的) and
button presses are not.

A message resent with the same client id (after a lost connection) is answered once. Too long or
too fast a message is refused with `MessageRefused` (the web layer makes it a 4xx): too long
before anything is stored, too fast kept for the agents unless it is a flood.

The database is used from worker threads with a bounded wait (bot.services.store_access): when it
is locked, read-only or full, the message waits in the chat spool and the customer still gets the
polite "recorded" reply (issue 13).
"""
from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import OperationalError

from bot.domain.calendar import format_promise
from bot.domain.identity import verify_customer
from bot.domain.intake import has_content
from bot.domain.orders import find_order_number
from bot.domain.taxonomy import ACTIVE_STATUSES
from bot.integrations.rasa_client import RasaUnavailable
from bot.services import wording
from bot.services.store_access import StoreUnavailable
from bot.services.tickets.intake import message_update
from bot.services.tickets.new import DEGRADED_KEY, NewTicket, degraded_key_prefix
from bot.store import TicketClosed

log = logging.getLogger(__name__)

RECENT_RESULTS = 5000  # answers remembered per process, so a resent message is not processed twice
PRIVATE_METADATA = ("customer_ref", "customer_token")  # never passed on as the browser sent them
DEGRADED_TICKETS_PER_DAY = 9  # one per session and day; more only when earlier ones were resolved


@dataclass(frozen=True)
class Incoming:
    """One validated customer message (bot.web.routes.chat checks the shape)."""

    text: str
    metadata: dict[str, Any]
    client_id: str | None
    button_title: str | None


class MessageRefused(Exception):
    """The assistant will not take this message (too long, too fast); `code`, `status` and
    `extra` become the 4xx answer."""

    def __init__(self, code: str, message: str, status: int, **extra: Any):
        super().__init__(message)
        self.code = code
        self.status = status
        self.extra = extra


class Conversations:
    """One per app (`app.ctx.conversations`)."""

    def __init__(self, ctx, rate_limiter):
        self.ctx = ctx
        self.rate_limiter = rate_limiter  # bot.web.ratelimit: check(session_id) → allowed, keep, retry_after
        self._results: OrderedDict[tuple[str, str], asyncio.Future] = OrderedDict()
        self._triage_noted: set[tuple[str, str]] = set()  # (ticket id, shop-local day) already noted

    async def handle(self, session_id: str, incoming: Incoming, decision=None) -> dict:
        """Stores and answers one customer message; raises MessageRefused. `decision`: the rate
        limit's, when the request was counted already (`count`)."""
        if incoming.client_id is None:
            return await self._answer(session_id, incoming, decision)
        key = (session_id, incoming.client_id)
        earlier = self._results.get(key)
        if earlier is not None:
            return await asyncio.shield(earlier)
        future = asyncio.get_running_loop().create_future()
        self._results[key] = future
        while len(self._results) > RECENT_RESULTS:
            self._results.popitem(last=False)
        try:
            result = await self._answer(session_id, incoming, decision)
        except BaseException as exc:
            self._results.pop(key, None)  # a refused message may be sent again later
            future.set_exception(exc)
            future.exception()  # retrieved: no "never retrieved" warning when nobody else waits
            raise
        future.set_result(result)
        return result

    @staticmethod
    def _reply_items(replies: list[dict], mode: str) -> tuple[list[dict], list]:
        """The replies as the API shows them (without `kind`) and as they are stored."""
        shown, items = [], []
        for reply in replies:
            reply = dict(reply)
            kind = reply.pop("kind", None)
            meta = {"mode": mode, **({"kind": kind} if kind else {})}
            items.append(("bot", reply.get("text", ""), reply.get("buttons"), meta))
            shown.append(reply)
        return shown, items

    def _record_replies(self, session_id: str, replies: list[dict], mode: str) -> list[dict]:
        """(worker thread) Stores the replies (spooled if the database refuses); returns them as
        the API shows them."""
        shown, items = self._reply_items(replies, mode)
        if items:
            self.ctx.db.keep(session_id, items)
        return shown

    async def _recorded(self, session_id: str, replies: list[dict], mode: str) -> list[dict]:
        shown, _ = self._reply_items(replies, mode)
        try:
            return await self.ctx.db.run(self._record_replies, session_id, replies, mode)
        except StoreUnavailable:
            return shown  # the worker thread still stores or spools them

    def count(self, session_id: str):
        """Counts one request of a session against its rate limit, before its body is even read
        (issue 13: every request counts, whatever its size or shape); the pipeline's decision."""
        return self.rate_limiter.check(session_id)

    async def _answer(self, session_id: str, incoming: Incoming, decision=None) -> dict:
        ctx = self.ctx
        settings, handoff = ctx.settings, ctx.handoff
        text = incoming.text
        decision = decision or self.count(session_id)
        customer_ref = verify_customer(settings.shop_secret, incoming.metadata.get("customer_token"))
        metadata = {k: v for k, v in incoming.metadata.items() if k not in PRIVATE_METADATA}
        if customer_ref:
            metadata["customer_ref"] = customer_ref
        meta: dict[str, Any] = {}
        if metadata:
            meta["metadata"] = metadata
        if incoming.client_id:
            meta["client_id"] = incoming.client_id
        if incoming.button_title:
            meta["button_title"] = incoming.button_title

        limit = settings.max_message_chars
        if len(text) > limit:
            # Refused before anything is stored (issue 13): one script cannot fill the database.
            raise MessageRefused("too_long", wording.too_long(limit), 413, field="text", max_chars=limit)
        if not decision.allowed:
            if decision.keep:
                try:
                    await ctx.db.run(ctx.db.keep, session_id,
                                     [("customer", text, None, {**meta, "rejected": "rate_limited"})])
                except StoreUnavailable:
                    pass  # the worker thread still stores or spools it
            raise MessageRefused("too_many_messages", wording.too_fast(decision.retry_after, decision.keep), 429,
                                 retry_after=decision.retry_after)

        try:
            answered = await ctx.db.run(self._take_in, session_id, incoming, meta)
        except StoreUnavailable as exc:
            # The message is stored or spooled (bot.services.store_access); the customer is answered.
            log.warning("chat %s: database unavailable (%s), answered without it", session_id, exc)
            return {"replies": [{"text": wording.DEGRADED}], "mode": "degraded"}
        if answered is not None:
            return answered

        await handoff.control.ensure_resumed(session_id)
        started = ctx.clock()
        result: dict[str, Any] = {}
        try:
            replies = await ctx.rasa.send_message(session_id, text, metadata)
            if not replies:
                # Rasa answers nothing when the action server failed, or when the conversation is
                # still paused (a resume lost in a restart): resume before the next message.
                handoff.control.pending_resume.add(session_id)
                raise RasaUnavailable("Rasa sent no reply")
        except RasaUnavailable as exc:
            log.warning("chat %s: degraded mode (%s)", session_id, exc)
            try:
                replies = await ctx.db.run(self.degraded_replies, session_id, text, customer_ref)
            except StoreUnavailable:
                replies = [{"text": wording.DEGRADED}]
            mode_name = "degraded"
        else:
            mode_name = "bot"
            try:
                extra = await ctx.db.run(handoff.queue.after_bot_reply, session_id, started)
            except StoreUnavailable:
                extra = []
            for reply in extra:
                queue = (reply.get("custom") or {}).get("queue")
                if queue:
                    result["queue"] = queue
            replies = replies + extra
        return {"replies": await self._recorded(session_id, replies, mode_name), "mode": mode_name, **result}

    def _take_in(self, session_id: str, incoming: Incoming, meta: dict[str, Any]) -> dict | None:
        """(worker thread) Stores the customer's message and answers what needs no Rasa: a person
        has the conversation, or it rates a resolved ticket. None: Rasa should answer. Whatever
        fails, the message is in the database or the spool; StoreUnavailable when the database
        refused."""
        ctx, text = self.ctx, incoming.text
        handoff = ctx.handoff
        stored = False

        def store_customer(message_meta: dict[str, Any]) -> None:
            nonlocal stored
            stored = True  # from here on keep() has it: in the database or in the spool
            if ctx.db.keep(session_id, [("customer", text, None, message_meta or None)]) is None:
                raise StoreUnavailable("the database refused the message; it waits in the spool")

        try:
            mode = handoff.mode_for(session_id)
            if mode.mode == "human":
                notice = handoff.queue.leave_if_unstaffed(mode.ticket, mode.queue) if mode.queue else []
                if notice:
                    store_customer(meta)
                    self.add_to_ticket(session_id, incoming, mode.ticket)
                    return {"replies": self._record_replies(session_id, notice, "bot"), "mode": "bot"}
                store_customer({**meta, "mode": "human", "ticket_id": mode.ticket["id"]})
                self.add_to_ticket(session_id, incoming, mode.ticket)
                if mode.ticket["status"] == "pending_customer":
                    # The agent was waiting for the customer, who wrote back: the agent's turn again.
                    ctx.tickets.update(mode.ticket["id"], {"status": "open"}, "customer")
                replies = (handoff.queue.reminder(session_id, mode.queue) if mode.queue
                           else handoff.presence.away_notice(session_id, mode.ticket, mode.agent_name))
                return {"replies": self._record_replies(session_id, replies, "human"), **mode.as_dict()}

            store_customer(meta)
            rating = handoff.ratings.capture(session_id, text)
            if rating is not None:
                return {"replies": self._record_replies(session_id, rating, "bot"), "mode": "bot"}
            self.add_to_ticket(session_id, incoming)
            return None
        except OperationalError as exc:
            ctx.db.note_failure(exc)
            if not stored:
                ctx.db.spool.keep(session_id, [("customer", text, None, meta or None)])
            raise StoreUnavailable(str(exc.orig or exc)) from None

    # -- the complaint's record (issue 11) ---------------------------------------------------------
    def add_to_ticket(self, session_id: str, incoming: Incoming, ticket: dict | None = None) -> None:
        """A customer message with content reaches `ticket` (default: the session's latest) while
        it is open: its words appended once, priority and flags from triage, a deadline, an order
        number it lacked. Never fails the message: the chat log has it whatever happens."""
        if not has_content(incoming.text, button=bool(incoming.button_title)):
            return
        ctx = self.ctx
        try:
            ticket = ticket or ctx.store.latest_ticket_for_session(session_id)
            if ticket is None or ticket["status"] not in ACTIVE_STATUSES:
                return
            ctx.tickets.update_intake(ticket["id"], message_update(incoming.text, ctx.settings.order_number_patterns),
                                      "customer")
        except TicketClosed:
            return  # resolved a moment ago
        except Exception:  # noqa: BLE001 - the message is stored; the agent reads it in the transcript
            log.exception("chat %s: could not add the message to its ticket", session_id)

    def on_replayed(self, record: dict) -> None:
        """(worker thread) A customer message written from the spool once the database was back:
        it was never answered by Rasa, so it reaches a ticket the way degraded mode does."""
        meta = record.get("meta") or {}
        if record.get("sender") != "customer" or meta.get("rejected"):
            return
        incoming = Incoming(record["text"], {}, None, meta.get("button_title"))
        if not has_content(incoming.text, button=bool(incoming.button_title)):
            return
        ticket, created = self.record_for_triage(record["session_id"], incoming.text,
                                                 (meta.get("metadata") or {}).get("customer_ref"))
        if not created:
            self.add_to_ticket(record["session_id"], incoming, ticket)

    # -- degraded mode ------------------------------------------------------------------------------
    def record_for_triage(self, session_id: str, text: str, customer_ref: str | None) -> tuple[dict, bool]:
        """The ticket this session's unanswered messages belong to: its open ticket if it has one
        (with a note for the agent, once a day), else one new ticket per session and day marked
        `needs_triage`, described by what the customer typed. Returns (ticket, created)."""
        ctx = self.ctx
        now = ctx.clock()
        day = now.astimezone(ctx.settings.tz).strftime("%Y%m%d")
        active = ctx.store.active_ticket_for_session(session_id)
        if active is not None:
            if not active["idempotency_key"].startswith(DEGRADED_KEY) and (active["id"], day) not in self._triage_noted:
                self._triage_noted.add((active["id"], day))
                ctx.tickets.update(active["id"], {}, "system", note=wording.NOTE_ASSISTANT_DOWN, now=now)
            return active, False
        ticket: dict | None = None
        for attempt in range(1, DEGRADED_TICKETS_PER_DAY + 1):
            key = f"{degraded_key_prefix(session_id)}{day}" + (f"-{attempt}" if attempt > 1 else "")
            ticket, created = ctx.tickets.open(NewTicket(
                idempotency_key=key, issue_type="other_complaint", description=text, session_id=session_id,
                customer_ref=customer_ref, channel="web", risk_flags=["needs_triage"], created_by="system",
                order_number=find_order_number(text, ctx.settings.order_number_patterns),
                intake="incomplete"), now=now)  # filed as it stands: the missing fields named for the agent
            if created or ticket["status"] in ACTIVE_STATUSES:
                return ticket, created
        return ticket, False  # type: ignore[return-value] - every degraded ticket of the day resolved

    def degraded_replies(self, session_id: str, text: str, customer_ref: str | None) -> list[dict]:
        try:
            ticket, created = self.record_for_triage(session_id, text, customer_ref)
        except Exception:  # noqa: BLE001 - the message itself is stored; the customer still gets an answer
            log.exception("degraded mode: could not record a ticket for %s", session_id)
            return [{"text": wording.DEGRADED}]
        due = format_promise(ticket["first_response_due"], self.ctx.clock(), self.ctx.settings.tz)
        if created:
            return [{"text": wording.degraded_ticket_opened(ticket["id"], due), "kind": "degraded"}]
        return [{"text": wording.degraded_added_to(ticket["id"], due), "kind": "degraded"}]
