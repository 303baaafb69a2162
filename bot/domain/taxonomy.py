"""The complaint taxonomy and customer expectations: the single source of truth.

Intent names of the NLU (`complain_<issue_type>`) map here; actions, the desk and the statistics
all read labels from this module so the Chinese wording stays consistent. The ticket vocabulary
lives here too: priorities, statuses (and which of them are still active or done) and the shape
of a ticket id.
"""
from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class IssueType:
    key: str
    category: str
    label: str  # short Chinese name shown to customers and agents
    examples: str  # what belongs here, in Chinese


ISSUE_TYPES: dict[str, IssueType] = {t.key: t for t in (
    IssueType("product_quality", "product", "质量问题", "破损、瑕疵、故障、过期"),
    IssueType("not_as_described", "product", "与描述不符", "色差、尺码、材质、假货"),
    IssueType("wrong_or_missing_item", "product", "错发漏发", "错发、漏发、少件、配件缺失"),
    IssueType("out_of_stock", "product", "下单后缺货", "下单后被告知没货"),
    IssueType("logistics_delay", "logistics", "物流延误", "未发货、物流停滞、超时未到"),
    IssueType("package_damaged_or_lost", "logistics", "包裹破损丢件", "包裹破损、丢件、签收未收到"),
    IssueType("courier_attitude", "logistics", "快递员问题", "快递员态度、不送货上门"),
    IssueType("service_attitude", "service", "客服服务", "客服态度差、响应慢"),
    IssueType("after_sales_refund", "service", "售后退款", "退换货、退款慢或被拒"),
    IssueType("payment_issue", "other", "支付问题", "重复扣款、支付失败已扣款"),
    IssueType("promotion_issue", "other", "优惠活动", "优惠券、满减、赠品、活动规则"),
    IssueType("price_dispute", "other", "价格争议", "降价、价保、差价"),
    IssueType("other_complaint", "other", "其他问题", "其他投诉"),
)}

CATEGORIES: dict[str, str] = {
    "product": "商品问题", "logistics": "物流问题", "service": "服务问题", "other": "其他问题"}

EXPECTATIONS: dict[str, str] = {
    "refund": "仅退款",
    "return_refund": "退货退款",
    "exchange": "换货",
    "resend": "补发",
    "compensation": "补偿",
    "repair": "维修",
    "expedite": "催发货/加急",
    "explanation": "给个说法/道歉",
    "other": "其他诉求",
}

PRIORITIES: dict[str, str] = {"urgent": "紧急", "high": "高", "normal": "普通"}
STATUSES: dict[str, str] = {
    "new": "待处理", "open": "处理中", "pending_customer": "等待顾客回复",
    "resolved": "已解决", "closed": "已关闭"}
# Someone still owes the customer something; the due times run, a claimed one is with a person.
ACTIVE_STATUSES: tuple[str, ...] = ("new", "open", "pending_customer")
# Finished: a rating may be asked for, a reopening sets it active again.
DONE_STATUSES: tuple[str, ...] = ("resolved", "closed")

# `TK-YYYYMMDD-NNNN`: the creation day in the shop's zone and that day's number (a day's
# 10 000th ticket gets a fifth digit).
TICKET_ID_PATTERN = r"TK-\d{8}-\d{4,}"
TICKET_ID = re.compile(rf"^{TICKET_ID_PATTERN}$")  # a whole id (upper-case it first)
TICKET_ID_IN_TEXT = re.compile(TICKET_ID_PATTERN, re.IGNORECASE)  # an id inside a customer's message

COMPLAINT_INTENT_PREFIX = "complain_"
# Sympathy that names the problem only when the NLU's reading of the issue type is at least this
# sure (the intent confidence of the message); below it the acknowledgement restates the customer's
# words and offers the likeliest types. One constant, to be tuned by measurement (issue 11 item 4).
ISSUE_TYPE_CONFIDENT = 0.5
_INTENT_TO_ISSUE = {f"{COMPLAINT_INTENT_PREFIX}{k}": k for k in ISSUE_TYPES}
_INTENT_TO_ISSUE["complain_other"] = "other_complaint"


def issue_type_for_intent(intent: str | None) -> str | None:
    """`complain_logistics_delay` → `logistics_delay`; None for non-complaint intents."""
    return _INTENT_TO_ISSUE.get(intent or "")


def intent_for_issue_type(issue_type: str) -> str:
    return "complain_other" if issue_type == "other_complaint" else f"{COMPLAINT_INTENT_PREFIX}{issue_type}"


def is_complaint_intent(intent: str | None) -> bool:
    return (intent or "") in _INTENT_TO_ISSUE


def category_of(issue_type: str | None) -> str | None:
    found = ISSUE_TYPES.get(issue_type or "")
    return found.category if found else None


# Free-text words customers use for each expectation; the NLU maps most of these with entity
# synonyms, this table catches what it misses (e.g. a button label typed by hand).
_EXPECTATION_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("return_refund", ("退货退款", "退货", "退回去", "寄回去", "退了吧", "把货退", "退掉", "寄回给你们", "拿回去")),
    ("refund", ("仅退款", "只退款", "退款", "退钱", "把钱退", "钱退", "退费", "refund", "退差价", "补差价", "差价",
                "价保", "保价", "钱还给我", "把钱还", "还我钱", "退我钱", "退给我", "返还", "退回余额", "退到余额",
                "申请余额", "退回来")),
    ("exchange", ("换货", "换一个", "换个", "换新", "调换", "换一件", "换成", "换一双", "换一台", "换码")),
    ("resend", ("补发", "补寄", "重新发", "再发", "重发", "再寄", "重新寄", "发个好的", "发一个好的", "寄个好的",
                "发个新的", "寄个新的", "补给我", "补一个")),
    ("compensation", ("补偿", "赔偿", "赔钱", "赔", "优惠券补偿", "红包", "三倍", "假一赔")),
    ("repair", ("维修", "修好", "修一下", "保修", "修理", "返修")),
    ("expedite", ("催发货", "加急", "催一下", "赶紧发", "尽快发", "快点发", "催", "发出来", "早点发", "马上发",
                  "尽快送", "快点送", "赶紧送", "务必送到", "尽快处理", "快点处理", "尽快给我")),
    ("explanation", ("说法", "道歉", "解释", "交代", "怎么回事给个", "给我个答复", "给个答复", "合理的解释")),
    ("other", ("其他", "别的", "随便", "看着办")),
)


def normalise_expectation(value: str | None) -> str | None:
    """Maps a canonical key, a Chinese label or a free-text wish to a canonical expectation."""
    if not value:
        return None
    text = value.strip().lower()
    if text in EXPECTATIONS:
        return text
    for key, label in EXPECTATIONS.items():
        if text == label:
            return key
    # The wish mentioned last wins ("不退款了，换货吧"), and a refused one never counts.
    matches = [(match, key) for key, words in _EXPECTATION_WORDS for word in words
               for match in re.finditer(re.escape(word), text)]
    # A refused wish ("不是退货退款") also silences the shorter words inside it (退款).
    refused = [m.span() for m, _ in matches if _NEGATION.search(text[max(0, m.start() - 3):m.start()])]
    best: tuple[tuple[int, ...], str] | None = None
    for match, key in matches:
        if any(start <= match.start() and match.end() <= end for start, end in refused):
            continue
        # A real wish beats the vague ones ("赔偿损失，别跟我扯别的"); then the last mentioned, then
        # the most specific.
        rank = (key != "other", match.end(), len(match.group(0)))
        if best is None or rank > best[0]:
            best = (rank, key)
    if best and best[1] == "refund" and not _ONLY_REFUND.search(text) and any(
            key == "return_refund" and not any(s <= m.start() and m.end() <= e for s, e in refused)
            for m, key in matches):
        return "return_refund"  # "东西我寄回去，你们把钱退了": sending it back and a refund
    if best:
        return best[1]
    return _softer_wish(text)


# Wishes said without the usual words (checked only when none of the words above matched):
# a request form around a verb ("换个尺码吧", "给我寄个新的", "能修吗", "快点给我处理") — and, for a
# request that names none of these ("麻烦你们给我查一下", "希望…"), the catch-all "other".
_SOFT_WISHES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("exchange", re.compile(r"换(一下|成|个|件|双|台|码|尺码|颜色|大一号|小一号)|能换吗|可以换吗|想换")),
    ("resend", re.compile(r"(再|重新|给我)(寄|发)(一|个|过来|回来)|补上|补给我|寄过来")),
    ("repair", re.compile(r"(能|可以|怎么|给我|帮我|上门)修")),
    ("refund", re.compile(r"钱(退|还|返)|退(我|给我)|把钱|退回(来|去)?吧")),
    ("expedite", re.compile(r"(快点|赶紧|尽快|早点|抓紧|马上)(给我)?(发|送|处理|安排|解决|弄)"
                            r"|(今天|明天|后天|今晚|周[一二三四五六日天]|\d{1,2}号)(之前|前)?"
                            r"(要|得|必须|一定|务必|能不能)(送到|到货|到|送|发)"
                            r"|(最晚|最迟)\S{0,4}(送到|到货|到|发出|发货|发)")),
    ("other", re.compile(r"(希望|要求|麻烦你们|请你们|你们(必须|得|赶紧|给我))\S{2,}")),
)


def _softer_wish(text: str) -> str | None:
    for key, pattern in _SOFT_WISHES:
        match = pattern.search(text)
        if match and not _NEGATION.search(text[max(0, match.start() - 3):match.start()]):
            return key
    return None


_ONLY_REFUND = re.compile(r"(仅|只|光)退(款|钱)|不用退货|不退货|不寄回")


_NEGATION = re.compile(r"(不要|不想|不用|不需要|不是|别|不)$")


# What the bot's own buttons and summary call each issue type, as customers type it back:
# "问题不是包裹破损丢件，是错发漏发".
_ISSUE_NAMES: tuple[tuple[str, str], ...] = tuple(sorted(
    [(issue.label, key) for key, issue in ISSUE_TYPES.items()] + [
        ("商品质量问题", "product_quality"), ("错发/漏发", "wrong_or_missing_item"),
        ("错发", "wrong_or_missing_item"), ("漏发", "wrong_or_missing_item"), ("物流太慢", "logistics_delay"),
        ("包裹破损/丢件", "package_damaged_or_lost"), ("售后/退款", "after_sales_refund"), ("缺货", "out_of_stock"),
        ("货不对板", "not_as_described")],
    key=lambda pair: -len(pair[0])))


def issue_type_named_in(text: str | None) -> str | None:
    """The issue type a message names by its label ("是错发漏发", "改成物流延误"): the last one
    named that is not refused ("不是质量问题"); None when no label is named."""
    if not text:
        return None
    found: list[tuple[int, int, str]] = []
    taken: list[tuple[int, int]] = []
    for name, key in _ISSUE_NAMES:  # longest names first; a shorter name inside a longer one is the same mention
        for match in re.finditer(re.escape(name), text):
            if any(s <= match.start() < e for s, e in taken):
                continue
            taken.append(match.span())
            if not _NEGATION.search(text[max(0, match.start() - 3):match.start()]):
                found.append((match.end(), len(name), key))
    return max(found)[2] if found else None


def normalise_issue_type(value: str | None) -> str | None:
    """Maps a canonical key, an intent name or a Chinese label to a canonical issue type."""
    if not value:
        return None
    text = value.strip()
    if text in ISSUE_TYPES:
        return text
    if text in _INTENT_TO_ISSUE:
        return _INTENT_TO_ISSUE[text]
    for key, issue in ISSUE_TYPES.items():
        if text == issue.label:
            return key
    return None
