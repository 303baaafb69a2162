"""Satisfaction ratings (1–5 分) in the customer's own words: one parser for both processes.

- `parse_rating(text)`: the bot service reads every chat message after a resolved ticket, so only
  a clear answer counts — a button payload, "4分 处理得很快", "非常满意" — and "3天了还没发货" is a
  complaint, not a 3. Returns (score, comment).
- `rating_from(text, entity_value)`: the action server runs once the NLU has recognised a rating
  (intent `rate`), so the `rating` entity counts first and then a score anywhere in the message
  ("给5分吧", "很满意 5分"); a rating word right after a negation ("不是很好") does not.

- `parse_correction(text)`: "点错了" / "改成5分" / "刚才点错了，应该是5分" right after a rating:
  (True, score) or (True, None) when the new score is not said yet; (False, None) otherwise.

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
_MISTAKE = re.compile(r"(点错|按错|选错|评错|打错|手滑|重新评|改一下评)")  # a correction even without a score
_CHANGE_TO = re.compile(r"(改成|改为|换成|应该是|应该给|其实是|想给)")  # a correction only with the new score
_CN_DIGITS = str.maketrans("一二三四五", "12345")
_SCORE_WITH_UNIT = re.compile(r"([1-5１-５一二三四五])\s*(?:分|星|颗星)")
_BARE_SCORE = re.compile(r"(?<![0-9])([1-5１-５])(?![0-9])")


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


def parse_correction(text: str) -> tuple[bool, int | None]:
    """Whether the customer corrects the rating they just gave, and the new score if they said it
    ("点错了，应该是5分" → (True, 5); "点错了" → (True, None); "5分" → (False, None))."""
    text = (text or "").strip()
    mistake, change = _MISTAKE.search(text), _CHANGE_TO.search(text)
    if len(text) > MAX_WORD_ANSWER_CHARS or not (mistake or change):
        return False, None
    match = _SCORE_WITH_UNIT.search(text) or _BARE_SCORE.search(text)
    if match:
        return True, int(match.group(1).translate(_FULL_WIDTH).translate(_CN_DIGITS))
    for word, score in WORDS:
        start = text.find(word)
        if start >= 0 and not _NEGATED.search(text[max(0, start - 2):start]):
            return True, score
    return (True, None) if mistake else (False, None)
