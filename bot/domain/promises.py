"""What we tell customers about time: opening hours in words and the concrete contact promise.

Pure functions over the settings and the calendar, shared by the action server (acknowledgement,
submission) and the bot service (degraded mode, hand-off), so both always promise the same time.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timezone
from typing import TYPE_CHECKING

from bot.domain.calendar import format_promise
from bot.domain.sla import SlaPolicy, compute_due_times

if TYPE_CHECKING:  # settings are read, never loaded, here
    from bot.config import Settings

WEEKDAYS = "一二三四五六日"


def _span(t: time) -> str:
    return "24:00" if t == time.max else t.strftime("%H:%M")


def describe_weekly_hours(weekly) -> str:
    """{0: [(9:00, 18:00)], …} → "周一至周五 09:00-18:00，周六、周日 10:00-18:00"."""
    groups: list[tuple[list[int], str]] = []
    for day in range(7):
        ranges = weekly.get(day) or []
        if not ranges:
            continue
        text = "、".join(f"{_span(a)}-{_span(b)}" for a, b in ranges)
        if groups and groups[-1][1] == text and groups[-1][0][-1] == day - 1:
            groups[-1][0].append(day)
        else:
            groups.append(([day], text))
    parts = []
    for days, text in groups:
        if len(days) == 1:
            label = f"周{WEEKDAYS[days[0]]}"
        elif len(days) == 2:
            label = f"周{WEEKDAYS[days[0]]}、周{WEEKDAYS[days[1]]}"
        else:
            label = f"周{WEEKDAYS[days[0]]}至周{WEEKDAYS[days[-1]]}"
        parts.append(f"{label} {text}")
    return "，".join(parts) or "暂未设置"


def sla_policy(settings: Settings) -> SlaPolicy:
    minutes = settings.sla_first_response_minutes
    hours = settings.sla_resolution_hours
    return SlaPolicy(first_response_minutes=dict(minutes), resolution_hours=dict(hours))


@dataclass(frozen=True)
class Promise:
    open_now: bool
    first_response_due: datetime  # UTC-aware
    due_text: str  # "明天（周二）09:15 前"
    next_opening_text: str  # "明天（周二）09:00" or "" when open now
    hours_text: str


def contact_promise(settings: Settings, priority: str = "normal", now: datetime | None = None) -> Promise:
    now = now or datetime.now(timezone.utc)
    calendar = settings.calendar()
    open_now = calendar.is_open(now)
    due = compute_due_times(now, priority, calendar, sla_policy(settings)).first_response_due
    next_text = ""
    if not open_now:
        opening = calendar.next_opening(now)
        next_text = format_promise(opening, now, settings.tz).removesuffix(" 前").removesuffix("前")
    return Promise(open_now=open_now, first_response_due=due.astimezone(timezone.utc),
                   due_text=format_promise(due, now, settings.tz), next_opening_text=next_text,
                   hours_text=describe_weekly_hours(settings.weekly_hours))
