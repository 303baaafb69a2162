"""The conversation log: every chat message of every session, customer, assistant, agent or system.

Mixed into `Store` (bot.store.db). Messages are appended, never changed; listeners registered with
`on_message` see each one after it is committed (the desk's live view).
"""
from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import select

from bot.store import schema

log = logging.getLogger(__name__)

MessageItem = tuple[str, str, list[dict] | None, dict[str, Any] | None]  # sender, text, buttons, meta


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def _message_dict(row) -> dict:
    return {
        "id": row["id"], "sender": row["sender"], "text": row["text"],
        "buttons": json.loads(row["buttons"]) if row["buttons"] else [],
        "meta": json.loads(row["meta"]) if row["meta"] else {},
        "created_at": row["created_at"].replace(tzinfo=timezone.utc).isoformat(),
    }


class ConversationStore:
    """Chat-message methods of `Store`; needs `self.engine` and `self._message_listeners`."""

    engine: Any
    _message_listeners: list[Callable[[str, dict], None]]

    def on_message(self, listener: Callable[[str, dict], None]) -> None:
        """Calls `listener(session_id, message)` after each `append_message` (the desk's live view
        of customer and bot messages); a failing listener is logged, never the caller's problem."""
        self._message_listeners.append(listener)

    def append_message(self, session_id: str, sender: str, text: str,
                       buttons: list[dict] | None = None, meta: dict[str, Any] | None = None) -> int:
        return self.append_messages(session_id, [(sender, text, buttons, meta)])[0]

    def append_messages(self, session_id: str, items: list[MessageItem]) -> list[int]:
        """Stores (sender, text, buttons, meta) messages in one transaction; returns their ids."""
        created_at = utcnow()
        ids: list[int] = []
        with self.engine.begin() as conn:
            for sender, text, buttons, meta in items:
                result = conn.execute(schema.chat_messages.insert().values(
                    session_id=session_id, sender=sender, text=text,
                    buttons=json.dumps(buttons, ensure_ascii=False) if buttons else None,
                    meta=json.dumps(meta, ensure_ascii=False) if meta else None,
                    created_at=created_at))
                ids.append(int(result.inserted_primary_key[0]))
        for message_id, (sender, text, buttons, meta) in zip(ids, items, strict=True):
            if not self._message_listeners:
                break
            message = {"id": message_id, "sender": sender, "text": text, "buttons": buttons or [], "meta": meta or {},
                       "created_at": created_at.replace(tzinfo=timezone.utc).isoformat()}
            for listener in self._message_listeners:
                try:
                    listener(session_id, message)
                except Exception:  # noqa: BLE001 - a live view must never lose a customer's message
                    log.exception("message listener failed")
        return ids

    def list_messages(self, session_id: str, after_id: int = 0, limit: int = 500) -> list[dict]:
        table = schema.chat_messages
        query = (select(table).where(table.c.session_id == session_id, table.c.id > after_id)
                 .order_by(table.c.id).limit(limit))
        with self.engine.connect() as conn:
            rows = conn.execute(query).mappings().all()
        return [_message_dict(row) for row in rows]

    def customer_texts(self, session_id: str, limit: int = 200) -> list[str]:
        """What the customer typed in a session, oldest first (for triage of the whole conversation)."""
        m = schema.chat_messages
        query = (select(m.c.text).where(m.c.session_id == session_id, m.c.sender == "customer")
                 .order_by(m.c.id).limit(limit))
        with self.engine.connect() as conn:
            return [row[0] for row in conn.execute(query)]

    def last_bot_message_kind(self, session_id: str) -> str | None:
        """The `kind` in the meta of the assistant's latest message in a session (e.g. `rating_thanks`)."""
        m = schema.chat_messages
        query = (select(m.c.meta).where(m.c.session_id == session_id, m.c.sender == "bot")
                 .order_by(m.c.id.desc()).limit(1))
        with self.engine.connect() as conn:
            meta = conn.execute(query).scalar()
        return json.loads(meta).get("kind") if meta else None
