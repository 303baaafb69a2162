"""Order numbers: finding them in free text and checking their format.

Patterns come from settings (`ORDER_NUMBER_PATTERNS`) so a shop on another platform can add its
own without retraining. Chinese text has no word boundaries, so we look for digit runs that are
not part of a longer digit run. An 11-digit run that looks like a mobile number counts only
with order context (订单/单号) right before it: customers also type their phone numbers.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

DEFAULT_ORDER_PATTERNS = (
    r"\d{6}-\d{15}",  # 拼多多: YYMMDD- + 15 digits
    r"\d{18,19}",  # 淘宝 / 天猫
    r"\d{11,12}",  # 京东
)

_CONTEXT = re.compile(r"(订单编号|订单号码|订单号|订单|单号|order\s*(?:no\.?|number|id)?)\s*[:：是为#]?\s*$",
                      re.IGNORECASE)
_MOBILE = re.compile(r"^1[3-9]\d{9}$")


@lru_cache(maxsize=16)
def _compiled(patterns: tuple[str, ...]) -> re.Pattern:
    alternatives = "|".join(f"(?:{p})" for p in patterns)
    # (?<![\d-]) / (?![\d]) stand in for \b, which does not exist between 汉字 and digits.
    return re.compile(rf"(?<![\d\-])(?:{alternatives})(?!\d)")


def find_order_numbers(text: str, patterns: Iterable[str] = DEFAULT_ORDER_PATTERNS) -> list[str]:
    """All order numbers in `text`, in order of appearance, without phone-number look-alikes."""
    found = []
    for match in _compiled(tuple(patterns)).finditer(text or ""):
        value = match.group(0)
        if _MOBILE.match(value) and not _CONTEXT.search(text[: match.start()]):
            continue
        found.append(value)
    return found


def find_order_number(text: str, patterns: Iterable[str] = DEFAULT_ORDER_PATTERNS) -> str | None:
    numbers = find_order_numbers(text, patterns)
    return numbers[-1] if numbers else None  # a correction usually comes last: "不是A，是B"


def is_valid_order_number(value: str, patterns: Iterable[str] = DEFAULT_ORDER_PATTERNS) -> bool:
    value = (value or "").strip()
    return any(re.fullmatch(p, value) for p in patterns)


def normalise_order_number(value: str) -> str:
    """Strips spaces, full-width digits and separators customers paste with the number."""
    value = (value or "").translate(str.maketrans("０１２３４５６７８９－", "0123456789-"))
    return re.sub(r"[\s#：:]", "", value)
