"""Triage of one customer message: priority, risk flags and the reasons an agent can read.

- **urgent**: the customer mentions a regulator (12315, 消协, 市场监管 …), a platform dispute
  (平台介入), legal steps (律师, 起诉 …), media exposure (曝光, 记者, 微博 …), counterfeits (假货 …)
  or physical harm (烫伤, 过敏, 漏电, 起火 …).
- **high**: strong anger, a bad-review threat, repeated contact, or time pressure: the customer
  says it is urgent (很急, 急用, 赶时间 …) or states a deadline (明天务必送到, X号的飞机, 周五前;
  bot.domain.deadlines). Negated urgency (不急, 不着急, 别着急) does not count.
- **normal**: everything else.

Risk flags are stable English codes (`regulator`, `platform_dispute`, `legal`,
`media_exposure`, `counterfeit`, `safety`, `anger`, `bad_review_threat`, `repeat_contact`,
`time_pressure`);
tickets, filters and statistics store them, so never rename one.

Negation is deliberately simple. A counterfeit, legal or regulator word counts even when
negated or asked about: "不是假货吧" still means the customer suspects a fake, and an agent
should see it. Only harm words check for a 没有/没/不 right before them ("没有过敏", "没受伤",
"不过敏"), because customers often reassure ("孩子没有烫伤，但是…") and a false urgent ticket
costs an agent's attention. Anything longer ("没去医院", "不会过敏吧") still flags: erring towards a
human look is the cheap mistake here.

A few words that are also everyday shop words are excluded by their neighbours: 工商银行 (a
bank), 多媒体 (a product), 曝光不足/过度/补偿 (camera settings), 垃圾袋/垃圾桶 and 报警器 (products),
一星期 (a week, not a one-star review). 12315 inside a longer number (an order number) is not
a hotline.

Repeated contact means the customer already asked before (又, 第三次, 说了多少遍); a bare 还没
("还没发货") only describes a delay and is not counted, or most delay complaints would be high.
又 counts unless it is the descriptive 又…又… pair ("又大又重").

Runs on every message, so every pattern is compiled once at import.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from bot.domain.deadlines import find_customer_deadline

PRIORITY_ORDER = {"urgent": 0, "high": 1, "normal": 2}

URGENT_FLAGS = ("regulator", "platform_dispute", "legal", "media_exposure", "counterfeit", "safety")
HIGH_FLAGS = ("anger", "bad_review_threat", "repeat_contact", "time_pressure")
# Set by the bot service, never found in text: the assistant was down, a person must sort this one.
SYSTEM_FLAGS = ("needs_triage",)

# Chinese labels for the reasons shown to agents.
FLAG_LABELS_ZH = {
    "regulator": "提到监管部门",
    "platform_dispute": "要求平台介入",
    "legal": "提到法律途径",
    "media_exposure": "威胁曝光",
    "counterfeit": "怀疑假货",
    "safety": "人身安全",
    "anger": "情绪激动",
    "bad_review_threat": "威胁差评",
    "repeat_contact": "重复联系",
    "time_pressure": "顾客着急",
    "needs_triage": "待人工分拣（助手离线时收到）",
}

_NOT_DIGIT_BEFORE, _NOT_DIGIT_AFTER = r"(?<!\d)", r"(?!\d)"
# A harm word right after one of these is negated ("没有过敏"). Python lookbehinds need a fixed
# width, hence one per negation word.
_NOT_NEGATED = r"(?<!没有)(?<!没)(?<!不)"

_KEYWORD_PATTERNS: dict[str, str] = {
    "regulator": (
        rf"{_NOT_DIGIT_BEFORE}12315{_NOT_DIGIT_AFTER}"
        r"|消协|消费者协会|市场监管|市场监督|市监局|工商(?!银行)"),
    "platform_dispute": r"平台介入|小二介入|申请介入|官方介入|找平台|投诉到平台",
    "legal": r"律师|起诉|法院|诉讼|打官司|报警(?!器|灯)|法律途径",
    "media_exposure": r"曝光(?!不足|过度|补偿|时间|度)|(?<!多)媒体|记者|微博|发到网上|发网上",
    "counterfeit": r"假货|假冒|仿品|高仿|山寨",
    "safety": _NOT_NEGATED + r"(?:烫伤|烧伤|过敏|漏电|触电|起火|着火|爆炸|受伤|流血|中毒|送医|医院)",
    "bad_review_threat": r"差评|(?:一|(?<!\d)1)星(?!期)|投诉你们|投诉你|投诉到底",
    "repeat_contact": (
        r"又|第(?:[三四五六七八九十几]|[3-9]|\d{2,})次|说了多少遍|多少遍|好几遍|好几次|无数次|"
        r"再三|还是没"),
}
_KEYWORDS = {flag: re.compile(pattern) for flag, pattern in _KEYWORD_PATTERNS.items()}

# "It is urgent" in the customer's words; 不急/不着急/别着急/不用急 are not. A deadline counts too
# (urgency_cues adds it).
_URGENCY = re.compile(
    r"(?<!不)(?<!不用)(?<!别)(?<!不太)(?<!没那么)"
    r"(?:很急|真急|太急|挺急|蛮急|超急|比较急|非常急|特别急|好急|着急|急死|急用|急需|急着|急急|十万火急|火急|加急|"
    r"赶时间|等着用|赶着用|来不及|赶不上)"
    r"|^\s*急[!！。.~～]*\s*$")

# "又大又重" describes a product; only a lone 又 ("又没发货") hints at a repeated contact.
_YOU_PAIR = re.compile(r"又[^又，。！？,.!?\s]{1,4}又")

_PROFANITY = re.compile(
    r"垃圾(?!袋|桶|分类|篓|箱)|骗子|坑人|坑爹|恶心|什么玩意|破玩意|黑心|奸商|无良|他妈|妈的|傻逼|"
    r"(?<![A-Za-z])(?:wtf|fuck[a-z]*|shit|scam[a-z]*|bullshit)(?![A-Za-z])",
    re.IGNORECASE)
_ANGRY_EMOJI = re.compile("[\U0001F621\U0001F92C\U0001F4A2\U0001F620\U0001F624\U0001F47F]")
_EXCLAMATION = re.compile(r"[!！]")
EXCLAMATION_THRESHOLD = 3
# Shouting: three or more all-caps words in a row ("THIS IS A SCAM"). One or two caps words are
# usually brands or sizes (HUAWEI, USB, XL) and stay calm.
_CAPS_RUN = re.compile(r"(?<![A-Za-z])[A-Z]+(?:[\s,.!?]+[A-Z]+)+(?![A-Za-z])")
REPEAT_CONTACTS_THRESHOLD = 2


@dataclass(frozen=True)
class Triage:
    priority: str
    risk_flags: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)


def triage(text: str, *, repeat_contacts: int = 0) -> Triage:
    """Priority, risk flags (in a fixed order) and Chinese reasons for one message.

    `repeat_contacts` is how many times this customer already contacted the shop about the
    same matter; two or more makes the case high.
    """
    # NFKC turns full-width digits and letters (１２３１５, ＷＴＦ) into the plain ones the
    # patterns expect; full-width ！ becomes ! too.
    normalised = unicodedata.normalize("NFKC", text or "")
    found: dict[str, list[str]] = {}

    for flag, pattern in _KEYWORDS.items():
        haystack = _YOU_PAIR.sub("", normalised) if flag == "repeat_contact" else normalised
        words = _unique(m.group(0) for m in pattern.finditer(haystack))
        if words:
            found[flag] = words

    anger = _unique(m.group(0) for m in _PROFANITY.finditer(normalised))
    anger += _unique(m.group(0) for m in _ANGRY_EMOJI.finditer(normalised))
    exclamations = len(_EXCLAMATION.findall(normalised))
    if exclamations >= EXCLAMATION_THRESHOLD:
        anger.append(f"{exclamations} 个感叹号")
    if any(_is_shouting(m.group(0)) for m in _CAPS_RUN.finditer(normalised)):
        anger.append("全大写英文")
    if anger:
        found["anger"] = anger
    hurry = urgency_cues(text)
    if hurry:
        found["time_pressure"] = hurry

    if repeat_contacts >= REPEAT_CONTACTS_THRESHOLD:
        found.setdefault("repeat_contact", []).insert(0, f"此前已联系 {repeat_contacts} 次")

    flags = [flag for flag in (*URGENT_FLAGS, *HIGH_FLAGS) if flag in found]
    reasons = [f"{FLAG_LABELS_ZH[flag]}：{'、'.join(found[flag])}" for flag in flags]
    if any(flag in URGENT_FLAGS for flag in flags):
        priority = "urgent"
    elif flags:
        priority = "high"
    else:
        priority = "normal"
    return Triage(priority=priority, risk_flags=flags, reasons=reasons)


def urgency_cues(text: str) -> list[str]:
    """The words that say the customer is in a hurry: urgency (很急, 急用 …) and a stated deadline
    (明天务必送到, X号的飞机 …), in order of appearance, each once."""
    normalised = unicodedata.normalize("NFKC", text or "")
    cues = [m.group(0).strip() for m in _URGENCY.finditer(normalised)]
    deadline = find_customer_deadline(text or "")
    return _unique([*cues, *(deadline.split("；") if deadline else [])])


def _is_shouting(run: str) -> bool:
    # "I" and "A" are words but not shouting on their own; count the longer ones.
    return sum(1 for word in re.findall(r"[A-Z]+", run) if len(word) >= 2) >= 3


def _unique(items) -> list[str]:
    return list(dict.fromkeys(items))


def max_priority(*priorities: str) -> str:
    """The most urgent of several priorities (e.g. a ticket's and a new message's)."""
    return min(priorities, key=PRIORITY_ORDER.__getitem__)
