"""The daily digest: yesterday's numbers in the team's IM at DIGEST_TIME (shop-local), once a day.

Due on each day the shop opens (its business calendar: weekly hours, public holidays, 调休 and
the shop's own days) from DIGEST_TIME on; a process that starts later that day still sends it.
A new installation whose first ticket came today has no yesterday to report and sends nothing.
Every bot-service process checks; the `team_notices` row (bot.store.notices) lets one send. The
database work runs in worker threads (`asyncio.to_thread`), so a locked database never stops the loop.
"""
from __future__ import annotations

import asyncio
import logging
from datetime import date, datetime, timedelta
from typing import Any

from bot.config import Settings
from bot.integrations.team_messages import digest_payload
from bot.services.stats import DateRange, compute_stats
from bot.store import Store, notices
from bot.store import stats as queries

log = logging.getLogger(__name__)

SUBJECT = "-"  # one digest per day


def digest_day(settings: Settings, now: datetime) -> date | None:
    """Today (shop-local) when the digest is due now, else None."""
    if settings.digest_time is None:
        return None
    local = now.astimezone(settings.tz)
    if local.time() < settings.digest_time or not settings.calendar().is_working_day(local.date()):
        return None
    return local.date()


def build_digest(store: Store, settings: Settings, today: date, now: datetime) -> dict[str, Any]:
    """Yesterday's tickets by type, first-response promise and ratings; overdue and urgent ones now."""
    yesterday = today - timedelta(days=1)
    stats = compute_stats(store, settings, DateRange(yesterday, yesterday), now)
    with store.engine.connect() as conn:
        waiting = queries.open_counts(conn, now)
    first = stats["first_response"]
    return {
        "day": yesterday.isoformat(),
        "tickets": stats["totals"]["tickets"],
        "by_issue_type": [{key: row[key] for key in ("issue_type", "label", "count")}
                          for row in stats["by_issue_type"]],
        "first_response": {key: first[key] for key in ("met", "missed", "pending", "met_rate")},
        "csat": {"count": stats["csat"]["count"], "average": stats["csat"]["average"]},
        "overdue_now": waiting["overdue"],
        "open_urgent": waiting["urgent"],
    }


async def send_digest_if_due(store: Store, settings: Settings, notifier, now: datetime) -> bool:
    """Sends today's digest when it is due and no process has sent it yet; True when this call sent it."""
    today = digest_day(settings, now)
    if today is None or not notifier.enabled:
        return False
    day = today.isoformat()
    if SUBJECT in await asyncio.to_thread(notices.sent, store.engine, "digest", day):
        return False
    first = await asyncio.to_thread(_first_ticket_at, store)
    if first is None or first.astimezone(settings.tz).date() >= today:
        return False  # nothing before today: no empty report from a shop that has just started
    if not await asyncio.to_thread(notices.claim, store.engine, "digest", SUBJECT, day, now):
        return False
    try:
        digest = await asyncio.to_thread(build_digest, store, settings, today, now)
        payload = digest_payload(notifier.fmt, digest, shop_name=settings.shop_name, desk_url=settings.public_url)
        delivered = await notifier.deliver(payload, f"digest {day}")
    except Exception:  # noqa: BLE001 - give the claim back, a later pass retries
        log.exception("daily digest %s failed", day)
        delivered = False
    if delivered:
        await asyncio.to_thread(notices.mark_sent, store.engine, "digest", SUBJECT, day, now)
        log.info("daily digest %s sent (%d tickets yesterday)", day, digest["tickets"])
    else:
        await asyncio.to_thread(notices.release, store.engine, "digest", SUBJECT, day)
    return delivered


def _first_ticket_at(store: Store) -> datetime | None:
    with store.engine.connect() as conn:
        return queries.first_ticket_at(conn)
