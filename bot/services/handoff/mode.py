"""Who has a conversation — the assistant or a person — and the per-app hand-off object.

A conversation is with a person while its session has an unresolved ticket with an assignee
(read from the database, so it survives restarts and holds across replicas), or while the
customer waits in the live queue. Then customer messages go to the agent and the assistant is
quiet. `Handoff` (`app.ctx.handoff`) holds the parts; bot.web.app wires it to the app (the
hub listener, the presence middleware, the server's loop).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.domain.taxonomy import ACTIVE_STATUSES
from bot.services.handoff.conversation_control import ConversationControl
from bot.services.handoff.csat import Ratings
from bot.services.handoff.presence import Presence
from bot.services.handoff.queue import LiveQueue, QueueSpot
from bot.services.handoff.reactions import Reactions, display_name


@dataclass(frozen=True)
class SessionMode:
    mode: str  # "bot" | "human"
    ticket: dict | None = None  # the ticket a person has (or is queued for)
    agent_name: str | None = None  # display name, what the customer sees
    queue: QueueSpot | None = None  # queued, not yet claimed

    def as_dict(self) -> dict[str, Any]:
        return {"mode": self.mode, "agent": self.agent_name,
                "ticket_id": self.ticket["id"] if self.ticket else None,
                "queue": self.queue.as_dict() if self.queue else None}


class Handoff:
    """Bot ↔ human for one app: presence, the live queue, Rasa pause/resume, ratings, reactions."""

    def __init__(self, ctx):
        self.ctx = ctx
        self.presence = Presence()
        self.queue = LiveQueue(ctx, self.presence)
        self.control = ConversationControl(ctx)
        self.ratings = Ratings(ctx)
        self.reactions = Reactions(ctx, self.queue, self.control)

    def mode_for(self, session_id: str) -> SessionMode:
        tickets = self.ctx.store.tickets_for_customer(session_id=session_id, limit=20)
        for ticket in tickets:
            if ticket["status"] in ACTIVE_STATUSES and ticket["assignee"]:
                return SessionMode("human", ticket, display_name(self.ctx.store, ticket["assignee"]))
        for ticket in tickets:
            if ticket["id"] in self.queue:
                spot = self.queue.spot(ticket["id"])
                if spot is not None:
                    return SessionMode("human", ticket, None, spot)
        return SessionMode("bot")
