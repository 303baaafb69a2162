"""Masking of personal data in text that leaves the conversation (logs, notifications, stats, and
everything agents see: ticket descriptions, transcripts, the desk's live messages, CSV exports).

What is masked:

- mainland mobile numbers `1[3-9]` + 9 digits, also written `138 1234 5678`, `138-1234-5678`,
  with `+86`/`0086`/`86` in front: shown as `138****5678` (the prefix stays as written);
- 18-character resident ID numbers: 6-digit region (not starting with 0), a birth date
  19xx/20xx that exists on the calendar, 3 digits, a check character 0-9/X. Shown with the
  first 6 and last 4 kept: `110101********123X`. The check digit is *not* verified on
  purpose: a mistyped ID is still someone's ID;
- e-mail addresses: `z***@example.com`.

What is not masked, because agents need it:

- order numbers. A number is only a phone or ID when it stands alone: digits right before or
  after it make it part of a longer number (a 19-digit 淘宝 order never yields a "phone"), and
  an 18-digit number without a plausible birth date is not an ID. A number right after order
  context (订单 / 单号 / order, optionally followed by 号, 编号, 是, :, #) is an order or
  tracking number, even if it has the shape of a phone or ID (京东 orders have 11–12 digits).
- addresses and names: too free-form to find reliably with patterns; not attempted.

15-digit first-generation IDs are not recognised (they left circulation in 2013 and collide
with 15-digit order numbers).
"""
from __future__ import annotations

import re
from datetime import date

_SEP = r"[ \-]?"
_PHONE = re.compile(
    r"(?<![\d+])(?P<prefix>(?:\+|00)?86" + _SEP + r")?"
    r"(?P<head>1[3-9]\d)" + _SEP + r"(?P<mid>\d{4})" + _SEP + r"(?P<tail>\d{4})(?!\d)")
_ID = re.compile(
    r"(?<!\d)(?P<region>[1-9]\d{5})(?P<year>(?:19|20)\d{2})(?P<month>\d{2})(?P<day>\d{2})"
    r"(?P<seq>\d{3})(?P<check>[\dXx])(?![\dXx])")
_EMAIL = re.compile(
    r"(?<![A-Za-z0-9._%+\-])(?P<local>[A-Za-z0-9._%+\-]+)@"
    r"(?P<domain>[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,})")
# Order context must end right where the number starts (only spaces and a connector between).
_ORDER_CONTEXT = re.compile(
    r"(?:订单|单号|order)\s*(?:编号|号码|号|no\.?|number|id)?\s*(?:是|为|:|：|#)?\s*$", re.IGNORECASE)
_CONTEXT_CHARS = 16  # enough for "Order number: " and "订单编号是 "


def _after_order_context(text: str, start: int) -> bool:
    return bool(_ORDER_CONTEXT.search(text[max(0, start - _CONTEXT_CHARS):start]))


def mask_phone_numbers(text: str) -> str:
    """Masks mainland mobile numbers as 138****5678, leaving order numbers alone."""
    def replace(match: re.Match) -> str:
        if _after_order_context(match.string, match.start()):
            return match.group(0)
        return f"{match.group('prefix') or ''}{match.group('head')}****{match.group('tail')}"

    return _PHONE.sub(replace, text)


def _is_plausible_birth_date(year: str, month: str, day: str) -> bool:
    try:
        date(int(year), int(month), int(day))
    except ValueError:
        return False
    return True


def mask_id_numbers(text: str) -> str:
    """Masks 18-character ID numbers as 110101********1234 (first 6, last 4 kept)."""
    def replace(match: re.Match) -> str:
        whole = match.group(0)
        if (not _is_plausible_birth_date(match.group("year"), match.group("month"), match.group("day"))
                or _after_order_context(match.string, match.start())):
            return whole
        return f"{whole[:6]}{'*' * 8}{whole[-4:]}"

    return _ID.sub(replace, text)


def mask_emails(text: str) -> str:
    """Masks e-mail addresses as z***@example.com (the domain says little about the person)."""
    return _EMAIL.sub(lambda m: f"{m.group('local')[0]}***@{m.group('domain')}", text)


def mask_personal_data(text: str) -> str:
    """All of the above. E-mails go first: 13812345678@163.com must lose its phone number
    with the address, not leave `138****5678@163.com` behind; IDs before phones, because an
    ID cannot contain a stand-alone phone but the order makes the rule obvious."""
    if not text:
        return text
    return mask_phone_numbers(mask_id_numbers(mask_emails(text)))


def mask_phone(phone: str | None) -> str:
    """Masks a bare phone field: mobiles as 138****5678, other numbers keep 3 + 4 digits."""
    if not phone:
        return ""
    digits = re.sub(r"\D", "", phone)
    if len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    elif len(digits) == 15 and digits.startswith("0086"):
        digits = digits[4:]
    if len(digits) < 7:
        return "****"  # too short to keep anything without revealing most of it
    return f"{digits[:3]}****{digits[-4:]}"


def mask_message(message: dict) -> dict:
    """A stored chat message with personal data masked in its text (for agents and exports; the
    customer's own chat shows what they typed)."""
    text = message.get("text")
    return {**message, "text": mask_personal_data(text)} if text else message
