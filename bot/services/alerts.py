"""Early warning: which complaint types spike today, and the team's webhook told once per type and day.

The rule is bot.domain.alerts (ALERT_MIN_COUNT, ALERT_FACTOR); the counts come from the database.
`current_alerts()` feeds `GET /api/stats`, `GET /api/stats/alerts` and the desk's banner;
`send_spike_notices()` runs in every bot-service process (bot.services.team_notices) and the
`team_notices` row (bot.store.notices) lets exactly one of them send each message; its database
work runs in worker threads (`asyncio.to_thread`), so a locked database never stops the loop.
"""
from __future__ import annotations

import asyncio
import logging
from datetime import date, datetime
from typing import Any

from bot.config import Settings
from bot.domain.alerts import SpikeRule, daily_baseline, history_days_available, history_start, is_spike
from bot.domain.taxonomy import ISSUE_TYPES
from bot.integrations.team_messages import spike_payload
from bot.store import Store, notices
from bot.store import stats as queries
from bot.store.tickets import day_bounds

log = logging.getLogger(__name__)

EXAMPLES = 3


def spike_rule(settings: Settings) -> SpikeRule:
    return SpikeRule(min_count=settings.alert_min_count, factor=settings.alert_factor)


def shop_today(settings: Settings, now: datetime) -> date:
    return now.astimezone(settings.tz).date()


def current_alerts(store: Store, settings: Settings, now: datetime) -> list[dict[str, Any]]:
    """Today's spikes, biggest first: [{issue_type, label, count, baseline, since}].

    `count` is today's (shop-local) tickets of the type, `baseline` its daily average over the
    previous 14 days (or the days the shop has existed, when fewer), `since` the start of today.
    """
    rule = spike_rule(settings)
    today = shop_today(settings, now)
    today_start, tomorrow_start = day_bounds(today, today, settings.tz)
    window_start = day_bounds(history_start(today, rule.history_days), today, settings.tz)[0]
    with store.engine.connect() as conn:
        today_counts = queries.counts_by_issue_type(conn, queries.Window(today_start, tomorrow_start, now))
        candidates = {key: n for key, n in today_counts.items() if n >= rule.min_count}
        if not candidates:
            return []  # the usual case costs one small indexed query
        history = queries.counts_by_issue_type(conn, queries.Window(window_start, today_start, now))
        first = queries.first_ticket_at(conn)
    days = history_days_available(today, first.astimezone(settings.tz).date() if first else None,
                                  rule.history_days)
    alerts = []
    for issue_type, count in sorted(candidates.items(), key=lambda item: (-item[1], item[0])):
        before = history.get(issue_type, 0)
        if is_spike(count, before, days, rule):
            issue = ISSUE_TYPES.get(issue_type)
            alerts.append({"issue_type": issue_type, "label": issue.label if issue else issue_type,
                           "count": count, "baseline": round(float(daily_baseline(before, days)), 2),
                           "since": today_start.isoformat()})
    return alerts


async def send_spike_notices(store: Store, settings: Settings, notifier, now: datetime) -> list[str]:
    """Sends each of today's spikes to the webhook unless some process already did; returns the
    issue types sent by this call."""
    if not notifier.enabled:
        return []
    alerts = await asyncio.to_thread(current_alerts, store, settings, now)
    if not alerts:
        return []
    today = shop_today(settings, now)
    day = today.isoformat()
    today_window = queries.Window(*day_bounds(today, today, settings.tz), now)
    already = await asyncio.to_thread(notices.sent, store.engine, "spike", day)
    sent = []
    for alert in alerts:
        subject = alert["issue_type"]
        if subject in already or not await asyncio.to_thread(notices.claim, store.engine, "spike", subject, day, now):
            continue
        try:
            examples = await asyncio.to_thread(_examples, store, subject, today_window)
            payload = spike_payload(notifier.fmt, alert, examples, shop_name=settings.shop_name,
                                    desk_url=settings.public_url)
            delivered = await notifier.deliver(payload, f"spike {subject} {day}")
        except Exception:  # noqa: BLE001 - give the claim back, a later pass retries
            log.exception("spike notice %s %s failed", subject, day)
            delivered = False
        if delivered:
            await asyncio.to_thread(notices.mark_sent, store.engine, "spike", subject, day, now)
            sent.append(subject)
            log.warning("early warning sent: %s today %d (baseline %.2f/day)", subject, alert["count"],
                        alert["baseline"])
        else:
            await asyncio.to_thread(notices.release, store.engine, "spike", subject, day)
    return sent


def _examples(store: Store, subject: str, window) -> list:
    with store.engine.connect() as conn:
        return queries.latest_descriptions(conn, subject, window, EXAMPLES)
