"""Masking of personal data in text that leaves the conversation (logs, notifications, stats, and
everything agents see: ticket descriptions, transcripts, the desk's live messages, CSV exports).

Digits are read the way people type them: full-width `１３９…` and other Unicode digits count as
0-9 (`ascii_digits`, what NFKC does for digits, keeping every other character and every
position), so a number typed on a Chinese keyboard is masked like any other.

What is masked:

- mainland mobile numbers `1[3-9]` + 9 digits, also written `138 1234 5678`, `138-1234-5678`,
  with `+86`/`0086`/`86` in front: shown as `138****5678` (the prefix stays as written);
- landlines: area code 010, 02x or 0xxx, then a 7–8 digit local number, written
  `010-12345678`, `0755 1234 5678`, `(021)87654321` or run together: `010-****5678`;
- 18-character resident ID numbers: 6-digit region (not starting with 0), a birth date
  19xx/20xx that exists on the calendar, 3 digits, a check character 0-9/X. Shown with the
  first 6 and last 4 kept: `110101********123X`. The check digit is *not* required: a
  mistyped ID is still someone's ID. 15-digit first-generation IDs (region, YYMMDD, 3 digits)
  likewise: `110101******123`;
- bank cards: 16–19 digits (spaces or dashes allowed between them) that pass the Luhn check and
  start like a card sold in mainland China (62 UnionPay, 4 Visa, 51–55 / 22–27 Mastercard, 35
  JCB): `622202*********1234`, first 6 and last 4 kept;
- e-mail addresses: `z***@example.com`.

What is not masked, because agents need it:

- order numbers. A number is only a phone, ID or card when it stands alone: digits right before
  or after it make it part of a longer number (a 19-digit 淘宝 order never yields a "phone"), and
  an 18-digit number without a plausible birth date is not an ID. A number right after order
  context (订单 / 单号 / order, optionally followed by 号, 编号, 是, :, #) is an order or tracking
  number, even if it has the shape of a phone, landline, card or ID (京东 orders have 11–12
  digits) — except an 18-digit ID whose check digit is right: that is an ID whatever precedes
  it, and order-number extraction refuses it too (bot.domain.orders).
- addresses and names: too free-form to find reliably with patterns; not attempted.

`shorten()` is the one way to cut text for a read-back, a summary or a notification: it never
cuts inside a number, so "+86 138 1234 5…" (unmasked digits the patterns no longer recognise)
cannot happen.
"""
from __future__ import annotations

import re
import unicodedata
from datetime import date

_SEP = r"[ \-]?"
_PHONE = re.compile(
    r"(?<![\d+])(?P<prefix>(?:\+|00)?86" + _SEP + r")?"
    r"(?P<head>1[3-9]\d)" + _SEP + r"(?P<mid>\d{4})" + _SEP + r"(?P<tail>\d{4})(?!\d)")
_LANDLINE = re.compile(
    r"(?<![\d+\-])(?P<area>0(?:10|2\d|[3-9]\d{2})|[(（]0(?:10|2\d|[3-9]\d{2})[)）])"
    r"(?P<local>[ \-]?[1-9]\d{2,3}[ \-]?\d{4})(?![\d\-])")
_ID = re.compile(
    r"(?<!\d)(?P<region>[1-9]\d{5})(?P<year>(?:19|20)\d{2})(?P<month>\d{2})(?P<day>\d{2})"
    r"(?P<seq>\d{3})(?P<check>[\dXx])(?![\dXx])")
# An 18-character ID typed in groups ("110101 19900307 4514", "1101-0119-9003-0745-14").
_ID_SPACED = re.compile(r"(?<![\dXx\-])\d(?:[ \-]?\d){16}[ \-]?[\dXx](?![\dXx\-])")
_ID15 = re.compile(r"(?<![\d\-])(?P<region>[1-9]\d{5})(?P<year>\d{2})(?P<month>\d{2})(?P<day>\d{2})\d{3}(?![\dXx])")
_CARD = re.compile(r"(?<![\d\-])\d(?:[ \-]?\d){15,18}(?![\d\-])")
_CARD_PREFIX = re.compile(r"^(?:62|4|5[1-5]|2[2-7]|35)")
_EMAIL = re.compile(
    r"(?<![A-Za-z0-9._%+\-])(?P<local>[A-Za-z0-9._%+\-]+)@"
    r"(?P<domain>[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,})")
# Order context must end right where the number starts (only spaces and a connector between).
_ORDER_CONTEXT = re.compile(
    r"(?:订单|单号|order)\s*(?:编号|号码|号|no\.?|number|id)?\s*(?:是|为|:|：|#)?\s*$", re.IGNORECASE)
_CONTEXT_CHARS = 16  # enough for "Order number: " and "订单编号是 "
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_SEPARATORS = str.maketrans({"＋": "+", "－": "-", "\u3000": " "})
# A number as it may appear, masked or not: digits, stars, separators inside, an ID's final X.
_NUMBER_RUN = re.compile(r"[+\d*＊](?:[\d*＊ \-]*[\d*＊Xx])?")


def ascii_digits(text: str) -> str:
    """Every decimal digit as 0-9 (full-width １３９ → 139, as NFKC does), full-width ＋ and －
    and the ideographic space as + - and a space; nothing else changes, not even positions."""
    if not text or text.isascii():
        return text
    text = text.translate(_SEPARATORS)
    return re.sub(r"\d", lambda m: m.group(0) if m.group(0).isascii() else str(unicodedata.decimal(m.group(0))),
                  text)


def after_order_context(text: str, start: int) -> bool:
    return bool(_ORDER_CONTEXT.search(text[max(0, start - _CONTEXT_CHARS):start]))


def _masked_digits(number: str, keep_head: int, keep_tail: int) -> str:
    """`number` with every digit but the first `keep_head` and last `keep_tail` as *, separators kept."""
    count = sum(ch.isdigit() for ch in number)
    out, seen = [], 0
    for ch in number:
        if ch.isdigit():
            seen += 1
            out.append(ch if seen <= keep_head or seen > count - keep_tail else "*")
        else:
            out.append(ch)
    return "".join(out)


def mask_phone_numbers(text: str) -> str:
    """Masks mainland mobile numbers as 138****5678, leaving order numbers alone."""
    def replace(match: re.Match) -> str:
        if after_order_context(match.string, match.start()):
            return match.group(0)
        return f"{match.group('prefix') or ''}{match.group('head')}****{match.group('tail')}"

    return _PHONE.sub(replace, text)


def mask_landlines(text: str) -> str:
    """Masks landlines as 010-****5678 / 0755 **** 5678 (area code and last 4 digits kept)."""
    def replace(match: re.Match) -> str:
        if after_order_context(match.string, match.start()):
            return match.group(0)
        return match.group("area") + _masked_digits(match.group("local"), 0, 4)

    return _LANDLINE.sub(replace, text)


def _is_plausible_birth_date(year: str, month: str, day: str) -> bool:
    try:
        date(int(year), int(month), int(day))
    except ValueError:
        return False
    return True


def id_check_character(first17: str) -> str:
    """The ISO 7064 MOD 11-2 check character of an 18-character resident ID (GB 11643)."""
    return "10X98765432"[sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True)) % 11]


def is_resident_id(number: str) -> bool:
    """An 18-character mainland resident ID with a real birth date and the right check character."""
    match = _ID.fullmatch(number or "")
    return bool(match) and _is_plausible_birth_date(match["year"], match["month"], match["day"]) \
        and id_check_character(number[:17]) == number[17].upper()


def passes_luhn(digits: str) -> bool:
    total = 0
    for position, ch in enumerate(reversed(digits)):
        value = int(ch) * (2 if position % 2 else 1)
        total += value - 9 if value > 9 else value
    return bool(digits) and digits.isdigit() and total % 10 == 0


def is_bank_card(number: str) -> bool:
    """16–19 digits that pass the Luhn check and start like a card sold in mainland China."""
    digits = re.sub(r"[ \-]", "", number or "")
    return 16 <= len(digits) <= 19 and digits.isdigit() and bool(_CARD_PREFIX.match(digits)) and passes_luhn(digits)


def mask_id_numbers(text: str) -> str:
    """Masks 18-character ID numbers as 110101********1234 and 15-digit ones as 110101******123."""
    def replace(match: re.Match) -> str:
        whole = match.group(0)
        if not _is_plausible_birth_date(match.group("year"), match.group("month"), match.group("day")):
            return whole
        if after_order_context(match.string, match.start()) and not is_resident_id(whole):
            return whole
        return f"{whole[:6]}{'*' * 8}{whole[-4:]}"

    def replace15(match: re.Match) -> str:
        whole = match.group(0)
        if (not _is_plausible_birth_date("19" + match.group("year"), match.group("month"), match.group("day"))
                or after_order_context(match.string, match.start())):
            return whole
        return f"{whole[:6]}{'*' * 6}{whole[-3:]}"

    def replace_spaced(match: re.Match) -> str:
        whole = match.group(0)
        if not re.search(r"[ \-]", whole) or not is_resident_id(re.sub(r"[ \-]", "", whole)):
            return whole
        out, seen = [], 0
        for ch in whole:  # first 6 and last 4 characters kept, separators kept
            if ch in " -":
                out.append(ch)
                continue
            seen += 1
            out.append(ch if seen <= 6 or seen > 14 else "*")
        return "".join(out)

    return _ID15.sub(replace15, _ID_SPACED.sub(replace_spaced, _ID.sub(replace, text)))


def mask_bank_cards(text: str) -> str:
    """Masks bank card numbers as 622202*********1234 (first 6, last 4 kept; spacing kept)."""
    def replace(match: re.Match) -> str:
        if not is_bank_card(match.group(0)) or after_order_context(match.string, match.start()):
            return match.group(0)
        return _masked_digits(match.group(0), 6, 4)

    return _CARD.sub(replace, text)


def mask_emails(text: str) -> str:
    """Masks e-mail addresses as z***@example.com (the domain says little about the person)."""
    return _EMAIL.sub(lambda m: f"{m.group('local')[0]}***@{m.group('domain')}", text)


def mask_personal_data(text: str) -> str:
    """All of the above, on ASCII digits. E-mails go first: 13812345678@163.com must lose its
    phone number with the address, not leave `138****5678@163.com` behind; IDs before cards
    (an 18-digit ID can pass Luhn) and cards before phones and landlines, whose patterns could
    take a piece of a card written in groups."""
    if not text:
        return text
    text = mask_id_numbers(mask_emails(ascii_digits(text)))
    return mask_landlines(mask_phone_numbers(mask_bank_cards(text)))


def shorten(text: str, limit: int, ellipsis: str = "…") -> str:
    """`text` cut to at most `limit` characters (plus `ellipsis`), never inside a number: a number
    the cut would split is left out whole."""
    if len(text) <= limit:
        return text
    cut = limit
    for match in _NUMBER_RUN.finditer(text):
        if match.start() >= cut:
            break
        if match.end() > cut:
            cut = match.start()
            break
    return text[:cut].rstrip() + ellipsis


def mask_phone(phone: str | None) -> str:
    """Masks a bare phone field: mobiles as 138****5678, other numbers keep 3 + 4 digits."""
    if not phone:
        return ""
    digits = re.sub(r"\D", "", ascii_digits(phone))
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
