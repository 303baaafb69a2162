"""The customer's own deadline ("明天务必送到", "周五前", "15号的飞机"), found in what they typed.

The ticket keeps the customer's words, not a computed date: "周五前" on a Thursday night and "X号
的飞机" (the corpus's anonymised day) mean something to the agent that a parsed date would hide.
`find_customer_deadline(text)` returns the clause(s) that state one, or None.

A clause states a deadline when it has a time ahead of us (今天/明天/后天/周五/下周一/月底/15号/
12月3日/[数字x]号 …) and one of:
- 前/之前/以前/为止/之内/以内 right after it ("周五前", "月底之前", "今天之内");
- a duration with 内 ("三天内给我答复", "48小时之内");
- a need ("务必", "必须", "一定要", "急用", "要用", "最晚", "最迟", "要到", "要收到" …);
- an event ("的飞机", "的高铁", "出发", "搬家", "结婚", "生日", "开学" …).

Not a deadline: the same words about the past ("15号下的单", "三天前买的": 前 after a duration is
"ago"), a question without a need or event in it ("明天能到吗" — the intake answers it), and a
shop rule quoted back ("说好48小时内发货", "7天内可以退吗").
"""
from __future__ import annotations

import re

from bot.domain.privacy import ascii_digits

MAX_CLAUSE_CHARS = 40
MAX_CLAUSES = 2

_NUMBER = r"(?:\d{1,2}|[一二三四五六七八九十两]{1,3}|[Xx]|\[数字\w{0,3}\])"
_WEEKDAY = r"[一二三四五六日天末]"
# A day ahead (or today). 前天/昨天/上周 are behind us and never listed.
_DAY = (rf"(?:今天|今晚|今日|明天|明早|明晚|明日|后天|大后天|"
        rf"(?:这|本|下下|下)?(?:周|星期|礼拜){_WEEKDAY}|(?:这|本|下)周|周末|"
        rf"月底|月初|月中|年底|年前|节前|过年前?|春节前?|国庆前?|元旦前?|"
        rf"(?:{_NUMBER}月)?{_NUMBER}[号日]|{_NUMBER}月份?(?:底|初|中)?)")
_DURATION = rf"(?:{_NUMBER}|几|半|一两|两三)个?(?:天|日|小时|钟头|周|星期|个月|工作日)"

_BEFORE = re.compile(rf"{_DAY}\s*(?:之前|以前|前|为止|之内|以内|内)")
_WITHIN = re.compile(rf"{_DURATION}\s*(?:之内|以内|内)")
_NEED = re.compile(r"务必|必须|一定要|一定得|急用|急需|要用|等着用|赶着用|最晚|最迟|要到|要收到|要送到|得到货|得送到|"
                   r"前到|之前到|前收到|前送到|前发|赶不上|来不及")
_EVENT = re.compile(r"的飞机|的航班|的高铁|的动车|的火车|的车票|出发|出国|回国|要走|就走|搬家|结婚|婚礼|生日|"
                    r"考试|开学|入职|开业|过年")
_DAY_ANYWHERE = re.compile(_DAY)
_PAST = re.compile(rf"{_DAY}\s*(?:下的单|下单|买的|拍的|付的款|付款|签收|发的货|发货的|到的|收到的|寄出|申请的|就)")
_QUESTION = re.compile(r"[吗嘛么呢][\s?？!！~～]*$|[?？]|能不能|可不可以|是不是|会不会|多久|什么时候|几时|几号")
_RULE_QUOTED = re.compile(r"说好|承诺|写着|写的|不是说|页面|规定|无理由|价保|保价|可以退|能退")
_CLAUSES = re.compile(r"[^，,。.!！?？;；\n~～…]+[?？]?")


def _deadline_in(clause: str) -> re.Match | None:
    """Where `clause` states a deadline (see the module docstring), or None."""
    strong = _NEED.search(clause) or _EVENT.search(clause)
    day = _DAY_ANYWHERE.search(clause)
    if strong and day:
        return day if day.start() < strong.start() else strong
    if _QUESTION.search(clause) or (_PAST.search(clause) and not strong):
        return None
    before = _BEFORE.search(clause)
    if before:
        return before
    within = _WITHIN.search(clause)
    if within and not _RULE_QUOTED.search(clause):
        return within
    return None


def _words_around(clause: str, match: re.Match) -> str:
    """The space-separated part of the clause around the deadline, at most MAX_CLAUSE_CHARS."""
    start = clause.rfind(" ", 0, match.start()) + 1
    end = clause.find(" ", match.end())
    words = clause[start: end if end >= 0 else len(clause)].strip()
    return words if len(words) <= MAX_CLAUSE_CHARS else clause[match.start(): match.start() + MAX_CLAUSE_CHARS]


def find_customer_deadline(text: str) -> str | None:
    """The customer's words for a deadline ("明天务必送到", "15号的飞机；周五前"), or None."""
    text = ascii_digits(text or "")
    found: list[str] = []
    for clause_match in _CLAUSES.finditer(text):
        clause = clause_match.group(0).strip()
        match = _deadline_in(clause)
        if match is None:
            continue
        words = _words_around(clause, match)
        if words and words not in found:
            found.append(words)
        if len(found) == MAX_CLAUSES:
            break
    return "；".join(found) or None
