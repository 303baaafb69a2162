"""Overdue tickets: flagged and escalated once, by a background task of the bot service.

`escalate_overdue(store, now)` does one pass and is what tests call; `run_escalation_loop` calls
it every ESCALATION_INTERVAL_SECONDS. A ticket is overdue while it is open and past its first-
response due time without an agent reply, or past its resolution due time. Escalating stamps
`escalated_at`, raises the priority one step (normal → high → urgent), writes an `escalated`
event, tells the desk and sends the `overdue` webhook. It happens once per ticket, also when
several replicas run the loop (the store's update is conditional).
"""
from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timezone

from bot.services.tickets import ticket_view
from bot.store import Store

log = logging.getLogger(__name__)

ESCALATION_INTERVAL_SECONDS = 30


def escalate_overdue(store: Store, now: datetime | None = None, *, hub=None, notifier=None,
                     tz: str = "Asia/Shanghai") -> list[dict]:
    """Escalates every overdue ticket not escalated yet; returns those tickets."""
    now = now or datetime.now(timezone.utc)
    escalated = []
    for ticket, details in store.escalate_overdue(now):
        log.warning("ticket %s overdue (%s): priority %s → %s", ticket["id"], details["reason"],
                    details["from"], details["to"])
        if hub is not None:
            hub.publish("ticket_updated", {"ticket": ticket_view(ticket, now, tz),
                                           "changes": [{"action": "escalated", "details": details}]})
        if notifier is not None:
            notifier.notify("overdue", ticket)
        escalated.append(ticket)
    return escalated


async def run_escalation_loop(app, interval: float = ESCALATION_INTERVAL_SECONDS) -> None:
    """Runs until cancelled; a failing pass (database briefly down) is logged and retried."""
    ctx = app.ctx
    while True:
        try:
            escalate_overdue(ctx.store, ctx.clock(), hub=ctx.events, notifier=ctx.notifier, tz=ctx.settings.timezone)
        except Exception:  # noqa: BLE001 - the loop must survive a bad pass
            log.exception("escalation pass failed")
        await asyncio.sleep(interval)
