"""The desk's live lane and the agent's online/away switch (bot/web/routes/desk_live.py)."""
from __future__ import annotations

from datetime import datetime

from bot.web.schemas.base import Body
from bot.web.schemas.fields import choice, field
from bot.web.schemas.views import Ticket, View

PresenceStatus = choice(("online", "away"))


class PresenceChange(Body):
    """`PUT /api/desk/presence`: the agent's own switch."""

    status: PresenceStatus = field(description="online: counted for the wait customers are told; away: not")

    class Config:
        extra = "forbid"


class PresenceState(View):
    status: choice(("online", "away", "offline")) = field(description="this agent")
    agents_online: int = field(description="agents counted for the wait estimate")


class LiveCustomer(View):
    ticket: Ticket
    session_id: str
    position: int = field(description="1 = next")
    waiting_since: datetime = field(description="when the customer asked for a person")
    waiting_seconds: int


class LiveLane(View):
    waiting: list[LiveCustomer] = field(description="customers waiting live for a person, longest wait first")
    agents_online: int
    status: choice(("online", "away", "offline")) = field(description="the calling agent's presence")
    minutes_per_customer: float = field(description="the measured claim time behind the wait estimate")
