"""The early-warning rule (预警): when one complaint type suddenly grows.

A type spikes on a shop-local day when its count that day is at least `min_count` and at least
`factor` times its daily average over the previous `history_days` days. The average is taken over
the days the shop already had tickets in that window, so a shop in its second week is compared
with the days it really had, not with days before it existed; a shop with no history at all warns
on the minimum alone. The comparison is exact (fractions), so the boundaries are where they say.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction

HISTORY_DAYS = 14


@dataclass(frozen=True)
class SpikeRule:
    min_count: int = 5
    factor: float = 3.0
    history_days: int = HISTORY_DAYS


def history_days_available(today: date, first_ticket_day: date | None, window: int = HISTORY_DAYS) -> int:
    """How many of the `window` days before `today` the shop already existed (had its first ticket)."""
    if first_ticket_day is None or first_ticket_day >= today:
        return 0
    return min(window, (today - first_ticket_day).days)


def history_start(today: date, window: int = HISTORY_DAYS) -> date:
    """The first day of the comparison window (inclusive); it ends the day before `today`."""
    return today - timedelta(days=window)


def daily_baseline(history_count: int, history_days: int) -> Fraction:
    """The daily average over the history; 0 without history."""
    if history_days <= 0:
        return Fraction(0)
    return Fraction(history_count, history_days)


def is_spike(today_count: int, history_count: int, history_days: int, rule: SpikeRule) -> bool:
    """Whether `today_count` tickets of one type today are a spike against its history."""
    if today_count < rule.min_count:
        return False
    return today_count >= Fraction(str(rule.factor)) * daily_baseline(history_count, history_days)
