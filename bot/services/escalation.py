"""Overdue tickets: flagged and escalated once, by a background task of the bot service.

A ticket is overdue while it is open and past its first-response due time without an agent
reply, or past its resolution due time. Escalating stamps `escalated_at`, raises the priority one
step (normal → high → urgent), writes an `escalated` event, tells the desk and sends the `overdue`
webhook — all in `TicketService.escalate_overdue` (one pass; what tests call). It happens once
per ticket, also when several replicas run the loop (the store's update is conditional).
`run_escalation_loop` runs a pass every ESCALATION_INTERVAL_SECONDS.
"""
from __future__ import annotations

import asyncio
import logging

log = logging.getLogger(__name__)

ESCALATION_INTERVAL_SECONDS = 30


async def run_escalation_loop(app, interval: float = ESCALATION_INTERVAL_SECONDS) -> None:
    """Runs until cancelled; a failing pass (database briefly down) is logged and retried."""
    ctx = app.ctx
    while True:
        try:
            await ctx.db.in_background(ctx.tickets.escalate_overdue, ctx.clock())  # off the loop
        except Exception:  # noqa: BLE001 - the loop must survive a bad pass
            log.exception("escalation pass failed")
        await asyncio.sleep(interval)
