"""Tickets for the shop's spreadsheet: the CSV export and the shop-local day range it covers.

Mixed into `Store` (bot.store.db). Read-only.
"""
from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.domain.intake import intake_label
from bot.domain.privacy import mask_personal_data, mask_phone
from bot.domain.taxonomy import CATEGORIES, EXPECTATIONS, ISSUE_TYPES, PRIORITIES, STATUSES
from bot.store import schema
from bot.store.rows import naive_utc, ticket_dict

COLUMNS = (
    "ticket_id", "created_at", "status", "status_zh", "priority", "priority_zh", "category", "category_zh",
    "issue_type", "issue_type_zh", "expectation", "expectation_zh", "order_number", "order_number_status",
    "channel", "customer_ref", "phone", "risk_flags", "off_hours", "assignee", "first_response_due",
    "first_responded_at", "first_response_on_time", "resolution_due", "resolved_at", "resolved_on_time",
    "escalated_at", "csat", "csat_comment", "intake", "intake_zh", "missing_fields", "customer_deadline",
    "description")


def day_bounds(first: date, last: date, tz: str | ZoneInfo) -> tuple[datetime, datetime]:
    """[start of `first`, start of the day after `last`) in the shop's zone, as aware datetimes."""
    zone = ZoneInfo(tz) if isinstance(tz, str) else tz
    start = datetime.combine(first, datetime.min.time(), tzinfo=zone)
    end = datetime.combine(last + timedelta(days=1), datetime.min.time(), tzinfo=zone)
    return start, end


def _cell(value: Any) -> Any:
    # CSV injection: =, +, -, @ (and tab/CR) at the start make spreadsheets evaluate a cell.
    if isinstance(value, str) and value and value[0] in "=+-@\t\r":
        return "'" + value
    return value


def _label(table: dict, key: str | None) -> str:
    value = table.get(key or "")
    return getattr(value, "label", value) or ""


def _on_time(done: datetime | None, due: datetime) -> str:
    return "" if done is None else ("yes" if done <= due else "no")


class TicketExport:
    """The export method of `Store`; needs `self.engine`."""

    engine: Any

    def export_csv(self, start: datetime, end: datetime, tz: str | ZoneInfo) -> str:
        """Tickets created in [start, end) as CSV for the shop's spreadsheet (UTF-8 with BOM, so
        Excel opens the Chinese text correctly); times in the shop's zone, phones masked (also in the
        description), and cells a spreadsheet would run as a formula defused with a leading apostrophe."""
        zone = ZoneInfo(tz) if isinstance(tz, str) else tz
        t = schema.tickets
        query = (select(t).where(t.c.created_at >= naive_utc(start), t.c.created_at < naive_utc(end))
                 .order_by(t.c.created_at, t.c.id))

        def local(value: datetime | None) -> str:
            return value.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S") if value else ""

        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(COLUMNS)
        with self.engine.connect() as conn:
            for row in conn.execute(query).mappings():
                k = ticket_dict(row)
                writer.writerow([_cell(v) for v in (
                    k["id"], local(k["created_at"]), k["status"], _label(STATUSES, k["status"]), k["priority"],
                    _label(PRIORITIES, k["priority"]), k["category"], _label(CATEGORIES, k["category"]),
                    k["issue_type"], _label(ISSUE_TYPES, k["issue_type"]), k["expectation"] or "",
                    _label(EXPECTATIONS, k["expectation"]), k["order_number"] or "", k["order_number_status"],
                    k["channel"], k["customer_ref"] or "", mask_phone(k["phone"]), " ".join(k["risk_flags"]),
                    "yes" if k["off_hours"] else "no", k["assignee"] or "", local(k["first_response_due"]),
                    local(k["first_responded_at"]), _on_time(k["first_responded_at"], k["first_response_due"]),
                    local(k["resolution_due"]), local(k["resolved_at"]),
                    _on_time(k["resolved_at"], k["resolution_due"]), local(k["escalated_at"]),
                    "" if k["csat"] is None else k["csat"], k["csat_comment"] or "",
                    k["intake"], intake_label(k["intake"], k["missing_fields"]), " ".join(k["missing_fields"]),
                    mask_personal_data(k["customer_deadline"] or ""), mask_personal_data(k["description"]))])
        return "\ufeff" + buffer.getvalue()
