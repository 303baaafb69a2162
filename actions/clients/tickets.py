"""Hands tickets to the bot service, and never loses one.

`submit()` POSTs with a timeout and bounded retries; the caller's idempotency key makes retries
safe. When the bot service stays unreachable the ticket goes into a durable outbox (SQLite file,
OUTBOX_PATH) and a background thread delivers it later; the customer sees no failure.
"""
from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from dataclasses import dataclass
from typing import Any

import requests

from bot.private_files import private_sqlite_file

log = logging.getLogger(__name__)

RETRY_STATUSES = {502, 503, 504}


@dataclass(frozen=True)
class Submission:
    ticket: dict[str, Any] | None  # the stored ticket, when the bot service answered
    queued: bool  # True when kept in the outbox for later delivery


class TicketClient:
    def __init__(self, base_url: str, token: str, outbox_path: str, *, timeout: float = 5.0,
                 attempts: int = 3, backoff: float = 0.3):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.attempts = attempts
        self.backoff = backoff
        self.outbox_path = outbox_path
        self._http = requests.Session()
        self._http.headers["Authorization"] = f"Bearer {token}"
        self._lock = threading.Lock()
        private_sqlite_file(outbox_path)  # tickets in the customers' words: 0600 in a 0700 directory
        with self._db() as db:
            db.execute("CREATE TABLE IF NOT EXISTS outbox (idempotency_key TEXT PRIMARY KEY, payload TEXT NOT NULL,"
                       " created_at REAL NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, last_error TEXT)")

    def _db(self) -> sqlite3.Connection:
        return sqlite3.connect(self.outbox_path, timeout=30)

    def _post(self, payload: dict[str, Any]) -> dict[str, Any]:
        """One delivery with bounded retries; raises on final failure."""
        error: Exception | None = None
        for attempt in range(self.attempts):
            try:
                response = self._http.post(f"{self.base_url}/api/tickets", json=payload, timeout=self.timeout)
                if response.status_code in (200, 201):
                    return response.json()
                if response.status_code not in RETRY_STATUSES:
                    # A 4xx will not heal by retrying now; keep it for an operator to see.
                    raise PermanentError(f"HTTP {response.status_code}: {response.text[:300]}")
                error = RuntimeError(f"HTTP {response.status_code}")
            except (requests.ConnectionError, requests.Timeout) as exc:
                error = exc
            if attempt + 1 < self.attempts:
                time.sleep(self.backoff * (2 ** attempt))
        raise error or RuntimeError("delivery failed")

    def submit(self, payload: dict[str, Any]) -> Submission:
        try:
            body = self._post(payload)
            return Submission(ticket=body.get("ticket", body), queued=False)
        except Exception as exc:  # noqa: BLE001 - anything: keep the ticket, tell no one bad news
            log.warning("bot service unreachable, ticket %s kept in outbox: %s", payload["idempotency_key"], exc)
            with self._lock, self._db() as db:
                db.execute("INSERT OR REPLACE INTO outbox (idempotency_key, payload, created_at, attempts, last_error)"
                           " VALUES (?, ?, ?, 1, ?)",
                           (payload["idempotency_key"], json.dumps(payload, ensure_ascii=False), time.time(),
                            str(exc)[:500]))
            return Submission(ticket=None, queued=True)

    def pending(self) -> int:
        with self._db() as db:
            return db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0]

    def deliver_pending(self) -> int:
        """Delivers what the outbox holds; returns how many were delivered."""
        with self._db() as db:
            rows = db.execute("SELECT idempotency_key, payload FROM outbox ORDER BY created_at").fetchall()
        delivered = 0
        for key, payload in rows:
            try:
                self._post(json.loads(payload))
            except Exception as exc:  # noqa: BLE001
                with self._lock, self._db() as db:
                    db.execute("UPDATE outbox SET attempts = attempts + 1, last_error = ? WHERE idempotency_key = ?",
                               (str(exc)[:500], key))
                if not isinstance(exc, PermanentError):
                    break  # the service is still down; try again on the next round
                continue
            with self._lock, self._db() as db:
                db.execute("DELETE FROM outbox WHERE idempotency_key = ?", (key,))
            delivered += 1
        return delivered

    def progress(self, session_id: str, customer_ref: str | None = None,
                 ticket_id: str | None = None) -> list[dict[str, Any]] | None:
        """The customer's own tickets (the bot service enforces ownership); None when unreachable."""
        params = {"session_id": session_id}
        if customer_ref:
            params["customer_ref"] = customer_ref
        if ticket_id:
            params["ticket_id"] = ticket_id
        try:
            response = self._http.get(f"{self.base_url}/api/progress", params=params, timeout=self.timeout)
        except (requests.ConnectionError, requests.Timeout):
            return None
        if response.status_code == 404:
            return []  # not this customer's ticket: the same answer as "none found"
        if response.status_code != 200:
            return None
        return response.json().get("tickets", [])

    def patch_intake(self, ticket_id: str, change: dict[str, Any]) -> dict[str, Any] | None:
        """PATCH /api/tickets/{id}/intake (what the dialogue learnt); the ticket, or None when the
        bot service is unreachable or refuses (the caller falls back to a full submission)."""
        try:
            response = self._http.patch(f"{self.base_url}/api/tickets/{ticket_id}/intake", json=change,
                                        timeout=self.timeout)
        except (requests.ConnectionError, requests.Timeout):
            return None
        return response.json().get("ticket") if response.status_code == 200 else None

    def post_json(self, path: str, payload: dict[str, Any]) -> dict[str, Any] | None:
        try:
            response = self._http.post(f"{self.base_url}{path}", json=payload, timeout=self.timeout)
        except (requests.ConnectionError, requests.Timeout):
            return None
        return response.json() if response.status_code in (200, 201) else None


class PermanentError(RuntimeError):
    """The bot service refused the ticket (4xx); retrying right away will not help."""


_client: TicketClient | None = None
_client_lock = threading.Lock()


def ticket_client() -> TicketClient:
    """The process-wide client; starts the outbox delivery thread on first use."""
    global _client
    with _client_lock:
        if _client is None:
            from actions.common import settings

            s = settings()
            _client = TicketClient(s.bot_service_url, s.bot_api_token, s.outbox_path)
            threading.Thread(target=_deliver_forever, args=(_client,), daemon=True, name="outbox").start()
        return _client


def _deliver_forever(client: TicketClient, every: float = 15.0) -> None:
    while True:
        time.sleep(every)
        try:
            if client.pending():
                delivered = client.deliver_pending()
                if delivered:
                    log.info("delivered %d queued ticket(s) from the outbox", delivered)
        except Exception:  # noqa: BLE001 - the loop must survive anything
            log.exception("outbox delivery round failed")
