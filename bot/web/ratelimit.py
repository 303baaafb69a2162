"""How fast one chat session may send: RATE_LIMIT_PER_MINUTE messages in any 60 seconds.

Over the limit a message is still kept for the agents (nothing a person types is lost) but not
sent to the assistant, and the customer is asked politely to slow down. A flood far beyond what
a person can type (twice the limit) is not even stored, so one script cannot fill the database.
In memory, per process: a replica's share of a session is limited on its own (good enough; a
session normally sticks to one replica through its WebSocket).
"""
from __future__ import annotations

import math
import time
from collections import OrderedDict, deque
from dataclasses import dataclass

WINDOW_SECONDS = 60.0
MAX_TRACKED_SESSIONS = 50_000


@dataclass(frozen=True)
class Decision:
    allowed: bool  # within the limit: process normally
    keep: bool  # store the message all the same (false only for floods)
    retry_after: int  # seconds until the next message would be allowed


class RateLimiter:
    def __init__(self, per_minute: int, clock=time.monotonic):
        self.per_minute = per_minute
        self.clock = clock
        self._sent: OrderedDict[str, deque[float]] = OrderedDict()

    def check(self, session_id: str) -> Decision:
        """Counts one message of `session_id` and says whether it may go through."""
        now = self.clock()
        sent = self._sent.pop(session_id, None) or deque()
        self._sent[session_id] = sent  # most recently used last
        while sent and sent[0] <= now - WINDOW_SECONDS:
            sent.popleft()
        while len(self._sent) > MAX_TRACKED_SESSIONS:
            self._sent.popitem(last=False)
        sent.append(now)
        if len(sent) <= self.per_minute:
            return Decision(True, True, 0)
        # Attempts over the limit count too (a script retrying at once stays blocked); the next
        # message fits once all but per_minute - 1 of the counted ones have left the window.
        retry_after = max(1, math.ceil(sent[-self.per_minute] + WINDOW_SECONDS - now))
        return Decision(False, len(sent) <= 2 * self.per_minute, retry_after)
