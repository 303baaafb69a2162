"""Pausing and resuming the assistant (Rasa) for a conversation a person has taken.

Rasa's tracker gets a `pause` event when an agent claims a conversation and `resume` when the
agent lets go or resolves it; a paused conversation ignores messages. A resume that did not reach
Rasa (down, or the process stopped) is remembered in `pending_resume` and retried before the next
customer message goes to Rasa. Listeners run inside the hub's `publish` and may not wait, so the
calls to Rasa run as background tasks on the server's loop.
"""
from __future__ import annotations

import asyncio
import logging

from bot.integrations.rasa_client import RasaUnavailable

log = logging.getLogger(__name__)


class ConversationControl:
    """One per app (`app.ctx.handoff.control`)."""

    def __init__(self, ctx):
        self.ctx = ctx
        self.pending_resume: set[str] = set()  # sessions whose resume did not reach Rasa yet
        self.loop: asyncio.AbstractEventLoop | None = None  # the server's, once it runs
        self._tasks: set[asyncio.Task] = set()
        # One conversation's pause and resume reach Rasa in the order they were decided: an agent
        # who claims and at once lets go must not leave the conversation paused because the
        # resume's request overtook the pause's.
        self._order: dict[str, tuple[asyncio.Lock, int]] = {}  # lock, calls holding or awaiting it

    async def _in_order(self, session_id: str, work):
        lock, users = self._order.get(session_id, (asyncio.Lock(), 0))
        self._order[session_id] = (lock, users + 1)
        try:
            async with lock:
                return await work()
        finally:
            lock, users = self._order[session_id]
            if users == 1:
                del self._order[session_id]
            else:
                self._order[session_id] = (lock, users - 1)

    async def _tracker_event(self, session_id: str, event: str) -> bool:
        try:
            await self.ctx.rasa.append_events(session_id, [{"event": event}])
            return True
        except RasaUnavailable as exc:
            log.warning("could not %s the conversation %s in Rasa: %s", event, session_id, exc)
            return False

    async def pause(self, session_id: str) -> bool:
        async def work() -> bool:
            self.pending_resume.discard(session_id)
            return await self._tracker_event(session_id, "pause")
        return await self._in_order(session_id, work)

    async def resume(self, session_id: str) -> bool:
        async def work() -> bool:
            ok = await self._tracker_event(session_id, "resume")
            if ok:
                self.pending_resume.discard(session_id)
            else:
                self.pending_resume.add(session_id)  # retried before the next message goes to Rasa
            return ok
        return await self._in_order(session_id, work)

    async def ensure_resumed(self, session_id: str) -> None:
        if session_id in self.pending_resume:
            await self.resume(session_id)

    def pause_soon(self, session_id: str) -> None:
        self._in_background(self.pause(session_id))

    def resume_soon(self, session_id: str) -> None:
        """Marked first: should the background call fail or the process stop, the next message
        resumes the conversation before it goes to Rasa."""
        self.pending_resume.add(session_id)
        self._in_background(self.resume(session_id))

    def _in_background(self, coroutine) -> None:
        loop = self.loop
        if loop is None or loop.is_closed():
            coroutine.close()  # not serving (a script, a test without a server): nobody to tell
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            task = loop.create_task(coroutine)
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        else:
            asyncio.run_coroutine_threadsafe(coroutine, loop)

    def started(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop

    def stopping(self) -> None:
        for task in list(self._tasks):
            task.cancel()
