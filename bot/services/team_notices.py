"""The background task that tells the team: early warnings and the daily digest, every minute.

Runs in every bot-service process (started by bot.web.routes.stats.install); the database decides
which process sends each message (bot.store.notices), so several replicas send it once.
"""
from __future__ import annotations

import asyncio
import logging
from datetime import datetime

from bot.services.alerts import send_spike_notices
from bot.services.digest import send_digest_if_due

log = logging.getLogger(__name__)

NOTICE_INTERVAL_SECONDS = 60


async def notice_pass(store, settings, notifier, now: datetime) -> dict:
    """One check: spikes to announce, the digest if due. Returns what this process sent."""
    spikes = await send_spike_notices(store, settings, notifier, now)
    digest = await send_digest_if_due(store, settings, notifier, now)
    return {"spikes": spikes, "digest": digest}


async def run_notice_loop(app, interval: float = NOTICE_INTERVAL_SECONDS) -> None:
    """Runs until cancelled; a failing pass (database briefly down) is logged and retried."""
    ctx = app.ctx
    if not ctx.notifier.enabled:
        log.info("no WEBHOOK_URL: early warnings and the daily digest show on the desk only")
        return
    while True:
        try:
            await notice_pass(ctx.store, ctx.settings, ctx.notifier, ctx.clock())
        except Exception:  # noqa: BLE001 - the loop must survive a bad pass
            log.exception("team notice pass failed")
        await asyncio.sleep(interval)
