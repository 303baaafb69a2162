"""Client for the Rasa server: the REST channel for chat, the tracker API for hand-off."""
from __future__ import annotations

import asyncio
from typing import Any

import aiohttp

from bot.domain.identity import CONVERSATION_SIGNATURE, sign_conversation


class RasaUnavailable(Exception):
    """Rasa did not answer in time or answered with an error."""


class RasaClient:
    def __init__(self, base_url: str, token: str = "", timeout: float = 10.0, identity_secret: str = ""):
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.identity_secret = identity_secret
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None

    async def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self.timeout)
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def send_message(self, session_id: str, text: str, metadata: dict[str, Any] | None = None) -> list[dict]:
        """Sends one customer message through the REST channel; returns the bot's replies.

        The metadata is signed for this session and its `customer_ref` (bot.domain.identity), so
        the action server can tell our messages from anyone else's; a signature the browser put
        there itself is replaced."""
        http = await self._http()
        metadata = {k: v for k, v in (metadata or {}).items() if k != CONVERSATION_SIGNATURE}
        if self.identity_secret:
            metadata[CONVERSATION_SIGNATURE] = sign_conversation(
                self.identity_secret, session_id, metadata.get("customer_ref"))
        body = {"sender": session_id, "message": text, "metadata": metadata}
        try:
            async with http.post(f"{self.base_url}/webhooks/rest/webhook", json=body) as response:
                if response.status != 200:
                    raise RasaUnavailable(f"Rasa answered HTTP {response.status}")
                payload = await response.json(content_type=None)
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as exc:
            raise RasaUnavailable(str(exc) or type(exc).__name__) from exc
        return [normalise_reply(item) for item in payload or [] if isinstance(item, dict)]

    async def append_events(self, session_id: str, events: list[dict]) -> None:
        """Posts events (e.g. pause / resume) to the conversation's tracker."""
        http = await self._http()
        url = f"{self.base_url}/conversations/{session_id}/tracker/events"
        try:
            async with http.post(url, params={"token": self.token}, json=events) as response:
                if response.status != 200:
                    raise RasaUnavailable(f"Rasa tracker API answered HTTP {response.status}")
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            raise RasaUnavailable(str(exc) or type(exc).__name__) from exc

    async def is_up(self) -> bool:
        http = await self._http()
        try:
            async with http.get(f"{self.base_url}/status", params={"token": self.token},
                                timeout=aiohttp.ClientTimeout(total=2)) as response:
                if response.status != 200:
                    return False
                status = await response.json(content_type=None)
                return bool(status.get("model_file") or status.get("model_id"))
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError):
            return False


def normalise_reply(item: dict) -> dict:
    """One bot reply in the shape the chat API promises: text plus optional buttons."""
    reply: dict[str, Any] = {"text": item.get("text") or ""}
    buttons = [{"title": str(b.get("title", "")), "payload": str(b.get("payload", ""))}
               for b in item.get("buttons") or [] if isinstance(b, dict)]
    if buttons:
        reply["buttons"] = buttons
    if item.get("custom"):
        reply["custom"] = item["custom"]
    return reply
