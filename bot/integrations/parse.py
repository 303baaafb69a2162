"""One message understood: the trained Rasa NLU plus the shop's own rules, as one JSON object.

Used by `python -m bot parse`, the NLU evaluation and the benchmarks. The model is loaded once
per process (about ten seconds: TensorFlow), then each parse takes milliseconds.
"""
from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from bot.domain.orders import find_order_number, is_personal_number, normalise_order_number
from bot.domain.taxonomy import ISSUE_TYPES, category_of, is_complaint_intent, issue_type_for_intent, normalise_expectation
from bot.domain.triage import triage

FALLBACK_INTENT = "nlu_fallback"


@lru_cache(maxsize=2)
def _agent(model_path: str):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    logging.getLogger("rasa").setLevel(logging.ERROR)
    import structlog
    from rasa.core.agent import Agent

    # Rasa logs every parse at debug level through structlog; keep stdout for our JSON lines.
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))

    if not os.path.exists(model_path):
        raise FileNotFoundError(f"no trained model at {model_path}: run `make train` first")
    return Agent.load(model_path)


def issue_type_candidates(ranking: Iterable[dict[str, Any]], limit: int = 3) -> list[dict[str, Any]]:
    """The most likely issue types of a message, best first, with the classifier's probability
    of each: what the dialogue offers as buttons when it is unsure (issue 12)."""
    found = []
    for item in ranking:
        issue_type = issue_type_for_intent(item.get("name"))
        if issue_type and all(c["issue_type"] != issue_type for c in found):
            found.append({"issue_type": issue_type, "label": ISSUE_TYPES[issue_type].label,
                          "score": round(float(item.get("confidence") or 0.0), 4)})
    return found[:limit]


def understand(nlu: dict[str, Any], patterns: Iterable[str]) -> dict[str, Any]:
    """Turns Rasa's parse result into the shop's view of the message (pure; tested directly)."""
    text = nlu.get("text", "")
    ranking = nlu.get("intent_ranking") or [nlu.get("intent") or {}]
    best = next((i for i in ranking if i.get("name") != FALLBACK_INTENT), ranking[0] if ranking else {})
    intent = best.get("name")
    fallback = (nlu.get("intent") or {}).get("name") == FALLBACK_INTENT
    entities = nlu.get("entities") or []
    order_number = next((normalise_order_number(e["value"]) for e in entities
                         if e.get("entity") == "order_number" and isinstance(e.get("value"), str)
                         and not is_personal_number(normalise_order_number(e["value"]))), None)
    order_number = find_order_number(text, tuple(patterns)) or order_number
    expectation = next((normalise_expectation(str(e.get("value"))) for e in entities
                        if e.get("entity") == "expectation"), None)
    if expectation is None and (is_complaint_intent(intent) or intent == "inform"):
        expectation = normalise_expectation(text)
    issue_type = issue_type_for_intent(intent)
    candidates = issue_type_candidates(ranking)
    risk = triage(text)
    return {
        "text": text,
        "is_complaint": is_complaint_intent(intent),
        "intent": intent,
        "confidence": round(float(best.get("confidence") or 0.0), 4),
        "fallback": fallback,
        "issue_type": issue_type,
        "issue_type_confidence": round(float(best.get("confidence") or 0.0), 4) if issue_type else None,
        "issue_type_candidates": candidates,
        "category": category_of(issue_type),
        "expectation": expectation,
        "order_number": order_number,
        "priority": risk.priority,
        "risk_flags": risk.risk_flags,
    }


async def parse_texts_async(texts: list[str], model_path: str | None = None,
                            patterns: Iterable[str] | None = None) -> list[dict[str, Any]]:
    from bot.config import load_settings

    settings = load_settings()
    agent = _agent(model_path or settings.model_path)
    pattern_list = tuple(patterns or settings.order_number_patterns)
    results = []
    for text in texts:
        nlu = await agent.parse_message(text)
        results.append(understand(nlu, pattern_list))
    return results


def parse_texts(texts: list[str], model_path: str | None = None) -> list[dict[str, Any]]:
    """Synchronous entry point (scripts, evaluation, benchmarks)."""
    return asyncio.run(parse_texts_async(list(texts), model_path))
