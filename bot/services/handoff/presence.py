"""Who is at the desk, and telling a customer when their agent is not.

An agent is online with an open desk event stream, or after any desk request in the last few
minutes; logging out makes an agent offline at once, and an agent who switched the desk to
"away" (暂离) is not counted until they switch back — the live queue's wait estimate and the
"nobody online" answer follow that. The web layer reports these (a request
middleware in bot.web.routes.desk), so the desk's other routes need not know.
"""
from __future__ import annotations

import time
from collections.abc import Callable

from bot.services import wording

ONLINE_SECONDS = 300  # a desk request in the last five minutes counts as online
AWAY_NOTICE_SECONDS = 600  # "your agent is away" at most every ten minutes per conversation


class Presence:
    """One per app (`app.ctx.handoff.presence`)."""

    def __init__(self):
        self._seen: dict[str, float] = {}  # agent name → monotonic time of the last desk request
        self._streams: dict[int, tuple[str, Callable[[], bool]]] = {}  # open desk event streams
        self._away_notice: dict[str, float] = {}  # session id → when its customer was last told
        self._away: set[str] = set()  # agents who switched the desk to "away"

    def seen(self, name: str) -> None:
        """The agent just used the desk."""
        self._seen[name] = time.monotonic()

    def stream_opened(self, name: str, key: int, is_open: Callable[[], bool]) -> None:
        """The agent opened the desk's event stream; online while `is_open()`."""
        self._open_streams()  # forget the ones that ended (a reload, a closed tab)
        self._streams[key] = (name, is_open)

    def set_status(self, name: str, status: str) -> None:
        """The agent's own switch: "online" or "away"."""
        if status == "away":
            self._away.add(name)
        else:
            self._away.discard(name)
            self.seen(name)

    def status(self, name: str) -> str:
        if name in self._away:
            return "away"
        return "online" if name in self.online_agents() else "offline"

    def logged_out(self, name: str) -> None:
        self._seen.pop(name, None)
        self._away.discard(name)
        for key, (stream_agent, _is_open) in list(self._streams.items()):
            if stream_agent == name:
                self._streams.pop(key, None)

    def _open_streams(self) -> set[str]:
        names = set()
        for key, (name, is_open) in list(self._streams.items()):
            if is_open():
                names.add(name)
            else:
                self._streams.pop(key, None)
        return names

    def online_agents(self) -> set[str]:
        recent = {name for name, seen in self._seen.items() if time.monotonic() - seen <= ONLINE_SECONDS}
        return (recent | self._open_streams()) - self._away

    def away_notice(self, session_id: str, ticket: dict, agent_name: str | None) -> list[dict]:
        """The agent who has the conversation is not at the desk: say the message reached them
        (once in a while, not after every line), so nobody writes into silence."""
        if ticket["assignee"] in self.online_agents():
            return []
        last = self._away_notice.get(session_id, 0.0)
        if time.monotonic() - last < AWAY_NOTICE_SECONDS:
            return []
        self._away_notice[session_id] = time.monotonic()
        return [{"text": wording.agent_away(agent_name), "kind": "agent_away"}]
