"""Pause and resume reach Rasa in the order they were decided, even when the first request is the
slower one (a claim at once undone must not leave the conversation paused)."""
import asyncio
from types import SimpleNamespace

from bot.services.handoff.conversation_control import ConversationControl


class SlowPauseRasa:
    def __init__(self):
        self.received: list[tuple[str, str]] = []

    async def append_events(self, session_id, events):
        event = events[0]["event"]
        await asyncio.sleep(0.2 if event == "pause" else 0.0)  # the pause's request is the slow one
        self.received.append((session_id, event))


def test_a_resume_never_overtakes_the_pause_before_it():
    rasa = SlowPauseRasa()
    control = ConversationControl(SimpleNamespace(rasa=rasa))

    async def scenario():
        control.started(asyncio.get_running_loop())
        control.pause_soon("s1")
        control.resume_soon("s1")
        control.pause_soon("s2")  # another conversation is not held up behind s1's order
        await asyncio.sleep(0.5)

    asyncio.run(scenario())
    assert [e for s, e in rasa.received if s == "s1"] == ["pause", "resume"]
    assert ("s2", "pause") in rasa.received
    assert control.pending_resume == set() and control._order == {}
