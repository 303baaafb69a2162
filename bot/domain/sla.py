"""Service-level targets: when a ticket must get its first human reply and its resolution.

Two clocks, on purpose:

- **First response** counts *business minutes* (`BusinessCalendar.add_business_minutes`): a
  person can only answer while people are at work, so a complaint at 23:00 is due at the next
  opening plus the target ("明天（周二）09:15 前"), which is what the customer is told.
- **Resolution** counts *wall-clock hours from the first open moment* (the creation time when
  the shop is open, else the next opening). Resolving often waits on couriers, warehouses and
  payment providers that keep their own hours, and "24 小时内" is how shops word it to
  customers; starting at the next opening keeps a night-time complaint from losing its night.
  Counting 24 *business* hours instead would stretch a promise to three or four calendar days.

Due times come back in the calendar's time zone; the ticket store converts them to UTC.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from bot.domain.calendar import BusinessCalendar

PRIORITIES = ("urgent", "high", "normal")

# Which team handles each issue type; a case that needs two teams is a complex case. Kept here
# (not in the taxonomy) because it is an SLA rule: a shop that merges teams changes only this.
DEPARTMENT_BY_ISSUE_TYPE: dict[str, str] = {
    "product_quality": "product",
    "not_as_described": "product",
    "wrong_or_missing_item": "warehouse",
    "out_of_stock": "warehouse",
    "logistics_delay": "logistics",
    "package_damaged_or_lost": "logistics",
    "courier_attitude": "logistics",
    "service_attitude": "customer_service",
    "after_sales_refund": "after_sales",
    "payment_issue": "payment",
    "promotion_issue": "marketing",
    "price_dispute": "marketing",
}

# Expectations that by themselves need a decision beyond one team's routine (an amount).
COMPLEX_EXPECTATIONS = frozenset({"compensation"})


@dataclass(frozen=True)
class SlaPolicy:
    """Targets per priority; shaped like the SLA_* settings so they pass straight in."""

    first_response_minutes: Mapping[str, int] = field(
        default_factory=lambda: {"urgent": 5, "high": 10, "normal": 15})
    resolution_hours: Mapping[str, int] = field(
        default_factory=lambda: {"normal": 24, "complex": 48})

    def __post_init__(self) -> None:
        missing = [p for p in PRIORITIES if p not in self.first_response_minutes]
        if missing:
            raise ValueError(f"first_response_minutes lacks {', '.join(missing)}")
        if "normal" not in self.resolution_hours or "complex" not in self.resolution_hours:
            raise ValueError("resolution_hours needs both 'normal' and 'complex'")
        for name, value in [*self.first_response_minutes.items(), *self.resolution_hours.items()]:
            if value <= 0:
                raise ValueError(f"SLA target {name}={value} must be positive")

    def first_response_for(self, priority: str) -> int:
        try:
            return self.first_response_minutes[priority]
        except KeyError:
            raise ValueError(f"unknown priority {priority!r}; expected one of {', '.join(PRIORITIES)}") from None

    def resolution_for(self, complex_case: bool) -> int:
        return self.resolution_hours["complex" if complex_case else "normal"]


@dataclass(frozen=True)
class DueTimes:
    first_response_due: datetime
    resolution_due: datetime


def compute_due_times(
    created_at: datetime,
    priority: str,
    calendar: BusinessCalendar,
    policy: SlaPolicy | None = None,
    complex_case: bool = False,
) -> DueTimes:
    """Both due times of a ticket created at `created_at` (aware), in the calendar's zone."""
    policy = policy or SlaPolicy()
    minutes = policy.first_response_for(priority)
    first_response_due = calendar.add_business_minutes(created_at, minutes)
    # UTC arithmetic: "24 hours" must stay 24 real hours across a DST change.
    start = calendar.next_opening(created_at).astimezone(timezone.utc)
    resolution_due = (start + timedelta(hours=policy.resolution_for(complex_case))).astimezone(calendar.tz)
    return DueTimes(first_response_due=first_response_due, resolution_due=resolution_due)


def is_overdue(due: datetime | None, now: datetime) -> bool:
    """True once `now` is past `due`; a ticket without a due time is never overdue."""
    return due is not None and now > due


def is_complex(expectation: str | None, issue_type: str | Iterable[str] | None) -> bool:
    """A complex case gets the longer resolution target.

    Complex means the customer wants compensation (an amount someone must decide), or the
    issue types given (one, or several for a case with more than one problem) belong to more
    than one department, e.g. a double charge plus a late parcel (payment + logistics).
    Unknown issue types and `other_complaint` count for no department.
    """
    if expectation in COMPLEX_EXPECTATIONS:
        return True
    if issue_type is None:
        return False
    issue_types = [issue_type] if isinstance(issue_type, str) else list(issue_type)
    departments = {DEPARTMENT_BY_ISSUE_TYPE[t] for t in issue_types if t in DEPARTMENT_BY_ISSUE_TYPE}
    return len(departments) > 1
