"""The lead's numbers: `GET /api/stats` built from the database's counts (bot.store.stats).

All numbers are about the tickets *created* in the chosen shop-local days (inclusive), whatever
happened to them since; "open" and "overdue" are their state now. The promises:

- first response: met = an agent's first reply (`first_responded_at`) at or before the due time;
  missed = the due time has passed without it, answered late *or not at all*; pending = not
  answered and not yet due. met_rate = met / (met + missed), null when both are 0.
- resolution: the same with `resolved_at` and `resolution_due`.
- medians are wall-clock time from creation (what the customer waited), over tickets with the event.

`alerts` are always about today (bot.services.alerts), whatever the range, so a lead looking back
at last month still sees what is spiking now.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from bot.config import Settings
from bot.domain.privacy import mask_personal_data
from bot.domain.taxonomy import ISSUE_TYPES
from bot.store import Store
from bot.store import stats as queries
from bot.store.tickets import aware_utc, day_bounds

DEFAULT_DAYS = 7
MAX_DAYS = 366
LOW_RATING_MAX = 2  # 1–2 of 5 is a low rating
LOW_COMMENTS_LIMIT = 20
EARLIEST, LATEST = date(2000, 1, 1), date(2100, 12, 31)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_SUMMED = ("tickets", "open", "overdue", "resolved", "withdrawn", "handoffs", "off_hours", "repeat_contacts",
           "first_response_met", "first_response_missed", "first_response_pending", "resolution_met",
           "resolution_missed", "resolution_pending", "responded", "resolutions", "csat_count", "csat_sum",
           "csat_1", "csat_2", "csat_3", "csat_4", "csat_5")


class RangeError(ValueError):
    """A bad `from`/`to`; the message is Chinese, for the person who typed it; `field` names it."""

    def __init__(self, message: str, field: str):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class DateRange:
    first: date  # shop-local, inclusive
    last: date

    @property
    def days(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range((self.last - self.first).days + 1)]


def _parse_day(name: str, value: str | None) -> date | None:
    if value is None or value.strip() == "":
        return None
    value = value.strip()
    if not _DATE.match(value):
        raise RangeError(f"参数 {name} 必须是 YYYY-MM-DD 格式的日期，例如 2026-11-23。", name)
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise RangeError(f"参数 {name} 不是有效的日期：{value}。", name) from None
    if not EARLIEST <= day <= LATEST:
        raise RangeError(f"参数 {name} 超出范围，只能统计 2000 年到 2100 年之间的日期。", name)
    return day


def resolve_range(from_text: str | None, to_text: str | None, today: date) -> DateRange:
    """The days to count: default the last 7 days up to today; at most 366 days; from ≤ to."""
    last = _parse_day("to", to_text)
    first = _parse_day("from", from_text)
    if last is None:
        last = today
    if first is None:
        first = last - timedelta(days=DEFAULT_DAYS - 1)
    if first > last:
        raise RangeError(f"起始日期 from（{first}）不能晚于结束日期 to（{last}）。", "from")
    if (last - first).days >= MAX_DAYS:
        raise RangeError(f"一次最多统计 {MAX_DAYS} 天，现在是 {(last - first).days + 1} 天，请缩短日期范围。", "from")
    return DateRange(first, last)


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _rounded(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def _label(issue_type: str) -> str:
    issue = ISSUE_TYPES.get(issue_type)
    return issue.label if issue else issue_type


def _promise(totals: dict[str, int], prefix: str, median_key: str, median: float | None, digits: int) -> dict:
    met, missed = totals[f"{prefix}_met"], totals[f"{prefix}_missed"]
    return {"met": met, "missed": missed, "pending": totals[f"{prefix}_pending"],
            "met_rate": _rate(met, met + missed), median_key: _rounded(median, digits)}


def _hours_and_days(hourly: dict[tuple[date, int], int], days: DateRange) -> tuple[list, list, list, list]:
    per_day = {day: 0 for day in days.days}
    per_hour = [0] * 24
    per_weekday = [0] * 7
    cells = [[0] * 24 for _ in range(7)]
    for (day, hour), count in hourly.items():
        if day in per_day:  # always, unless a clock jumped; never count outside the range
            per_day[day] += count
            per_hour[hour] += count
            per_weekday[day.weekday()] += count
            cells[day.weekday()][hour] += count
    return ([{"date": day.isoformat(), "count": count} for day, count in per_day.items()],
            [{"hour": hour, "count": count} for hour, count in enumerate(per_hour)],
            [{"weekday": n + 1, "count": count} for n, count in enumerate(per_weekday)],
            cells)


def compute_stats(store: Store, settings: Settings, days: DateRange, now: datetime) -> dict[str, Any]:
    """The answer of `GET /api/stats` (see docs/TICKET_API.md for every field)."""
    from bot.services.alerts import current_alerts

    start, end = day_bounds(days.first, days.last, settings.tz)
    with store.engine.connect() as conn:
        window = queries.with_best_access(conn, queries.Window(start, end, now))
        per_type = queries.summary_by_issue_type(conn, window)
        totals = {key: sum(row[key] for row in per_type.values()) for key in _SUMMED}
        hourly = queries.hourly_counts(conn, window, settings.tz)
        comments = queries.low_rating_comments(conn, window, LOW_RATING_MAX, LOW_COMMENTS_LIMIT)
        first_median = queries.median_first_response_minutes(conn, window, totals["responded"])
        resolution_median = queries.median_resolution_hours(conn, window, totals["resolutions"])
        agents = queries.by_agent(conn, window)
    by_day, by_hour, by_weekday, _cells = _hours_and_days(hourly, days)
    order = list(ISSUE_TYPES)
    issue_rows = sorted(((key, row["tickets"]) for key, row in per_type.items()),
                        key=lambda item: (-item[1], order.index(item[0]) if item[0] in order else len(order)))
    count = totals["tickets"]
    return {
        "from": days.first.isoformat(),
        "to": days.last.isoformat(),
        "timezone": settings.timezone,
        "totals": {key: totals[key] for key in ("tickets", "open", "overdue", "resolved", "handoffs", "off_hours",
                                                 "withdrawn")},
        "by_issue_type": [{"issue_type": key, "label": _label(key), "count": n, "share": _rate(n, count)}
                          for key, n in issue_rows],
        "by_day": by_day,
        "by_hour": by_hour,
        "by_weekday": by_weekday,
        "first_response": _promise(totals, "first_response", "median_minutes", first_median, 1),
        "resolution": _promise(totals, "resolution", "median_hours", resolution_median, 2),
        "csat": {
            "count": totals["csat_count"],
            "average": _rounded(totals["csat_sum"] / totals["csat_count"], 2) if totals["csat_count"] else None,
            "distribution": {str(score): totals[f"csat_{score}"] for score in range(1, 6)},
            "low_comments": [{
                "ticket_id": row["id"], "score": row["csat"], "comment": mask_personal_data(row["csat_comment"]),
                "issue_type": row["issue_type"], "label": _label(row["issue_type"]), "agent": row["assignee"],
                "at": aware_utc(row["csat_at"]).isoformat() if row["csat_at"] else None,
            } for row in comments],
        },
        "repeat_contact_rate": _rate(totals["repeat_contacts"], count),
        "by_agent": [{
            "agent": row["assignee"], "handled": int(row["handled"]),
            "median_first_response_minutes": _rounded(row["median_first_response_minutes"], 1),
            "csat_average": _rounded(row["csat_sum"] / row["csat_count"], 2) if row["csat_count"] else None,
        } for row in sorted(agents, key=lambda r: (-int(r["handled"]), r["assignee"]))],
        "alerts": current_alerts(store, settings, now),
    }


def hour_weekday_counts(store: Store, settings: Settings, days: DateRange, now: datetime) -> dict[str, Any]:
    """`GET /api/stats/heatmap`: tickets per shop-local weekday (1 = Monday) and hour, for the heat map."""
    start, end = day_bounds(days.first, days.last, settings.tz)
    with store.engine.connect() as conn:
        hourly = queries.hourly_counts(conn, queries.Window(start, end, now), settings.tz)  # index-only
    cells = _hours_and_days(hourly, days)[3]
    return {"from": days.first.isoformat(), "to": days.last.isoformat(), "timezone": settings.timezone,
            "cells": [{"weekday": weekday + 1, "hour": hour, "count": cells[weekday][hour]}
                      for weekday in range(7) for hour in range(24)]}
