"""Shared pieces of the action server: settings (loaded once) and small tracker helpers.

What the customer reads is not here: actions send domain.yml responses by name
(`dispatcher.utter_message(response="utter_x", name=value)`), and Rasa fills `{name}` in.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from rasa_sdk import Tracker

from bot.config import Settings, load_settings
from bot.domain.identity import CONVERSATION_SIGNATURE, verify_conversation


@lru_cache(maxsize=1)
def settings() -> Settings:
    return load_settings()


def latest_text(tracker: Tracker) -> str:
    return (tracker.latest_message or {}).get("text") or ""


def latest_intent(tracker: Tracker) -> tuple[str | None, float]:
    intent = (tracker.latest_message or {}).get("intent") or {}
    return intent.get("name"), float(intent.get("confidence") or 0.0)


def previous_value(tracker: Tracker, slot: str) -> Any:
    """The slot's value before the latest user message (the tracker already holds the new one)."""
    events = tracker.events
    last_user = max((i for i, e in enumerate(events) if e.get("event") == "user"), default=len(events))
    value = None
    for event in events[:last_user]:
        if event.get("event") == "slot" and event.get("name") == slot:
            value = event.get("value")
        if event.get("event") == "restart":
            value = None
    return value


def customer_texts(tracker: Tracker) -> list[str]:
    """Everything the customer typed in this conversation (button payloads excluded)."""
    texts = []
    for event in tracker.events:
        if event.get("event") == "user":
            text = event.get("text") or ""
            if text and not text.startswith("/"):
                texts.append(text)
    return texts


@dataclass(frozen=True)
class Customer:
    """Who the latest message is from, as the bot service signed it."""
    session_id: str
    customer_ref: str | None


def signed_customer(tracker: Tracker) -> Customer | None:
    """The sender and customer id of the latest message when the bot service signed exactly those
    (bot.domain.identity); None for anything else: a tracker posted by someone else, a message
    sent to Rasa's REST channel directly, a signature made for another session or customer.

    Only the latest message counts: `session_started_metadata` holds the signature of the
    session's first message, which anyone who posts to Rasa as that sender would inherit."""
    metadata = (tracker.latest_message or {}).get("metadata") or {}
    if not isinstance(metadata, dict):
        return None
    ref = metadata.get("customer_ref") or None
    if not verify_conversation(settings().identity_secret, tracker.sender_id, ref,
                               metadata.get(CONVERSATION_SIGNATURE)):
        return None
    return Customer(tracker.sender_id, ref)


def customer_ref(tracker: Tracker) -> str | None:
    """The shop's verified customer id, only when the bot service signed it for this session."""
    customer = signed_customer(tracker)
    return customer.customer_ref if customer else None


def template_safe(value: str) -> str:
    """A value for a response's `{placeholder}` that Rasa 3.6 fills as given. Its interpolator
    gives up on the whole text (the customer would read "{issue}") when the filled text contains
    "0[", which customer words quoted back can ("买了10[件]"); a full-width bracket reads the same."""
    return value.replace("0[", "0［")
