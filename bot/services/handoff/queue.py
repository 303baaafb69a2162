"""The live queue for 转人工: a customer's place and an honest wait estimate.

When the assistant's answer was a hand-off (action_handoff opened a ticket just now), the shop is
open and an agent is online, the customer is queued and told their place and the wait, estimated
from how fast agents really claimed hand-offs lately. Nobody online: the customer hears when an
agent will contact them instead. A queued customer who writes again gets a short reminder; when
the shop closes or every agent leaves, the customer goes back to the assistant with the callback
time. The queue is in memory; the tickets in it are in the database. A customer joining is
published (`live_waiting`) so the desk can put them at the top with a sound and a notification.
"""
from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import median

from bot.domain.calendar import format_promise
from bot.domain.promises import contact_promise
from bot.services import wording
from bot.services.handoff.presence import Presence

log = logging.getLogger(__name__)

QUEUE_NOTICE_SECONDS = 60  # at most one "you are number N" reminder a minute
DEFAULT_MINUTES_PER_CUSTOMER = 4  # until there is history to measure
CLAIM_SAMPLE_DAYS = 7
FRESH_HANDOFF = timedelta(seconds=5)  # a hand-off ticket this much older than the answer is not its own


@dataclass(frozen=True)
class QueueSpot:
    ticket_id: str
    position: int  # 1 = next
    wait_minutes: int

    def as_dict(self) -> dict[str, int]:
        return {"position": self.position, "wait_minutes": self.wait_minutes}


class LiveQueue:
    """One per app (`app.ctx.handoff.queue`)."""

    def __init__(self, ctx, presence: Presence):
        self.ctx = ctx
        self.presence = presence
        self.tickets: dict[str, str] = {}  # ticket id → session id, in the order customers asked
        self.joined: dict[str, datetime] = {}  # ticket id → when the customer joined the queue
        self._notice: dict[str, float] = {}  # session id → when it was last told its place
        self._claim_minutes: tuple[float, float] | None = None  # (computed at, minutes)

    def __contains__(self, ticket_id: str) -> bool:
        return ticket_id in self.tickets

    def remove(self, ticket_id: str) -> None:
        self.tickets.pop(ticket_id, None)
        self.joined.pop(ticket_id, None)

    def join(self, ticket: dict, session_id: str) -> None:
        """Puts the customer in the queue and tells the desk (`live_waiting`)."""
        self.tickets[ticket["id"]] = session_id
        self.joined[ticket["id"]] = self.ctx.clock()
        self._notice[session_id] = time.monotonic()
        hub = getattr(self.ctx, "events", None)
        if hub is not None:
            hub.publish("live_waiting", {"ticket_id": ticket["id"], "session_id": session_id,
                                         "issue_type": ticket.get("issue_type"),
                                         "description": (ticket.get("description") or "")[:80]})

    def waiting(self) -> list[tuple[dict, str, datetime]]:
        """Customers waiting live, oldest first: (ticket, session id, joined at)."""
        found = []
        for ticket_id in self._waiting():
            ticket = self.ctx.store.get_ticket(ticket_id)
            if ticket is not None:
                found.append((ticket, self.tickets[ticket_id], self.joined.get(ticket_id, ticket["created_at"])))
        return found

    def _waiting(self) -> list[str]:
        """Queued tickets still waiting (new, unassigned), oldest first; drops the others."""
        waiting = []
        for ticket_id in list(self.tickets):
            ticket = self.ctx.store.get_ticket(ticket_id)
            if ticket is None or ticket["status"] != "new" or ticket["assignee"]:
                self.remove(ticket_id)
            else:
                waiting.append(ticket_id)
        return waiting

    def spot(self, ticket_id: str) -> QueueSpot | None:
        waiting = self._waiting()
        if ticket_id not in waiting:
            return None
        position = waiting.index(ticket_id) + 1
        agents = max(1, len(self.presence.online_agents()))
        return QueueSpot(ticket_id, position, max(1, math.ceil(position * self.minutes_per_customer() / agents)))

    def minutes_per_customer(self) -> float:
        """How long agents recently took to claim a hand-off (median, 1–30 minutes); cached a minute."""
        cached = self._claim_minutes
        if cached and time.monotonic() - cached[0] < 60:
            return cached[1]
        try:
            waits = self.ctx.store.handoff_claim_minutes(self.ctx.clock() - timedelta(days=CLAIM_SAMPLE_DAYS))
        except Exception:  # noqa: BLE001 - an estimate must never break a chat
            log.exception("could not measure claim times")
            waits = []
        minutes = min(30.0, max(1.0, median(waits))) if len(waits) >= 3 else float(DEFAULT_MINUTES_PER_CUSTOMER)
        self._claim_minutes = (time.monotonic(), minutes)
        return minutes

    def after_bot_reply(self, session_id: str, since: datetime) -> list[dict]:
        """After the assistant answered: when that answer was a hand-off, queue the customer or say
        that nobody is online. Returns the extra replies to send."""
        fresh = [t for t in self.ctx.store.tickets_for_customer(session_id=session_id, limit=20)
                 if t["handoff_requested"] and t["status"] == "new" and not t["assignee"]
                 and (t["created_at"] >= since - FRESH_HANDOFF or self._marked_handoff_since(t, since))
                 and t["id"] not in self.tickets]
        if not fresh:
            return []
        ticket = fresh[0]
        now = self.ctx.clock()
        if not contact_promise(self.ctx.settings, now=now).open_now:
            return []  # action_handoff already gave the off-hours callback time
        if not self.presence.online_agents():
            due = format_promise(ticket["first_response_due"], now, self.ctx.settings.tz)
            return [{"text": wording.nobody_online(ticket["id"], due)}]
        self.join(ticket, session_id)
        spot = self.spot(ticket["id"])
        if spot is None:
            return []
        return [{"text": wording.queue_joined(spot.position - 1, spot.wait_minutes),
                 "custom": {"queue": spot.as_dict()}}]

    def _marked_handoff_since(self, ticket: dict, since: datetime) -> bool:
        """A ticket opened earlier (the complaint is recorded from its first message, issue 11) that
        the assistant marked as a hand-off during this very answer. Any later change (each message
        the customer adds while waiting) is not a new hand-off: "nobody is online" is said once."""
        updated = ticket.get("updated_at")
        if not updated or updated < since:
            return False
        return any(event["at"] >= since and "handoff_requested" in ((event.get("details") or {}).get("fields") or {})
                   for event in self.ctx.store.list_events(ticket["id"])
                   if event["action"] == "intake_updated")

    def reminder(self, session_id: str, spot: QueueSpot) -> list[dict]:
        """A short "still number N" for a queued customer who writes again (once a minute at most)."""
        last = self._notice.get(session_id, 0.0)
        if time.monotonic() - last < QUEUE_NOTICE_SECONDS:
            return []
        self._notice[session_id] = time.monotonic()
        return [{"text": wording.queue_reminder(spot.position - 1, spot.wait_minutes)}]

    def leave_if_unstaffed(self, ticket: dict, spot: QueueSpot) -> list[dict]:
        """Queued, but the shop closed or every agent left: back to the assistant, with the callback time."""
        now = self.ctx.clock()
        if self.presence.online_agents() and contact_promise(self.ctx.settings, now=now).open_now:
            return []
        self.remove(spot.ticket_id)
        due = format_promise(ticket["first_response_due"], now, self.ctx.settings.tz)
        return [{"text": wording.queue_unstaffed(ticket["id"], due)}]


