"""Order numbers: finding them in free text and checking their format.

Patterns come from settings (`ORDER_NUMBER_PATTERNS`) so a shop on another platform can add its
own without retraining. Chinese text has no word boundaries, so we look for digit runs that are
not part of a longer digit run; full-width digits count (`１２３` is read as 123). Customers also
type other numbers, which are never taken for an order number:

- an 11-digit run that looks like a mobile number counts only with order context (订单/单号)
  right before it;
- an 18-digit resident ID with a real birth date and the right check digit never counts, whatever
  precedes it: measured on the 260 distinct 18–19-digit order numbers in data/nlu, tests/nlu,
  tests/conversations and bench/dialogues, 3 pass the check digit alone, none with the birth date
  too (a false refusal costs one "which order?" question; a wrong "yes" puts an ID on the ticket);
- a bank card (16–19 digits, Luhn, a mainland card prefix: 62, 4, 51–55, 22–27, 35) counts only
  with order context or as the answer to "which order?". Luhn alone would refuse 29 of those 260
  order numbers (1 in 10 passes by chance); with the prefix 13, of which 12 follow 订单/单号, so
  the context rule leaves 1 in 260 (0.4 %) refused when given unprompted — it is then asked for,
  and the answer to "which order?" (`answering=True`) counts as context;
- any number right after 身份证/证件号/卡号/银行卡/信用卡/手机/电话.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from bot.domain.privacy import ascii_digits, is_bank_card, is_resident_id

DEFAULT_ORDER_PATTERNS = (
    r"\d{6}-\d{15}",  # 拼多多: YYMMDD- + 15 digits
    r"\d{18,19}",  # 淘宝 / 天猫
    r"\d{11,12}",  # 京东
)

_CONTEXT = re.compile(r"(订单编号|订单号码|订单号|订单|单号|order\s*(?:no\.?|number|id)?)\s*[:：是为#]?\s*$",
                      re.IGNORECASE)
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_NOT_ORDER_CONTEXT = re.compile(
    r"(?:身份证|证件|卡号|银行卡|信用卡|储蓄卡|借记卡|手机|电话)\s*号?码?\s*[:：是为#]?\s*$")


@lru_cache(maxsize=16)
def _compiled(patterns: tuple[str, ...]) -> re.Pattern:
    alternatives = "|".join(f"(?:{p})" for p in patterns)
    # (?<![\d-]) / (?![\d]) stand in for \b, which does not exist between 汉字 and digits.
    return re.compile(rf"(?<![\d\-])(?:{alternatives})(?!\d)")


def find_order_numbers(text: str, patterns: Iterable[str] = DEFAULT_ORDER_PATTERNS, *,
                       answering: bool = False) -> list[str]:
    """All order numbers in `text`, in order of appearance (ASCII digits), without phone numbers,
    ID numbers and bank cards. `answering`: the text answers the question for the order number."""
    text = ascii_digits(text or "")
    found = []
    for match in _compiled(tuple(patterns)).finditer(text):
        value, before = match.group(0), text[: match.start()]
        context = bool(_CONTEXT.search(before))
        if (_MOBILE.match(value) and not context) or is_personal_number(value, ordered=context or answering) \
                or _NOT_ORDER_CONTEXT.search(before[-12:]):
            continue
        found.append(value)
    return found


def is_personal_number(value: str, ordered: bool = False) -> bool:
    """An ID number, or a bank card not stated as an order number (`ordered`: after order context,
    or answering "which order?"). See the module docstring for why."""
    value = ascii_digits(value or "")
    return is_resident_id(value) or (not ordered and is_bank_card(value))


def find_order_number(text: str, patterns: Iterable[str] = DEFAULT_ORDER_PATTERNS, *,
                      answering: bool = False) -> str | None:
    numbers = find_order_numbers(text, patterns, answering=answering)
    return numbers[-1] if numbers else None  # a correction usually comes last: "不是A，是B"


def is_valid_order_number(value: str, patterns: Iterable[str] = DEFAULT_ORDER_PATTERNS) -> bool:
    value = (value or "").strip()
    return any(re.fullmatch(p, value) for p in patterns)


def normalise_order_number(value: str) -> str:
    """Strips spaces, full-width digits and separators customers paste with the number."""
    return re.sub(r"[\s#：:]", "", ascii_digits(value or ""))
