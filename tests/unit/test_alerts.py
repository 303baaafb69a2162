"""The early-warning rule at its boundaries (bot.domain.alerts), and the shop's UTC offsets over a
statistics window (bot.store.stats.offset_segments) across daylight-saving changes."""
from __future__ import annotations

from datetime import date, datetime, timezone
from fractions import Fraction
from zoneinfo import ZoneInfo

import pytest

from bot.domain.alerts import SpikeRule, daily_baseline, history_days_available, is_spike
from bot.store.stats import offset_segments

RULE = SpikeRule(min_count=5, factor=3)


@pytest.mark.parametrize("today, history, days, spike", [
    (4, 0, 14, False),   # one below the minimum, even with no history at all
    (5, 0, 14, True),    # the minimum, never seen before
    (5, 0, 0, True),     # a new shop: the minimum alone
    (4, 0, 0, False),
    (6, 28, 14, True),   # baseline 2/day: 6 is exactly 3 ×
    (5, 28, 14, False),  # 5 < 6
    (7, 28, 14, True),
    (9, 42, 14, True),   # baseline 3: exactly 3 ×
    (8, 42, 14, False),
    (5, 23, 14, True),   # baseline 23/14 = 1.642…: 3 × = 4.93 ≤ 5
    (5, 24, 14, False),  # baseline 24/14: 3 × = 5.14 > 5
    (30, 140, 14, True),  # a busy type, 10 a day: 30 is exactly 3 ×
    (29, 140, 14, False),
])
def test_a_type_spikes_at_the_minimum_and_the_factor(today, history, days, spike):
    assert is_spike(today, history, days, RULE) is spike


def test_fractional_factors_compare_exactly():
    rule = SpikeRule(min_count=1, factor=2.5)
    assert is_spike(5, 28, 14, rule) is True  # 2.5 × 2 = 5
    assert is_spike(4, 28, 14, rule) is False
    rule = SpikeRule(min_count=1, factor=1.1)
    assert is_spike(11, 140, 14, rule) is True  # 1.1 × 10 = 11 exactly, no float rounding
    assert daily_baseline(140, 14) == Fraction(10)


def test_a_young_shop_is_compared_with_the_days_it_has():
    today = date(2026, 11, 23)
    assert history_days_available(today, None) == 0
    assert history_days_available(today, today) == 0  # first ticket today: no history
    assert history_days_available(today, date(2026, 11, 20)) == 3
    assert history_days_available(today, date(2026, 1, 1)) == 14
    # three days of 10 a day: 15 today is no spike; over 14 days it would have looked like 2.1/day
    assert is_spike(15, 30, 3, RULE) is False
    assert is_spike(30, 30, 3, RULE) is True
    assert daily_baseline(30, 0) == 0


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


def test_one_offset_for_a_zone_without_daylight_saving():
    start, end = utc("2025-11-23 16:00"), utc("2026-11-23 16:00")
    assert offset_segments(start, end, ZoneInfo("Asia/Shanghai")) == [(None, 8 * 3600)]


def test_daylight_saving_changes_are_found_to_the_second():
    zone = ZoneInfo("America/New_York")
    segments = offset_segments(utc("2026-03-01 05:00"), utc("2026-11-15 05:00"), zone)
    assert segments == [
        (datetime(2026, 3, 8, 7, 0), -5 * 3600),  # 02:00 EST: clocks go forward
        (datetime(2026, 11, 1, 6, 0), -4 * 3600),  # 02:00 EDT: clocks go back
        (None, -5 * 3600),
    ]
    # Lord Howe Island moves by half an hour
    segments = offset_segments(utc("2026-03-30 00:00"), utc("2026-04-10 00:00"), ZoneInfo("Australia/Lord_Howe"))
    assert segments == [(datetime(2026, 4, 4, 15, 0), 11 * 3600), (None, int(10.5 * 3600))]
