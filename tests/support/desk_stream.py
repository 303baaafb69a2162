"""A desk's live-event stream (SSE) read in a background thread, for tests."""
from __future__ import annotations

import json
import socket
import threading
import time

import requests

from tests.support.live_app import TOKEN


class DeskStream:
    """A desk's SSE connection read in a thread: `events` fills as frames arrive."""

    def __init__(self, base: str, last_event_id: int | None = None, token: str = TOKEN):
        self.events: list[dict] = []
        self.opened = threading.Event()
        headers = {"Authorization": f"Bearer {token}"}
        if last_event_id is not None:
            headers["Last-Event-ID"] = str(last_event_id)
        self._response = requests.get(f"{base}/api/desk/events", headers=headers, stream=True, timeout=60)
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        self.opened.set()
        try:
            for line in self._response.iter_lines(decode_unicode=True):
                if line and line.startswith("data: "):
                    self.events.append(json.loads(line[len("data: "):]))
        except (requests.RequestException, ValueError, AttributeError):
            pass  # the server went away: what arrived is in self.events

    def tickets_created(self) -> list[str]:
        return [e["data"]["ticket"]["id"] for e in self.events if e["type"] == "ticket_created"]

    def wait_for_ticket(self, ticket_id: str, seconds: float = 10) -> float:
        """Seconds until the ticket's `ticket_created` arrived; fails after `seconds`."""
        started = time.monotonic()
        while ticket_id not in self.tickets_created():
            assert time.monotonic() - started < seconds, f"{ticket_id} not received; got {self.tickets_created()}"
            time.sleep(0.02)
        return time.monotonic() - started

    def close(self) -> None:
        # Shut the socket down first: closing a streamed response waits for the reader thread,
        # which sits in recv() until the next keep-alive comment (15 s).
        connection = getattr(self._response.raw, "connection", None)
        if connection is not None and connection.sock is not None:
            connection.sock.shutdown(socket.SHUT_RDWR)
        self._response.close()
        self._thread.join(5)
