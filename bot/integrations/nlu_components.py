"""Rasa NLU components of this project (listed in config.yml; Rasa imports it from the project root).

`WordlessFallback`: a message of punctuation only ("？？？", "。。。", "……") or a kaomoji says nothing the
assistant could act on, yet DIET gives it some intent with confidence (seen: "？" → affirm 0.94,
"？？？" → a quality complaint). Such messages become `nlu_fallback`, so the customer is asked to
say it in words instead of having a guess acted on. Emoji keep the classifier's reading ("👍" is
a yes in Chinese chat); button payloads ("/intent") are left alone.
"""
from __future__ import annotations

import unicodedata
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.training_data.message import Message

FALLBACK = "nlu_fallback"
_SYMBOLS = set("~^`|+=<>$")


def is_wordless(text: str | None) -> bool:
    """True for text made only of punctuation, a few keyboard symbols and spaces."""
    text = text or ""
    if not text.strip() or text.startswith("/"):
        return False
    if all(unicodedata.category(c)[0] in "PZ" or c in _SYMBOLS or c.isspace() for c in text):
        return True
    # A kaomoji ("ฅ^•ﻌ•^ฅ") has letters of other scripts but no Chinese, no Latin letter or digit
    # and no emoji: nothing a shop could act on either.
    return not any(_is_han(c) or unicodedata.category(c) in ("Nd", "So") or _is_latin(c) for c in text)


def _is_latin(char: str) -> bool:
    return (char.isascii() and char.isalpha()) or "\uff21" <= char <= "\uff3a" or "\uff41" <= char <= "\uff5a"


def _is_han(char: str) -> bool:
    return "\u3400" <= char <= "\u9fff" or "\uf900" <= char <= "\ufaff" or "\U00020000" <= char <= "\U0002ffff"


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class WordlessFallback(GraphComponent):
    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> WordlessFallback:
        return cls()

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            if not is_wordless(message.get("text")):
                continue
            intent = message.get("intent") or {}
            if intent.get("name") == FALLBACK:
                continue
            ranking = [r for r in message.get("intent_ranking") or [] if r.get("name") != FALLBACK]
            message.set("intent", {"name": FALLBACK, "confidence": 1.0}, add_to_output=True)
            message.set("intent_ranking", [{"name": FALLBACK, "confidence": 1.0}, *ranking], add_to_output=True)
        return messages


HANDOFF_INTENT = "request_human"
CANCEL_INTENT = "cancel"


def _set_intent(message: Message, name: str, ranking: list[dict[str, Any]]) -> None:
    rest = [r for r in ranking if r.get("name") != name]
    message.set("intent", {"name": name, "confidence": 1.0}, add_to_output=True)
    message.set("intent_ranking", [{"name": name, "confidence": 1.0}, *rest], add_to_output=True)


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class ExplicitCommands(GraphComponent):
    """Only explicit words destroy (issue 11, bot.domain.dialogue): 转人工/人工/真人/找你们领导
    anywhere is a hand-off request whatever else the message says ("个人" is not); `cancel` stands
    for a withdrawal of the complaint ("不投诉了" always is one) — a question ("需要订单号吗") or
    cancelling the order takes the next reading instead."""

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> ExplicitCommands:
        return cls()

    def process(self, messages: list[Message]) -> list[Message]:
        from bot.domain.dialogue import (
            cancel_is_misread,
            closing_not_cancel,
            is_cancel_registration,
            is_handoff_request,
        )

        for message in messages:
            text = message.get("text") or ""
            if not text or text.startswith("/"):
                continue
            intent = (message.get("intent") or {}).get("name")
            ranking = list(message.get("intent_ranking") or [])
            if is_handoff_request(text):
                _set_intent(message, HANDOFF_INTENT, ranking)
            elif is_cancel_registration(text):
                _set_intent(message, CANCEL_INTENT, ranking)
            elif intent == CANCEL_INTENT and closing_not_cancel(text):
                # "不用了 谢谢" ends the chat: the form files the record as it stands (issue 11).
                _set_intent(message, "thank" if "谢" in text else "goodbye", ranking)
            elif intent == CANCEL_INTENT and cancel_is_misread(text):
                rest = [r for r in ranking if r.get("name") != CANCEL_INTENT]
                best = rest[0] if rest else {"name": FALLBACK, "confidence": 1.0}
                message.set("intent", dict(best), add_to_output=True)
                message.set("intent_ranking", rest, add_to_output=True)
        return messages
