"""Quiet chats: a complaint still being collected is filed as it stands, by a background task of
the bot service (issue 11).

A ticket whose intake is `collecting` and whose chat has had no customer message for
INTAKE_IDLE_MINUTES is filed: intake `incomplete` with the missing fields named, an
`intake_updated` audit event (reason `idle`), `ticket_updated` to the desk and the team's webhook
told as for a new ticket — all in `TicketService.file_quiet_intakes` (one pass; what tests call).
The customer is not messaged. Filing happens once, also when several replicas run the loop (the
change is made under the ticket's lock and only while it is still collecting).
"""
from __future__ import annotations

import asyncio
import logging

log = logging.getLogger(__name__)

MAX_INTERVAL_SECONDS = 30.0
MIN_INTERVAL_SECONDS = 0.5


def filing_interval(idle_minutes: float) -> float:
    """Seconds between passes: a quarter of the idle time, between 0.5 and 30 seconds."""
    return min(MAX_INTERVAL_SECONDS, max(MIN_INTERVAL_SECONDS, idle_minutes * 60 / 4))


async def run_intake_filing_loop(app, interval: float | None = None) -> None:
    """Runs until cancelled; a failing pass (database briefly down) is logged and retried."""
    ctx = app.ctx
    idle_minutes = ctx.settings.intake_idle_minutes
    while True:
        try:
            await ctx.db.in_background(ctx.tickets.file_quiet_intakes, idle_minutes, ctx.clock())  # off the loop
        except Exception:  # noqa: BLE001 - the loop must survive a bad pass
            log.exception("intake filing pass failed")
        await asyncio.sleep(interval or filing_interval(idle_minutes))
