"""The desk's live lane: customers waiting live for a person (转人工, not yet claimed), longest
wait first, and the agent's online/away switch that the customers' wait estimate counts
(bot.services.handoff.presence, bot.services.handoff.queue). A customer joining the queue is
pushed to the desk as the `live_waiting` event; the desk then reloads this lane."""
from __future__ import annotations

from sanic import Blueprint, Request
from sanic.response import json

from bot.services.tickets import ticket_view
from bot.web.auth import Caller
from bot.web.contract import AGENT, operation
from bot.web.schemas.live import LiveLane, PresenceChange, PresenceState

bp = Blueprint("desk_live")


def _presence(request: Request, name: str) -> dict:
    presence = request.app.ctx.handoff.presence
    return {"status": presence.status(name), "agents_online": len(presence.online_agents())}


@bp.get("/api/desk/live")
@operation("Customers waiting live for a person, longest wait first, with the caller's presence", access=AGENT,
           responses={200: LiveLane})
async def live_lane(request: Request, caller: Caller):
    ctx = request.app.ctx
    now = ctx.clock()
    queue = ctx.handoff.queue

    def read() -> tuple[list, float]:  # worker thread: the queued tickets and the claim times
        return queue.waiting(), queue.minutes_per_customer()

    lane, minutes = await ctx.db.run(read)
    waiting = [{"ticket": ticket_view(ticket, now, ctx.settings.tz), "session_id": session_id, "position": n,
                "waiting_since": since.isoformat(),
                "waiting_seconds": max(0, int((now - since).total_seconds()))}
               for n, (ticket, session_id, since) in enumerate(lane, start=1)]
    return json({"waiting": waiting, "minutes_per_customer": minutes,
                 **_presence(request, caller.name)})


@bp.put("/api/desk/presence")
@operation("The agent's online/away switch (away: not counted for the customers' wait estimate)", access=AGENT,
           responses={200: PresenceState})
async def set_presence(request: Request, caller: Caller, body: PresenceChange):
    request.app.ctx.handoff.presence.set_status(caller.name, body.status)
    return json(_presence(request, caller.name))
