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

What the customer calls an order number counts too (issue 11): 6 or more digits right after
订单/订单号/订单编号/单号 (also inside brackets or after a colon, as in the platform's pasted order
card "咨询订单号:… 订单金额:… 下单时间:…") are the customer's order number even when no platform
pattern matches — except an ID number, a tracking number (快递单号/运单号/物流单号/退货单号) and an
amount or count (订单 199999 元). `strip_order_card()` removes a pasted card's fields, so its amount,
date or product name never reads as a payment problem, a deadline or a risk.
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
# What the customer calls an order number: the words, then brackets, a colon or 是 (at most 4 such
# characters) before the digits. A tracking number's 单号 is not an order's.
_LOOSE_CONTEXT = re.compile(
    r"(?:订单编号|订单号码|订单号|订单|(?<!快递)(?<!物流)(?<!运)(?<!退货)(?<!寄回)单号)[\s】\]）):：是为#【\[（(]{0,4}$")
# Digits glued to letters are something else (an ID ending in X, a model number).
_LOOSE_NUMBER = re.compile(r"(?<![\d\-A-Za-z])\d{6,30}(?![\dA-Za-z])(?!-\d)"
                           r"(?!\s*(?:元|块|件|个|天|小时|号|日|月|年|[.,]\d))")  # not an amount, a count, a date
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_NOT_ORDER_CONTEXT = re.compile(
    r"(?:身份证|证件|卡号|银行卡|信用卡|储蓄卡|借记卡|手机|电话)\s*号?码?\s*[:：是为#]?\s*$")


@lru_cache(maxsize=16)
def _compiled(patterns: tuple[str, ...]) -> re.Pattern:
    alternatives = "|".join(f"(?:{p})" for p in patterns)
    # (?<![\d-]) / (?![\d]) stand in for \b, which does not exist between 汉字 and digits.
    return re.compile(rf"(?<![\d\-])(?:{alternatives})(?!\d)")


# A long number typed in groups for reading ("4490 0138 2746 5510 982"): three or more groups of
# 2–6 digits, single spaces between, 12–30 digits in all. Shorter runs (a phone "138 1234 5678",
# dates, amounts) stay as typed.
_DIGIT_GROUPS = re.compile(r"(?<![\d\-])\d{3,6}(?: \d{2,6}){2,}(?![\d\-])")


def _joined_digit_groups(text: str) -> str:
    def join(match: re.Match[str]) -> str:
        digits = match.group(0).replace(" ", "")
        return digits if 12 <= len(digits) <= 30 else match.group(0)
    return _DIGIT_GROUPS.sub(join, text)


def find_order_numbers(text: str, patterns: Iterable[str] = DEFAULT_ORDER_PATTERNS, *,
                       answering: bool = False) -> list[str]:
    """All order numbers in `text`, in order of appearance (ASCII digits), without phone numbers,
    ID numbers and bank cards. `answering`: the text answers the question for the order number."""
    text = _joined_digit_groups(ascii_digits(text or ""))
    found: list[tuple[int, int, str]] = []
    for match in _compiled(tuple(patterns)).finditer(text):
        value, before = match.group(0), text[: match.start()]
        context = bool(_CONTEXT.search(before))
        if (_MOBILE.match(value) and not context) or is_personal_number(value, ordered=context or answering) \
                or _NOT_ORDER_CONTEXT.search(before[-12:]):
            continue
        found.append((match.start(), match.end(), value))
    for match in _LOOSE_NUMBER.finditer(text):
        if any(start < match.end() and match.start() < end for start, end, _value in found):
            continue  # a platform pattern already took these digits
        if _LOOSE_CONTEXT.search(text[max(0, match.start() - 12): match.start()]) \
                and not is_personal_number(match.group(0), ordered=True):
            found.append((match.start(), match.end(), match.group(0)))
    return [value for _start, _end, value in sorted(found)]


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


# -- the platform's pasted order card -------------------------------------------------------------

_CARD_LABELS = (
    "咨询订单号|订单编号|订单号码|订单号|订单金额|实付金额|实付款|付款金额|支付金额|商品金额|应付金额|订单总额|"
    "下单时间|付款时间|支付时间|成交时间|创建时间|订单状态|商品名称|商品数量|购买数量|数量|收货人|收货地址|"
    "快递单号|物流单号|店铺名称|店铺")
# A value: words without spaces, or a placeholder ([日期x]); then more placeholders or a clock time
# after a space ("2026-11-23 10:00:00", "[日期x] [时间x]").
_CARD_VALUE = (r"(?:\[[^\]\n]{1,16}\]|[^\s\[\]【】|｜,，;；])+"
               r"(?:[ \t]+(?:\[[^\]\n]{1,16}\]|\d{1,2}:\d{2}(?::\d{2})?))*")
_CARD_FIELD = re.compile(rf"[\[【]?\s*(?:{_CARD_LABELS})\s*[:：]\s*(?:{_CARD_VALUE})?\s*[\]】]?")
_CARD_MARKER = re.compile(r"[\[【]\s*(?:订单卡片|订单信息|商品卡片|订单)\s*[\]】]")
_CARD_FIELDS_NEEDED = 2  # "订单号：123" alone is the customer's sentence, not a card


def has_order_card(text: str) -> bool:
    """A pasted order card: a marker (【订单卡片】), the platform's 咨询订单号, or two labelled fields."""
    text = text or ""
    return bool(_CARD_MARKER.search(text)) or "咨询订单号" in text or \
        len(_CARD_FIELD.findall(text)) >= _CARD_FIELDS_NEEDED


def strip_order_card(text: str) -> str:
    """The text without a pasted order card's fields (order number, amount, times, product, status),
    for classification: what is left are the customer's own words. Text without a card comes back
    as it is."""
    if not has_order_card(text):
        return text or ""
    stripped = _CARD_MARKER.sub(" ", _CARD_FIELD.sub(" ", text))
    return re.sub(r"[ \t]{2,}", " ", stripped).strip()


# What may stand beside an order number in a message that says nothing else: labels, pointers,
# "here it is", "please look" ("订单号：N", "亲 N 你查下", "就这单 N", "拼多多的 N", a pasted card).
_ORDER_ONLY_FILLER = re.compile(
    r"咨询订单号|订单编号|订单号码|订单号|订单|单号|编号|号码|"
    r"(?:淘宝|天猫|京东|拼多多|pdd|抖音)(?:上)?(?:的|买的)?|"
    r"我的|这个|那个|这单|那单|这笔|就是|这是|是|给你|给|发你了|发你|发给你|刚复制的|复制给你|复制的|复制|"
    r"你?(?:帮我?)?(?:查|看)(?:一下|一查|一看|下|看)?|麻烦(?:你|您)?|亲|的|了|呢|就|嗯|哈",
    re.IGNORECASE)


def is_order_number_only(text: str, patterns: Iterable[str] = DEFAULT_ORDER_PATTERNS) -> bool:
    """A message that gives an order number (or pastes an order card) and says nothing else:
    "4512345678901234567", "订单号：N", "亲 N 你查下", a card alone. Greetings, thanks and 嗯 may
    stand beside it; any other word ("N 拉链坏了", "N 退款", "N 什么时候发") is more than the number."""
    from bot.domain.intake import is_acknowledgement

    text = ascii_digits(text or "")
    numbers = find_order_numbers(text, patterns)
    if not numbers:
        return False
    rest = strip_order_card(text)
    for number in numbers:
        rest = rest.replace(number, " ")
    return is_acknowledgement(_ORDER_ONLY_FILLER.sub(" ", rest))
