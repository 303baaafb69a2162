"""Short answers to policy questions (七天无理由, 价保, 运费险, 退款到账 …) from the shop's FAQ file.

The entries come from `faq.yml` (bot.faq_file loads and checks it; this module does no I/O).
`match_faq(text, entries)` returns the best entry and its score when the message *asks* about its
topic, else None: a complaint that only mentions a topic ("运费险没赔我，太坑了", "保价申请被拒了")
is recorded, not answered with policy.

Score of one sentence (split at 。！？!? and new lines; the best sentence counts), 0..1:
- topic: the entry's first keyword group must match (else 0); 0.6 for it, plus 0.4 × the share of
  the other groups that match ("退款" + "多久");
- × 1.0 when the sentence asks something (？, 吗/呢 at the end or before a space, 怎么, 多久, 能不能,
  请问 …),
  × 0.45 when it does not;
- × 0.4 when it complains or accuses (还没, 一直没, 凭什么, 为什么, 怎么还, 拒绝, 不给, 只能, 坑, 发错 …):
  a "question" like "退款怎么还没到账" wants a person, not the policy. "还没发货" before a change
  or a cancellation ("还没发货能改吗", "还没发的话能取消吗") is the customer's condition, not a
  grievance: the customer's own mistake gets the cancel/change answer;
- then 0.9 × that + 0.1 × the character-bigram overlap with the entry's question, which breaks ties
  between neighbours ("发货后几天能到" is about delivery, not dispatch).
A pasted order card is left out first (bot.domain.orders.strip_order_card).

MATCH_THRESHOLD was measured on the paraphrases in tests/unit/test_faq.py (questions each entry
must answer, and complaints, statements and other questions it must not): every question to
answer scored ≥ 0.56 (the lowest: "我有运费险吗"), every other message ≤ 0.48 (the highest: the bare
"七天无理由退货"); the threshold sits in the middle of that gap. The test prints
the scores and fails when the gap closes.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot.domain.orders import strip_order_card

MATCH_THRESHOLD = 0.52
TOPIC_WEIGHT = 0.6
NOT_ASKED = 0.45
COMPLAINING = 0.4
QUESTION_SIMILARITY_WEIGHT = 0.1

_QUESTION = re.compile(
    r"[?？]|[吗嘛么呢]$|请问|怎么|怎样|如何|多久|几天|多长时间|什么时候|何时|能不能|可不可以|可以吗|行不行|是否|"
    r"有没有|哪里|在哪|哪儿|到哪|要不要|会不会|需不需要|需要吗|几号|几点|几年|谁出|谁承担|谁付|多少|流程|步骤|咋")
_COMPLAINT = re.compile(
    r"还没|还不|一直没|一直不|都没|凭什么|为什么|为啥|怎么还|怎么又|怎么都|到底|拒绝|拒了|被拒|不给|不让|不退|不发|不赔|"
    r"只能|太慢|太差|太坑|坑人|坑|骗|垃圾|差评|投诉|气死|无语|离谱|搞什么|什么玩意|不管|"
    r"发错|寄错|发成|没拍错|没选错|没点错|没买错")
# "Not shipped yet" as the condition of a change the customer asks for, not a complaint.
_NOT_YET_CONDITION = re.compile(
    r"还没(?:发货|发出|寄出|发|付款|付尾款|拆封|拆|穿|用)(?:的话|吧|呢)?(?=.{0,6}(?:改|取消|换|撤|拦截))")
_SENTENCES = re.compile(r"[^。！!？?\n]+[。！!？?]*")
_NOISE = re.compile(r"[\s,，、;；:：~～…\"'“”‘’()（）]+")


@dataclass(frozen=True)
class FaqEntry:
    """One question the shop answers the same way for everyone."""

    id: str
    question: str
    keywords: tuple[tuple[str, ...], ...]  # groups; the first is the topic
    answer: str


def _normalise(text: str) -> str:
    return _NOISE.sub("", unicodedata.normalize("NFKC", text or "")).lower()


def _bigrams(text: str) -> set[str]:
    return {text[i: i + 2] for i in range(len(text) - 1)} or ({text} if text else set())


def _similarity(a: str, b: str) -> float:
    """Dice coefficient of character bigrams."""
    x, y = _bigrams(a), _bigrams(b)
    return 2 * len(x & y) / (len(x) + len(y)) if x and y else 0.0


def _sentence_score(sentence: str, entry: FaqEntry) -> float:
    flat = _normalise(sentence)
    groups = [tuple(_normalise(w) for w in group if w) for group in entry.keywords]
    if not flat or not groups or not any(word and word in flat for word in groups[0]):
        return 0.0
    others = groups[1:]
    share = sum(1 for group in others if any(word and word in flat for word in group)) / len(others) if others else 1.0
    base = TOPIC_WEIGHT + (1 - TOPIC_WEIGHT) * share
    # Chat splits a question from its context with a space, not a "？": "还能退吗 今天第六天".
    asked = _QUESTION.search(flat) or re.search(r"[?？]|[吗嘛呢](?=\s)", sentence)
    base *= 1.0 if asked else NOT_ASKED
    if _COMPLAINT.search(_NOT_YET_CONDITION.sub("", flat)):
        base *= COMPLAINING
    similarity = _similarity(flat, _normalise(entry.question))
    return (1 - QUESTION_SIMILARITY_WEIGHT) * base + QUESTION_SIMILARITY_WEIGHT * similarity


def faq_score(text: str, entry: FaqEntry) -> float:
    """How well `text` asks `entry`'s question, 0..1 (the module docstring says how)."""
    cleaned = strip_order_card(text or "")
    return max((_sentence_score(m.group(0), entry) for m in _SENTENCES.finditer(cleaned)), default=0.0)


def match_faq(text: str, entries: Sequence[FaqEntry] | Iterable[FaqEntry],
              threshold: float = MATCH_THRESHOLD) -> tuple[FaqEntry, float] | None:
    """The entry `text` asks about and its score, when the best score reaches `threshold`; the
    earlier entry wins a tie."""
    best: tuple[FaqEntry, float] | None = None
    for entry in entries:
        score = faq_score(text, entry)
        if score >= threshold and (best is None or score > best[1]):
            best = (entry, score)
    return best
