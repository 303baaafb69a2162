"""SLA due times: first response in business minutes, resolution in hours from the first open moment."""
from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from bot.domain.calendar import BusinessCalendar
from bot.domain.sla import DueTimes, SlaPolicy, compute_due_times, is_complex, is_overdue

SH = ZoneInfo("Asia/Shanghai")


def sh(y, m, d, hh=0, mm=0, ss=0):
    return datetime(y, m, d, hh, mm, ss, tzinfo=SH)


@pytest.fixture
def calendar():
    return BusinessCalendar("mon-fri 09:00-18:00")


POLICY = SlaPolicy()


def test_default_policy_matches_the_design():
    assert dict(POLICY.first_response_minutes) == {"urgent": 5, "high": 10, "normal": 15}
    assert dict(POLICY.resolution_hours) == {"normal": 24, "complex": 48}


@pytest.mark.parametrize("priority, first", [
    ("urgent", sh(2025, 11, 24, 10, 5)),
    ("high", sh(2025, 11, 24, 10, 10)),
    ("normal", sh(2025, 11, 24, 10, 15)),
])
def test_during_business_hours(calendar, priority, first):
    due = compute_due_times(sh(2025, 11, 24, 10, 0), priority, calendar, POLICY)
    assert due == DueTimes(first_response_due=first, resolution_due=sh(2025, 11, 25, 10, 0))


def test_off_hours_counts_from_next_opening(calendar):
    due = compute_due_times(sh(2025, 11, 24, 23, 0), "normal", calendar, POLICY)
    assert due.first_response_due == sh(2025, 11, 25, 9, 15)
    assert due.resolution_due == sh(2025, 11, 26, 9, 0)  # Tuesday 09:00 + 24 h


def test_complex_case_gets_48_hours(calendar):
    due = compute_due_times(sh(2025, 11, 24, 23, 0), "normal", calendar, POLICY, complex_case=True)
    assert due.resolution_due == sh(2025, 11, 27, 9, 0)


def test_friday_before_closing(calendar):
    # 5 business minutes on Friday, 5 on Monday; resolution is wall-clock from Friday 17:55.
    due = compute_due_times(sh(2025, 11, 28, 17, 55), "high", calendar, POLICY)
    assert due.first_response_due == sh(2025, 12, 1, 9, 5)
    assert due.resolution_due == sh(2025, 11, 29, 17, 55)


def test_golden_week(calendar):
    due = compute_due_times(sh(2025, 9, 30, 20, 0), "urgent", calendar, POLICY)
    assert due.first_response_due == sh(2025, 10, 9, 9, 5)
    assert due.resolution_due == sh(2025, 10, 10, 9, 0)


def test_input_in_utc_answers_in_shop_zone(calendar):
    created = datetime(2025, 11, 24, 2, 0, tzinfo=timezone.utc)  # 10:00 Shanghai
    due = compute_due_times(created, "normal", calendar, POLICY)
    assert due.first_response_due == sh(2025, 11, 24, 10, 15)
    assert due.first_response_due.tzinfo == SH
    assert due.resolution_due.tzinfo == SH


def test_policy_shaped_like_settings(calendar):
    policy = SlaPolicy(first_response_minutes={"urgent": 1, "high": 2, "normal": 30},
                       resolution_hours={"normal": 12, "complex": 72})
    due = compute_due_times(sh(2025, 11, 24, 10, 0), "normal", calendar, policy, complex_case=True)
    assert due.first_response_due == sh(2025, 11, 24, 10, 30)
    assert due.resolution_due == sh(2025, 11, 27, 10, 0)


def test_policy_defaults_when_omitted(calendar):
    due = compute_due_times(sh(2025, 11, 24, 10, 0), "urgent", calendar)
    assert due.first_response_due == sh(2025, 11, 24, 10, 5)


def test_unknown_priority_is_refused(calendar):
    with pytest.raises(ValueError, match="urgent, high, normal"):
        compute_due_times(sh(2025, 11, 24, 10, 0), "critical", calendar, POLICY)


@pytest.mark.parametrize("kwargs", [
    {"first_response_minutes": {"urgent": 5, "high": 10}},
    {"first_response_minutes": {"urgent": 0, "high": 10, "normal": 15}},
    {"resolution_hours": {"normal": 24}},
    {"resolution_hours": {"normal": -1, "complex": 48}},
])
def test_bad_policy_is_refused(kwargs):
    with pytest.raises(ValueError):
        SlaPolicy(**kwargs)


def test_is_overdue():
    due = sh(2025, 11, 24, 10, 15)
    assert not is_overdue(due, sh(2025, 11, 24, 10, 14, 59))
    assert not is_overdue(due, sh(2025, 11, 24, 10, 15))
    assert is_overdue(due, sh(2025, 11, 24, 10, 15, 1))
    assert is_overdue(due, datetime(2025, 11, 24, 2, 16, tzinfo=timezone.utc))  # 10:16 Shanghai
    assert not is_overdue(None, sh(2030, 1, 1))


@pytest.mark.parametrize("expectation, issue_type, expected", [
    ("compensation", "logistics_delay", True),
    ("compensation", None, True),
    ("refund", "logistics_delay", False),
    ("refund", ["payment_issue", "logistics_delay"], True),  # payment + logistics
    ("resend", ("wrong_or_missing_item", "package_damaged_or_lost"), True),  # warehouse + logistics
    (None, ["logistics_delay", "package_damaged_or_lost"], False),  # both logistics
    ("refund", ["product_quality", "other_complaint"], False),  # other counts for no department
    ("exchange", "product_quality", False),
    (None, None, False),
])
def test_is_complex(expectation, issue_type, expected):
    assert is_complex(expectation, issue_type) is expected
