"""Shared pieces of the action server: settings (loaded once) and small tracker helpers.

What the customer reads is not here: actions send domain.yml responses by name
(`dispatcher.utter_message(response="utter_x", name=value)`), and Rasa fills `{name}` in.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any

from rasa_sdk import Tracker

from bot.config import Settings, load_settings


@lru_cache(maxsize=1)
def settings() -> Settings:
    return load_settings()


def latest_text(tracker: Tracker) -> str:
    return (tracker.latest_message or {}).get("text") or ""


def latest_intent(tracker: Tracker) -> tuple[str | None, float]:
    intent = (tracker.latest_message or {}).get("intent") or {}
    return intent.get("name"), float(intent.get("confidence") or 0.0)


def customer_texts(tracker: Tracker) -> list[str]:
    """Everything the customer typed in this conversation (button payloads excluded)."""
    texts = []
    for event in tracker.events:
        if event.get("event") == "user":
            text = event.get("text") or ""
            if text and not text.startswith("/"):
                texts.append(text)
    return texts


def customer_ref(tracker: Tracker) -> str | None:
    """The shop's verified customer id, when the bot service passed one in the metadata."""
    metadata: dict[str, Any] = tracker.get_slot("session_started_metadata") or {}
    latest = (tracker.latest_message or {}).get("metadata") or {}
    return latest.get("customer_ref") or metadata.get("customer_ref")


def template_safe(value: str) -> str:
    """A value for a response's `{placeholder}` that Rasa 3.6 fills as given. Its interpolator
    gives up on the whole text (the customer would read "{issue}") when the filled text contains
    "0[", which customer words quoted back can ("买了10[件]"); a full-width bracket reads the same."""
    return value.replace("0[", "0［")
