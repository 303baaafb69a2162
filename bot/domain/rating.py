"""Satisfaction ratings (1–5 分) in the customer's own words: one parser for both processes.

- `parse_rating(text)`: the bot service reads every chat message after a resolved ticket, so only
  a clear answer counts — a button payload, "4分 处理得很快", "非常满意" — and "3天了还没发货" is a
  complaint, not a 3. Returns (score, comment).
- `rating_from(text, entity_value)`: the action server runs once the NLU has recognised a rating
  (intent `rate`), so the `rating` entity counts first and then a score anywhere in the message
  ("给5分吧", "很满意 5分"); a rating word right after a negation ("不是很好") does not.

Both read the same vocabulary and the same button payload (`rating_payload`).
"""
from __future__ import annotations

import re
from typing import Any

SCORES = (5, 4, 3, 2, 1)  # the order the buttons are offered in
_FULL_WIDTH = str.maketrans("１２３４５", "12345")
_PAYLOAD = re.compile(r'^/rate\s*\{\s*"rating"\s*:\s*"?([1-5])"?\s*\}\s*$')
# A score first, then nothing or a separator and a comment: "5", "4分", "５分！", "3分，一般般".
_LEADING_SCORE = re.compile(r"^\s*([1-5１-５])\s*(?:分|星|颗星)?\s*(?:$|[\s，,。.！!、:：;；~～]+(.*)$)", re.DOTALL)
_SCORE_ANYWHERE = re.compile(r"([1-5１-５])\s*(分|星)?")
# Longest first: "非常不满意" must win over "不满意", which must win over "满意".
WORDS: tuple[tuple[str, int], ...] = tuple(sorted((
    ("非常不满意", 1), ("非常满意", 5), ("很不满意", 1), ("不满意", 2), ("很满意", 5), ("满意", 4),
    ("太差", 1), ("很差", 1), ("一般", 3), ("还行", 3), ("还可以", 4), ("很好", 5)), key=lambda w: -len(w[0])))
_NEGATED = re.compile(r"(不|没|别)[是太很算]?$")
MAX_WORD_ANSWER_CHARS = 30  # a longer message that starts with "满意" is more than a rating


def rating_payload(score: int) -> str:
    """What a rating button sends (and what both parsers read back)."""
    return f'/rate{{"rating": {score}}}'


def parse_rating(text: str) -> tuple[int | None, str | None]:
    """(score, comment) of a clear rating answer; else (None, None). Strict on purpose."""
    text = (text or "").strip()
    match = _PAYLOAD.match(text)
    if match:
        return int(match.group(1)), None
    match = _LEADING_SCORE.match(text)
    if match:
        comment = (match.group(2) or "").strip()
        return int(match.group(1).translate(_FULL_WIDTH)), comment or None
    if len(text) <= MAX_WORD_ANSWER_CHARS:
        for word, score in WORDS:
            if text.startswith(word):
                return score, (text if len(text) > len(word) + 1 else None)
    return None, None


def rating_from(text: str, entity_value: Any = None) -> int | None:
    """The score of a message the NLU already took for a rating: the entity, a 1–5 anywhere, a
    rating word anywhere (not negated); None when there is none (ask again)."""
    if isinstance(entity_value, int | float) and 1 <= int(entity_value) <= 5:
        return int(entity_value)
    text = text or ""
    match = _SCORE_ANYWHERE.search(text)
    if match:
        return int(match.group(1).translate(_FULL_WIDTH))
    for word, score in WORDS:
        start = text.find(word)
        while start >= 0:
            if not _NEGATED.search(text[max(0, start - 2):start]):
                return score
            start = text.find(word, start + 1)
    return None
